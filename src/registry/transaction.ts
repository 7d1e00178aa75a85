/**
 * Run an effect in one registry transaction (driver errors as Lamina errors).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { sqlFailure } from "../db/failure.js"

/** `effect` inside one transaction of the current `SqlClient`. */
export const sqlTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect)).pipe(
    Effect.catchIf((e): e is SqlError => (e as { readonly _tag?: string })?._tag === "SqlError", (e) => Effect.fail(sqlFailure("A registry transaction")(e)))
  )
