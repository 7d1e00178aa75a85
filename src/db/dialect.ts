/**
 * The SQL dialects Lamina speaks by name. What differs between them lives in one object per
 * backend: `./dialects/`.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/** The registry's SQL dialect. */
export type Dialect = "sqlite" | "pg"

/** The placeholder of the `n`-th bound parameter (1-based) of each dialect. */
export const placeholders: Readonly<Record<Dialect, (n: number) => string>> = { sqlite: () => "?", pg: (n) => `$${n}` }

/** The dialect of the current `SqlClient`. */
export const currentDialect: Effect.Effect<Dialect, never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) => sql.onDialectOrElse({ pg: () => "pg" as const, orElse: () => "sqlite" as const })
)

/** ` FOR UPDATE` on Postgres (lock the rows read until the transaction ends); nothing on SQLite, whose write transaction already holds the database. */
export const forUpdate = (sql: SqlClient.SqlClient) => sql.onDialectOrElse({ pg: () => sql` FOR UPDATE`, orElse: () => sql`` })
