/**
 * The embedded SQLite registry client: better-sqlite3 behind @effect/sql's `SqlClient`.
 *
 * Modelled on @effect/sql-sqlite-node's client, with what a registry shared by several
 * processes needs: WAL, a busy timeout, and write transactions that take the write lock up
 * front (`BEGIN IMMEDIATE`), so two processes never deadlock upgrading a read lock.
 *
 * @module
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import Database from "better-sqlite3"
import { makeDirectory } from "../storage/fileio.js"
import * as path from "node:path"
import { Effect, Layer, Runtime, Scope } from "effect"
import { StorageError } from "../errors.js"
import { makeShared, type SyncConnection } from "./sqliteSync.js"
import { writeBehindFor } from "./writeBehind.js"

/** Options of the embedded registry. */
export interface SqliteOptions {
  /** Database file, or `:memory:`. */
  readonly filename: string
  /** How long a writer waits for another process's lock before failing. Default 30 s. */
  readonly busyTimeoutMs?: number
}

type Statement = Database.Statement<Array<unknown>, unknown>

const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/

/**
 * The raw handle behind a SQLite `SqlClient`, for hot paths that run a few fixed statements
 * synchronously instead of one Effect per statement (the Tracker's run writes, see
 * `src/tracker/direct.ts`). Use it only through `directStatement`-style helpers that respect
 * the permit: inside a transaction of `connection`, or holding `semaphore`.
 */
export interface SqliteDirect extends SyncConnection {
  /** The connection @effect/sql runs this client's transactions on (to recognise them). */
  readonly connection: Connection
  /** Run `f` in a write transaction shared with concurrent fibers' (`sqliteSync.ts`' `makeShared`), or `behind`. */
  readonly shared: <A, E>(f: () => A, onThrow: (cause: unknown) => E, behind?: boolean) => Effect.Effect<A, E>
}

const directs = new WeakMap<SqlClient.SqlClient, SqliteDirect>()

/** The raw handle of a client made by this module; undefined for any other client (Postgres). */
export const sqliteDirect = (client: SqlClient.SqlClient): SqliteDirect | undefined => directs.get(client)

/** `refused`: why no statement may run any more (a write-behind commit failed), or undefined. */
const makeConnection = (db: Database.Database, refused: () => string | undefined): Connection & { readonly prepare: (sql: string) => Statement } => {
  const cache = new Map<string, Statement>()
  const prepare = (sql: string): Statement => {
    const why = refused()
    if (why !== undefined) throw new Error(why)
    let s = cache.get(sql)
    if (s === undefined) {
      s = db.prepare(sql)
      if (cache.size > 500) cache.clear()
      cache.set(sql, s)
    }
    return s
  }
  const run = (sql: string, readonlyParams: ReadonlyArray<unknown>, raw: boolean, prepared: boolean) =>
    Effect.try({
      try: () => {
        const params = readonlyParams as Array<unknown>
        const why = refused()
        if (why !== undefined) throw new Error(why)
        // Transaction control (BEGIN, COMMIT, savepoints) comes unprepared from @effect/sql but
        // repeats on every write: reuse its prepared statement too.
        const s: Statement = prepared || TRANSACTION_CONTROL.test(sql) ? prepare(sql) : db.prepare(sql)
        if (s.reader) return s.all(...params) as ReadonlyArray<object>
        const result = s.run(...params)
        return raw ? [result] : []
      },
      catch: (cause) => new SqlError({ cause, message: `Failed to execute statement: ${describeCause(cause)}` })
    })
  return {
    execute: (sql, params, transformRows) => {
      const rows = run(sql, params, false, true)
      return transformRows ? Effect.map(rows, (r) => transformRows(r)) : rows
    },
    executeRaw: (sql, params) => run(sql, params, true, true),
    executeValues: (sql, readonlyParams) =>
      Effect.try({
        try: () => {
          const params = readonlyParams as Array<unknown>
          const s = prepare(sql)
          if (!s.reader) {
            s.run(...params)
            return []
          }
          return s.raw(true).all(...params) as ReadonlyArray<ReadonlyArray<unknown>>
        },
        catch: (cause) => new SqlError({ cause, message: `Failed to execute statement: ${describeCause(cause)}` })
      }).pipe(Effect.ensuring(Effect.sync(() => {
        const s = cache.get(sql)
        if (s?.reader) s.raw(false)
      }))),
    executeUnprepared: (sql, params, transformRows) => {
      const rows = run(sql, params, false, false)
      return transformRows ? Effect.map(rows, (r) => transformRows(r)) : rows
    },
    executeStream: () => Effect.dieMessage("streaming is not supported by the SQLite client: page with limit/offset"),
    prepare
  } as Connection & { readonly prepare: (sql: string) => Statement }
}

