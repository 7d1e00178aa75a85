/**
 * The SQL dialects Lamina speaks, and the handful of differences kept in one place.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/** The registry's SQL dialect. */
export type Dialect = "sqlite" | "pg"

/** The dialect of the current `SqlClient`. */
export const currentDialect: Effect.Effect<Dialect, never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) => sql.onDialectOrElse({ pg: () => "pg" as const, orElse: () => "sqlite" as const })
)
