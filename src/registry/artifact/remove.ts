/**
 * Deleting (to trash, or for good) and restoring artifacts, keeping `is_latest` right.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { DoesNotExist } from "../../errors.js"
import { ObjectStore } from "../../storage/ObjectStore.js"
import { now, sqlFailure, updateRow } from "../crud.js"
import { refreshLatest, rowById } from "./family.js"
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

/** Bring a trashed artifact back; the restored row. */
export const restoreArtifact = (artifact: ArtifactView) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql
      .withTransaction(Effect.zipRight(updateRow(ArtifactModel, artifact.id, { branch: 1, updated_at: now() }), refreshLatest(artifact.stem)))
      .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Restoring an artifact")(e))))
    const row = yield* rowById(artifact.id)
    if (row === undefined) return yield* new DoesNotExist({ registry: "Artifact", message: `No artifact with id ${artifact.id}.` })
    return row
  })