const describeCause = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

let memoryDatabases = 0

/** What a database file is known as in this process (every in-memory database is its own). */
const fileKey = (filename: string): string => (filename === ":memory:" ? `:memory:${memoryDatabases++}` : path.resolve(filename))

/**
 * SQL functions SQLite lacks: `REGEXP` (`x REGEXP p`) and `lamina_iregexp(p, x)` (case-insensitive),
 * with JavaScript regular expressions in which `.` also matches newlines, as in Postgres.
 */
const registerFunctions = (db: Database.Database): void => {
  const cache = new Map<string, RegExp>()
  const regex = (pattern: string, flags: string): RegExp => {
    const key = flags + "/" + pattern
    let re = cache.get(key)
    if (re === undefined) {
      re = new RegExp(pattern, flags)
      if (cache.size > 256) cache.clear()
      cache.set(key, re)
    }
    return re
  }
  const test = (flags: string) => (pattern: unknown, value: unknown) =>
    pattern === null || value === null ? null : regex(String(pattern), flags).test(String(value)) ? 1 : 0
  db.function("regexp", { deterministic: true }, test("s"))
  db.function("lamina_iregexp", { deterministic: true }, test("si"))
}

/** Make a SQLite `SqlClient` scoped to the current scope; closes the database on release. */
export const make = (options: SqliteOptions) =>
  Effect.gen(function* () {
    const db = yield* Effect.try({
      try: () => {
        if (options.filename !== ":memory:") makeDirectory(path.dirname(path.resolve(options.filename)))
        return new Database(options.filename)
      },
      catch: (cause) =>
        new StorageError({
          message: `Cannot open the SQLite registry '${options.filename}': ${describeCause(cause)}. Check that the folder exists and is writable.`,
          path: options.filename,
          cause
        })
    })
    const runtime = yield* Effect.runtime<never>()
    const connection = makeConnection(db, () => behind.failure())
    // Fibers take turns on the connection; a transaction holds it until it ends. The permit is
    // shared by every client of the same file in this process: better-sqlite3 waits for a lock
    // synchronously, so a second connection blocking on a transaction that is suspended at an
    // await would freeze the event loop until the busy timeout. So is its write-behind transaction.
    const behind = writeBehindFor(fileKey(options.filename), {
      db,
      prepare: connection.prepare,
      lost: (cause) => Runtime.runFork(runtime)(Effect.logWarning(`Lamina could not commit the records of recent steps (${describeCause(cause)}); those steps will run again.`))
    })
    // Written-behind records commit before the connection closes.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        behind.flush()
        db.close()
      })
    )
    yield* Effect.try({
      try: () => {
        if (options.filename !== ":memory:") db.pragma("journal_mode = WAL")
        db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 30_000}`)
        db.pragma("synchronous = NORMAL")
        // Savepoints' journals in memory: a write-behind transaction's writes each run in one, and
        // one touching more than 64 KiB of pages (a run's insert does) went to a temporary file.
        db.pragma("temp_store = MEMORY")
        db.pragma("foreign_keys = ON")
      },
      catch: (cause) =>
        new StorageError({
          message: `'${options.filename}' is not a usable SQLite database: ${describeCause(cause)}`,
          path: options.filename,
          cause
        })
    })
    registerFunctions(db)
    const semaphore = behind.permit
    const acquirer = semaphore.withPermits(1)(Effect.succeed(connection))
    const transactionAcquirer = Effect.uninterruptibleMask((restore) =>
      Effect.as(
        Effect.zipRight(
          restore(semaphore.take(1)),
          Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, semaphore.release(1)))
        ),
        connection
      )
    )
    const client = yield* SqlClient.make({
      acquirer,
      transactionAcquirer,
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]],
      beginTransaction: "BEGIN IMMEDIATE"
    })
    const sync: SyncConnection = { db, semaphore, prepare: connection.prepare, behind }
    directs.set(client, { ...sync, connection, shared: makeShared(sync) })
    return client
  })

/** A layer providing `SqlClient` backed by an SQLite file. */
export const layer = (options: SqliteOptions): Layer.Layer<SqlClient.SqlClient, StorageError> =>
  Layer.scoped(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer))
