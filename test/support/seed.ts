/**
 * Registry rows for query tests, written straight through `insertRow` (no files, no lineage
 * engine): users, transforms, runs with params, artifacts, and run inputs.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { Instance } from "../../src/instance/Instance.js"
import { Artifact, ArtifactModel } from "../../src/registry/Artifact.js"
import { insertRow } from "../../src/registry/crud.js"
import type { Row } from "../../src/registry/model.js"
import { RunModel, type Run } from "../../src/registry/Run.js"
import { TransformModel, type Transform } from "../../src/registry/Transform.js"
import { UserModel, type User } from "../../src/registry/User.js"
import { base62, newFamilyUid } from "../../src/registry/uid.js"

const T0 = Date.parse("2025-03-01T12:00:00.000Z")

/** A fixed timestamp `minutes` after 2025-03-01T12:00Z. */
export const at = (minutes: number): Date => new Date(T0 + minutes * 60_000)

/** A user with `handle`. */
export const seedUser = (handle: string, name?: string) =>
  Effect.map(
    insertRow(UserModel, { uid: base62(8), handle, name: name ?? null, created_at: at(0), updated_at: at(0) }),
    (row) => row as unknown as User
  )

/** A transform. */
export const seedTransform = (fields: { readonly key: string; readonly description?: string; readonly kind?: string } & Row) =>
  Effect.gen(function* () {
    const instance = yield* Instance
    const row = yield* insertRow(TransformModel, {
      uid: newFamilyUid(16),
      kind: "pipeline",
      is_latest: true,
      created_at: at(0),
      updated_at: at(0),
      created_by_id: instance.user.id,
      branch: 1,
      is_locked: false,
      ...fields
    })
    return row as unknown as Transform
  })

/** A run of `transform` with `params`. */
export const seedRun = (transform: { readonly id: number }, fields: Row = {}) =>
  Effect.gen(function* () {
    const instance = yield* Instance
    const row = yield* insertRow(RunModel, {
      uid: base62(16),
      transform_id: transform.id,
      created_at: at(0),
      started_at: at(0),
      created_by_id: instance.user.id,
      branch: 1,
      is_locked: false,
      _status_code: 0,
      ...fields
    })
    return row as unknown as Run
  })

/** An artifact row (no bytes in storage). */
export const seedArtifact = (fields: Row) =>
  Effect.gen(function* () {
    const instance = yield* Instance
    const row = yield* insertRow(ArtifactModel, {
      uid: newFamilyUid(20),
      storage_id: instance.storage.id,
      suffix: "",
      hash: base62(22),
      hash_type: "md5",
      size: 0,
      n_files: 1,
      is_latest: true,
      _key_is_virtual: true,
      created_at: at(0),
      updated_at: at(0),
      created_by_id: instance.user.id,
      branch: 1,
      is_locked: false,
      ...fields
    })
    return new Artifact(row)
  })

/** Record `artifact` as an input of `run`. */
export const seedInput = (run: { readonly id: number }, artifact: { readonly id: number }) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO lamina_run_input_artifact (run_id, artifact_id) VALUES (${run.id}, ${artifact.id})`)
