/**
 * Which schemas an artifact was validated against, per slot (`columns` for a table, `obs` and
 * `var` for an AnnData, `__dataset__` for the composite schema itself): LaminDB's
 * `artifact.schema` and `artifact.feature_sets`.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { decodeRow } from "../../schema/codec.js"
import { SchemaModel } from "../catalog.js"
import type { RecordOf } from "../model.js"
import { brandRecord } from "../recordRef.js"

/** The slot name of the schema a whole dataset was validated against. */
export const DATASET_SLOT = "__dataset__"

/** Link artifact `artifactId` to schemas by slot (replaces an earlier schema of the same slot); run inside the caller's transaction. */
export const linkArtifactSchemas = (artifactId: number, slots: ReadonlyArray<{ readonly slot: string; readonly schemaId: number }>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const { slot, schemaId } of slots) {
      yield* sql`DELETE FROM lamina_artifact_schema WHERE artifact_id = ${artifactId} AND slot = ${slot}`
      yield* sql`INSERT INTO lamina_artifact_schema (artifact_id, schema_id, slot) VALUES (${artifactId}, ${schemaId}, ${slot})`
    }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Linking an artifact to its schemas")(e))))

/** Slot → schema of artifact `artifactId`, slots sorted. */
export const artifactSchemas = (artifactId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT s.*, l.slot AS link_slot FROM lamina_artifact_schema l JOIN lamina_schema s ON s.id = l.schema_id
      WHERE l.artifact_id = ${artifactId} ORDER BY l.slot`
    return rows.map((r) => ({
      slot: String(r.link_slot),
      schema: brandRecord(decodeRow(SchemaModel, r), "Schema") as unknown as RecordOf<typeof SchemaModel>
    }))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading an artifact's schemas")(e))))
