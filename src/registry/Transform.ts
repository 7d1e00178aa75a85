/**
 * Transform registry: versioned pieces of code (pipelines, scripts, functions) that runs execute.
 *
 * LaminDB's versioning: the same key with the same source hash is the same transform; the same
 * key with new source is a new version (same uid stem, next base62 suffix, `is_latest` moved).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { Instance } from "../instance/Instance.js"
import { hashString } from "../storage/hash.js"
import { registryAccess } from "./access.js"
import { now, sqlFailure } from "./crud.js"
import { lockFor } from "./locks.js"
import { TransformModel } from "./catalog.js"
import { brandRecord } from "./recordRef.js"
import { decodeRow, encodeValue, type RecordOf, type Row } from "./model.js"

export { TransformModel } from "./catalog.js"
import { incrementBase62, newFamilyUid, splitUid, UID_LENGTH } from "./uid.js"


/** A transform record. */
export type Transform = RecordOf<typeof TransformModel>

/** A transform decoded from a row, branded so params can refer to it as `Transform[<uid>]`. */
export const decodeTransform = (row: Row): Transform => brandRecord(row as unknown as Transform, "Transform")

/** The Transform registry: `Transform.filter({...})`, `Transform.get(uid)`. */
export const Transform = registryAccess(TransformModel, decodeTransform, UID_LENGTH.transform)

/** What identifies a transform version. */
export interface TransformSpec {
  /** Module path relative to the project root + function name, or the script's path. */
  readonly key: string
  /** "pipeline" (flow), "function" (step), "script" (track). */
  readonly kind: string
  readonly source: string
  /** The source hash, when the caller already has it (hashed once per function). */
  readonly hash?: string
  readonly description?: string | null
}

/**
 * The transform for `spec`: the existing version with this source hash, else a new version of
 * the key's family (or a new family). Safe under concurrent callers and processes. The engine
 * calls it through the Tracker, which remembers the answer per key and hash.
 */
export const ensureTransform = (spec: TransformSpec) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const hash = spec.hash ?? hashString(spec.source)
    const instance = yield* Instance
    const find = Effect.map(
      sql<Record<string, unknown>>`SELECT * FROM lamina_transform WHERE key = ${spec.key} AND hash = ${hash} AND branch <> -1 ORDER BY id LIMIT 1`,
      (rows) => (rows[0] === undefined ? undefined : decodeTransform(decodeRow(TransformModel, rows[0])))
    )
    const create = sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor(["lamina-transform:" + spec.key])
        const existing = yield* find
        if (existing !== undefined) return existing
        const family = yield* sql<{ readonly uid: string }>`SELECT uid FROM lamina_transform WHERE key = ${spec.key} ORDER BY uid DESC LIMIT 1`
        const head = family[0]?.uid
        const uid = head === undefined ? newFamilyUid(UID_LENGTH.transform) : splitUid(head).stem + incrementBase62(splitUid(head).suffix)
        const t = encodeValue("datetime", now())
        yield* sql`UPDATE lamina_transform SET is_latest = ${encodeValue("bool", false)} WHERE key = ${spec.key}`
        const rows = yield* sql<Record<string, unknown>>`INSERT INTO lamina_transform ${sql.insert({
          uid,
          key: spec.key,
          description: spec.description ?? null,
          kind: spec.kind,
          source_code: spec.source,
          hash,
          is_latest: encodeValue("bool", true),
          updated_at: t,
          created_at: t,
          created_by_id: instance.user.id,
          branch: 1,
          is_locked: encodeValue("bool", false)
        })} RETURNING *`
        return decodeTransform(decodeRow(TransformModel, rows[0]!))
      })
    )
    return (yield* find) ?? (yield* create)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving a Transform")(e))))
