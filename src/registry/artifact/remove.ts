/**
 * Deleting (to trash, or for good) and restoring artifacts, keeping `is_latest` right.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option } from "effect"
import { DoesNotExist, IntegrityError } from "../../errors.js"
import { currentRun } from "../../flow/CurrentRun.js"
import { ObjectStore } from "../../storage/ObjectStore.js"
import { now, sqlFailure, updateRow } from "../crud.js"
import { byStorageKeyHash, refreshLatest, rowById } from "./family.js"
import { ArtifactModel } from "./model.js"
import type { ArtifactView } from "./paths.js"

/** Move to trash; with `permanent` (or when already in trash) delete the row and the bytes. */
export const deleteArtifact = (artifact: ArtifactView, permanent: boolean) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const store = yield* ObjectStore
    const hard = permanent || artifact.branch === -1
    yield* sql
      .withTransaction(
        Effect.gen(function* () {
          if (hard) {
            yield* sql`UPDATE lamina_run SET report_id = NULL WHERE report_id = ${artifact.id}`
            yield* sql`UPDATE lamina_run SET environment_id = NULL WHERE environment_id = ${artifact.id}`
            yield* sql`DELETE FROM lamina_run_input_artifact WHERE artifact_id = ${artifact.id}`
            yield* sql`DELETE FROM lamina_artifact WHERE id = ${artifact.id}`
          } else {
            yield* updateRow(ArtifactModel, artifact.id, { branch: -1, updated_at: now() })
          }
          yield* refreshLatest(artifact.stem)
        })
      )
      .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Deleting an artifact")(e))))
    // Bytes go after the row is gone: a crash in between leaves an unreferenced file, never a
    // row pointing at nothing.
    if (hard) yield* store.remove(artifact.storageKey).pipe(Effect.catchAll((e) => Effect.logWarning(`artifact row deleted, bytes left in storage: ${e.message}`)))
  })

/**
 * Bring a trashed artifact back; the restored row. The only way out of trash: a save of the same
 * content never revives a trashed artifact (it registers a new one). Inside a run, the run is
 * recorded as a recreating run of the artifact. Fails with `IntegrityError` while a live
 * artifact holds the same content under the same key (restoring would duplicate it).
 */
export const restoreArtifact = (artifact: ArtifactView) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const duplicate = artifact.hash === null ? undefined : yield* byStorageKeyHash(artifact.storage_id, artifact.key, artifact.hash)
    if (duplicate !== undefined && duplicate.id !== artifact.id)
      return yield* new IntegrityError({
        message: `Cannot restore artifact ${artifact.label}: artifact ${duplicate.uid} holds the same content${artifact.key === null ? "" : " under the same key"} and is not in trash. Use that one, or delete it first.`
      })
    yield* sql
      .withTransaction(Effect.zipRight(updateRow(ArtifactModel, artifact.id, { branch: 1, updated_at: now() }), refreshLatest(artifact.stem)))
      .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Restoring an artifact")(e))))
    const run = yield* currentRun
    if (Option.isSome(run) && run.value.runId !== artifact.run_id && run.value.recordRecreated !== undefined) yield* run.value.recordRecreated(artifact.id)
    yield* Effect.logInfo(`restored artifact ${artifact.label} from trash`)
    const row = yield* rowById(artifact.id)
    if (row === undefined) return yield* new DoesNotExist({ registry: "Artifact", message: `No artifact with id ${artifact.id}.` })
    return row
  })
