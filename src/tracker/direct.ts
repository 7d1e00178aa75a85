/**
 * The Tracker's run writes on SQLite, run synchronously on the raw connection.
 *
 * Why: through @effect/sql each statement costs ~20–30 µs of CPU in Effect operations (compile,
 * permit, Effect.try, error mapping) and each transaction ~90 µs, while better-sqlite3 runs the
 * same statement in ~4 µs and a whole write transaction in ~6 µs. An executed step issues about a
 * dozen statements and two transactions, a cache hit one statement; this module runs them as
 * plain function calls, each group of them inside one Effect. Postgres keeps the Effect path.
 *
 * Every statement here runs either inside a transaction of the same connection (the group
 * commit's, recognised by @effect/sql's `TransactionConnection`) or holding the connection's
 * permit, exactly as @effect/sql would run it, so no other fiber's transaction is ever joined.
 * The SQL is the same as the Effect writers in `registry/Run.ts`, `registry/recreating.ts` and
 * `claims.ts` (the column values come from the same functions).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Exit } from "effect"
import { sqliteDirect, type SqliteDirect } from "../db/sqlite.js"
import { busySync, savepointSync, transactionNowSync } from "../db/sqliteSync.js"
import type { IntegrityError, StorageError } from "../errors.js"
import { directFailure, directSqlError } from "../db/failure.js"
import { encodeValue } from "../registry/model.js"
import type { SyncTransactions } from "./groupCommit.js"
import { finishValues, newRunUid, RunStatus, runValues, type NewRun, type RunEnd, type RunRef } from "../registry/Run.js"

/** Synchronous run writes over one SQLite connection. */
export interface Direct {
  /** Run `f` on the connection: inside the current transaction of it, else holding its permit. */
  readonly run: <A>(what: string, f: (d: SqliteDirect) => A) => Effect.Effect<A, StorageError | IntegrityError>
  /**
   * Run `f`, which only reads: like `run`, but without taking the permit when no transaction is
   * open on the connection (a read in WAL mode never waits for a lock, and a synchronous call
   * cannot interleave with another fiber).
   */
  readonly read: <A>(what: string, f: (d: SqliteDirect) => A) => Effect.Effect<A, StorageError | IntegrityError>
  /**
   * Run `effect` in a write transaction (BEGIN IMMEDIATE … COMMIT) on the connection, as
   * @effect/sql's `withTransaction` would (its statements and savepoints join it), with a few
   * Effect operations instead of a span, a scope and a fiber-local context per transaction.
   */
  readonly transaction: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
  /** Plain-call transactions and savepoints for the group commit's synchronous batches. */
  readonly sync: SyncTransactions
  /** The raw handle, for writes the group commit runs as plain calls inside its transaction. */
  readonly handle: SqliteDirect
  /** Whether a fiber with `context` may read on the connection now (what `read` checks before taking the permit). */
  readonly readable: (context: Context.Context<never>) => boolean
}

/** The direct writer for `client`, or undefined when it is not an SQLite client of `db/sqlite.ts`. */
export const makeDirect = (client: SqlClient.SqlClient): Direct | undefined => {
  const d = sqliteDirect(client)
  if (d === undefined) return undefined
  const inOurTransaction = (context: Context.Context<never>): boolean => {
    const tx = Context.getOption(context, SqlClient.TransactionConnection)
    return tx._tag === "Some" && tx.value[0] === d.connection
  }
  const run = <A>(what: string, f: (d: SqliteDirect) => A): Effect.Effect<A, StorageError | IntegrityError> =>
    Effect.withFiberRuntime((fiber) => {
      const body = Effect.try({ try: () => f(d), catch: directFailure(what) })
      return inOurTransaction(fiber.currentContext) ? body : d.semaphore.withPermits(1)(body)
    })
  // A transaction open on the connection that is not ours is another fiber's: wait for it (a
  // write-behind transaction is nobody's: a read joins it and sees its writes).
  const readable = (context: Context.Context<never>): boolean => !busySync(d) || inOurTransaction(context)
  const read = <A>(what: string, f: (d: SqliteDirect) => A): Effect.Effect<A, StorageError | IntegrityError> =>
    Effect.withFiberRuntime((fiber) => {
      const body = Effect.try({ try: () => f(d), catch: directFailure(what) })
      return readable(fiber.currentContext) ? body : d.semaphore.withPermits(1)(body)
    })
  const transaction = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
    Effect.withFiberRuntime((fiber) => {
      // Already in a transaction of this connection: a savepoint, as @effect/sql does it.
      if (inOurTransaction(fiber.currentContext)) return client.withTransaction(effect)
      return Effect.uninterruptibleMask((restore) =>
        d.semaphore.withPermits(1)(
          Effect.suspend(() => {
            try {
              d.prepare("BEGIN IMMEDIATE").run()
            } catch (cause) {
              return Effect.fail(directSqlError(cause))
            }
            return Effect.flatMap(
              Effect.exit(restore(Effect.provideService(effect, SqlClient.TransactionConnection, [d.connection, 0] as const))),
              (exit): Effect.Effect<A, E | SqlError> => {
                try {
                  d.prepare(Exit.isSuccess(exit) ? "COMMIT" : "ROLLBACK").run()
                } catch (cause) {
                  try {
                    if (d.db.inTransaction) d.prepare("ROLLBACK").run()
                  } catch {
                    // The connection rolled back by itself.
                  }
                  return Effect.fail(directSqlError(cause))
                }
                return exit
              }
            )
          })
        )
      )
    })
  const transactionSync = <A>(f: () => A): Effect.Effect<A, SqlError> =>
    Effect.withFiberRuntime((fiber) =>
      // Already in a transaction of this connection (whose fiber holds the permit): a savepoint.
      inOurTransaction(fiber.currentContext)
        ? Effect.try({ try: () => savepointSync(d, f), catch: directSqlError })
        : d.semaphore.withPermits(1)(Effect.try({ try: () => transactionNowSync(d, f), catch: directSqlError }))
    )
  return {
    run,
    read,
    transaction,
    sync: { transaction: transactionSync, now: (f) => transactionNowSync(d, f), later: (f) => d.behind.later(f), savepoint: (f) => savepointSync(d, f) },
    handle: d,
    readable
  }
}

