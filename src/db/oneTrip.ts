/**
 * A small transaction in one round trip, where the dialect has one (Postgres): the statements
 * joined into one simple query (`SqlDialect.oneTransaction`), which the server runs as one
 * implicit transaction, all or nothing, each statement reading a fresh snapshot (so one that
 * follows a lock sees what the lock's previous holder committed). A save of a new key, a step's
 * claim and a batch of run records (completions, cached runs) each take one round trip instead
 * of three to seven.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import { currentDialect } from "./dialect.js"
import { sqlDialect } from "./dialects/index.js"
import { isLockTimeout } from "./failure.js"
import type { Sql } from "./sql.js"

/**
 * How long a one-round-trip transaction waits for a lock before it gives up (writing nothing)
 * and leaves the work to the caller's interruptible transaction path: the bound on how long an
 * interruption can be kept waiting by another session's lock (a save inside a caller's long
 * transaction holds its key's lock until that commits). One-trip transactions hold their locks
 * for one round trip, so contention alone rarely waits this long.
 */
export const ONE_TRIP_LOCK_WAIT_MS = 1_000

/** Rows as the driver returns them, one array per statement. */
export type TripResults = ReadonlyArray<ReadonlyArray<Record<string, unknown>>>

/**
 * Run `statements` as one transaction in one round trip: their rows, one array per statement.
 * Undefined, with nothing written, where the dialect has no such thing (SQLite), inside an open
 * transaction, or when a lock wait outlasted `ONE_TRIP_LOCK_WAIT_MS`. Uninterruptible like a
 * COMMIT: an interruption waits for the outcome, so whatever runs next reads a settled registry
 * (a cancelled query could still commit after the caller moved on).
 */
export const inOneTrip = (statements: ReadonlyArray<Sql>): Effect.Effect<TripResults | undefined, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    // Inside a caller's transaction the statements would run in it, not as a transaction of their
    // own: a failure would abort it and `SET LOCAL` outlive the trip. The caller's path joins it.
    if (Option.isSome(yield* Effect.serviceOption(SqlClient.TransactionConnection))) return undefined
    const text = sqlDialect(yield* currentDialect).oneTransaction(statements, ONE_TRIP_LOCK_WAIT_MS)
    if (text === undefined) return undefined
    const sql = yield* SqlClient.SqlClient
    const results: ReadonlyArray<unknown> | undefined = yield* Effect.uninterruptible(
      sql.unsafe(text).pipe(Effect.catchIf(isLockTimeout, () => Effect.succeed(undefined)))
    )
    if (results === undefined) return undefined
    // The first result is the lock bound's `SET`.
    const own = results.slice(-statements.length)
    if (results.length !== statements.length + 1 || !own.every(Array.isArray)) {
      return yield* Effect.dieMessage(`expected ${statements.length + 1} results of a one-round-trip transaction, got ${results.length}`)
    }
    return own as TripResults
  })
