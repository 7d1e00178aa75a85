/**
 * Bulk loading with deferred indexes: inside ONE transaction, drop the triggers and the
 * non-unique indexes of some tables, load, rebuild what the triggers maintain with set-based
 * statements (`rebuildStatements`), then recreate indexes and triggers from the definitions the
 * database itself reports (so the schema comes back exactly as it was). The transaction holds
 * the write lock throughout, so no other writer ever sees the tables without their triggers.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Dialect } from "../../src/db/dialect.js"
import { rebuildStatements } from "../../src/db/migrations/010-query-indexes.js"
import { markSearchIndexed } from "../../src/db/migrations/171-search-tail.js"

interface Definition {
  readonly name: string
  readonly table: string
  readonly sql: string
}

/** Run `load` with the triggers and non-unique indexes of `tables` deferred to the end. */
export const withDeferredIndexes = <A, E, R>(dialect: Dialect, tables: ReadonlyArray<string>, load: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        const list = tables.map((t) => `'${t.replace(/'/g, "''")}'`).join(", ")
        const triggers: ReadonlyArray<Definition> =
          dialect === "pg"
            ? yield* sql.unsafe<Definition>(
                `SELECT t.tgname AS name, c.relname AS table, pg_get_triggerdef(t.oid) AS sql FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                 WHERE NOT t.tgisinternal AND c.relname IN (${list}) AND c.relnamespace = current_schema()::regnamespace`
              )
            : yield* sql.unsafe<Definition>(`SELECT name, tbl_name AS "table", sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (${list})`)
        const indexes: ReadonlyArray<Definition> =
          dialect === "pg"
            ? yield* sql.unsafe<Definition>(
                `SELECT ic.relname AS name, c.relname AS table, pg_get_indexdef(i.indexrelid) AS sql FROM pg_index i
                 JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
                 WHERE NOT i.indisunique AND NOT i.indisprimary AND c.relname IN (${list}) AND c.relnamespace = current_schema()::regnamespace`
              )
            : yield* sql.unsafe<Definition>(
                `SELECT name, tbl_name AS "table", sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN (${list})`
              )
        for (const t of triggers) yield* sql.unsafe(dialect === "pg" ? `DROP TRIGGER "${t.name}" ON "${t.table}"` : `DROP TRIGGER "${t.name}"`)
        for (const i of indexes) yield* sql.unsafe(`DROP INDEX "${i.name}"`)
        const result = yield* load
        for (const statement of [...rebuildStatements(dialect), ...markSearchIndexed(dialect)]) yield* sql.unsafe(statement)
        for (const i of indexes) yield* sql.unsafe(i.sql)
        for (const t of triggers) yield* sql.unsafe(t.sql)
        return result
      })
    )
  })