// ---------------------------------------------------------------------------------------------
// The statements (synchronous; call them through `Direct.run`).

/** `insertRun` without feature values (callers with features take the Effect path). */
export const insertRunSync = (d: SqliteDirect, r: NewRun): RunRef => {
  const uid = r.uid ?? newRunUid()
  const values = runValues(r, uid)
  const cols = Object.keys(values)
  const row = d.prepare(`INSERT INTO lamina_run (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) RETURNING id`).get(...cols.map((c) => values[c])) as {
    readonly id: number
  }
  return { id: Number(row.id), uid }
}

/** `finishRun`. */
export const finishRunSync = (d: SqliteDirect, id: number, end: RunEnd): void => {
  const values = finishValues(end)
  const cols = Object.keys(values)
  // An errored run stays so (see `finishRun`): a withdrawal may have come before this completion.
  d.prepare(`UPDATE lamina_run SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE id = ? AND _status_code <> ${RunStatus.errored}`).run(...cols.map((c) => values[c]), id)
}

/** Link artifacts to a run (inputs, outputs or recreated), ignoring duplicates. */
export const linkSync = (
  d: SqliteDirect,
  table: "lamina_run_input_artifact" | "lamina_run_output_artifact" | "lamina_artifact_recreating_run",
  runId: number,
  artifactIds: Iterable<number>
): void => {
  const ids = new Set(artifactIds)
  if (ids.size === 0) return
  const insert = d.prepare(`INSERT INTO ${table} (run_id, artifact_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
  for (const id of ids) insert.run(runId, id)
}

/**
 * The newest completed run for `cacheKey` (`hitRunStatement` in cache.ts), only the columns a hit
 * check reads: materialising all ~34 columns of the row cost 15–30 µs against 4 µs for these.
 */
export const computedRunRowSync = (d: SqliteDirect, cacheKey: string) =>
  d.prepare("SELECT id, uid, _result, _cache_parts FROM lamina_run WHERE cache_key = ? AND _status_code = 0 ORDER BY id DESC LIMIT 1").get(cacheKey) as
    | { readonly id: number; readonly uid: string; readonly _result: unknown; readonly _cache_parts: unknown }
    | undefined

/** A key's claim row. */
export const readClaimSync = (d: SqliteDirect, cacheKey: string) =>
  d.prepare("SELECT run_id, owner, heartbeat_at FROM lamina_run_claim WHERE cache_key = ?").get(cacheKey) as
    | { readonly run_id: number; readonly owner: string; readonly heartbeat_at: string }
    | undefined

/** Take a key's claim for `runId`. */
export const insertClaimSync = (d: SqliteDirect, cacheKey: string, runId: number, owner: string): void => {
  const t = encodeValue("datetime", new Date())
  d.prepare("INSERT INTO lamina_run_claim (cache_key, run_id, owner, claimed_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)").run(cacheKey, runId, owner, t, t)
}

/** Release a key's claim held by `runId`. */
export const releaseClaimSync = (d: SqliteDirect, cacheKey: string, runId: number): void => {
  d.prepare("DELETE FROM lamina_run_claim WHERE cache_key = ? AND run_id = ?").run(cacheKey, runId)
}
