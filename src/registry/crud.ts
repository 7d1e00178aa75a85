/**
 * The few SQL statements every registry needs, written once over a `Model`.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../db/failure.js"
import { decodeRow, encodeRow, type Model, type Row } from "./model.js"

export { sqlFailure } from "../db/failure.js"

/** Insert a row; returns the decoded row as stored. */
export const insertRow = (model: Model, values: Row) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`INSERT INTO ${sql(model.table)} ${sql.insert(encodeRow(model, values))} RETURNING *`
    return decodeRow(model, rows[0]!)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Saving a ${model.name}`)(e))))

/** Update fields of one row by id. */
export const updateRow = (model: Model, id: number, values: Row) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE ${sql(model.table)} SET ${sql.update(encodeRow(model, values))} WHERE id = ${id}`
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Updating a ${model.name}`)(e))))

/** Rows matching a fragment `WHERE` clause built by the caller with `sql`. */
export const selectRows = (
  model: Model,
  where: (sql: SqlClient.SqlClient) => ReturnType<SqlClient.SqlClient["and"]>,
  suffix = ""
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(model.table)} WHERE ${where(sql)} ${sql.literal(suffix)}`
    return rows.map((r) => decodeRow(model, r))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Reading ${model.name} records`)(e))))

/** The current time, as registries record it. */
export const now = (): Date => new Date()
