/**
 * Transaction-scoped write locks by name, as the dialect takes them: Postgres advisory locks
 * (so concurrent saves of one key or content serialize); nothing on SQLite, where
 * `BEGIN IMMEDIATE` already holds the database's single write lock.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { currentDialect } from "../db/dialect.js"
import { sqlDialect } from "../db/dialects/index.js"

/** Take the locks on `names` for the rest of the current transaction. */
export const lockFor = (names: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const dialect = yield* currentDialect
    const statement = sqlDialect(dialect).transactionLocks(names)
    if (statement === undefined) return
    const sql = yield* SqlClient.SqlClient
    const { text, params } = statement.render(dialect)
    yield* sql.unsafe(text, params)
  })
