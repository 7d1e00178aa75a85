/**
 * Send a statement built with `db/sql.ts` through the current `SqlClient`, rendered for its dialect.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { currentDialect } from "./dialect.js"
import type { Sql } from "./sql.js"

/** Run `statement`: its rows (none for a write without RETURNING). */
export const execute = <A extends object = Record<string, unknown>>(statement: Sql): Effect.Effect<ReadonlyArray<A>, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(currentDialect, (dialect) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) => {
      const { text, params } = statement.render(dialect)
      return sql.unsafe<A>(text, params)
    })
  )
