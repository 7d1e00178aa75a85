/**
 * Apply pending migrations, once, even when several processes connect at the same time.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { IntegrityError } from "../errors.js"
import { currentDialect } from "./dialect.js"
import { migrations, type Migration } from "./migrations/index.js"

/** Arbitrary constant naming Lamina's migration lock among Postgres advisory locks. */
const MIGRATION_LOCK = 727_001

/** Apply every migration not applied yet, in one transaction. Returns the ids applied. */
export const migrate = (list: ReadonlyArray<Migration> = migrations) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const dialect = yield* currentDialect
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        // SQLite's BEGIN IMMEDIATE already serializes writers; Postgres needs an explicit lock.
        if (dialect === "pg") yield* sql.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`)
        yield* sql.unsafe(
          `CREATE TABLE IF NOT EXISTS lamina_migration (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
        )
        const rows = yield* sql.unsafe<{ readonly id: number }>(`SELECT id FROM lamina_migration`)
        const applied = new Set(rows.map((r) => Number(r.id)))
        const pending = list.filter((m) => !applied.has(m.id))
        for (const m of pending) {
          for (const statement of m.statements(dialect)) yield* sql.unsafe(statement)
          yield* sql`INSERT INTO lamina_migration (id, name, applied_at) VALUES (${m.id}, ${m.name}, ${new Date().toISOString()})`
        }
        return pending.map((m) => m.id)
      })
    )
  }).pipe(
    Effect.catchTag("SqlError", (cause) =>
      Effect.fail(
        new IntegrityError({
          message: `Migrating the registry failed: ${cause.message}. The registry was left unchanged; report this with the database version.`,
          cause
        })
      )
    )
  )
