/**
 * Group commit: the run writes of concurrent steps share one transaction.
 *
 * A write is queued; the first one in leads: it yields one turn of the scheduler, so every
 * write queued meanwhile (concurrent steps finishing together) commits in the same transaction,
 * each in its own savepoint: a write that fails rolls back alone and fails only its own caller
 * (one that lost a deadlock on Postgres runs again on its own, once). Writes queued while a
 * batch commits form the next batch. A caller resumes only after its batch committed, so
 * nothing it reports as done can be lost.
 *
 * `defer` queues a write nobody waits for (a cache hit's `cached` run: lineage, not cache truth;
 * on SQLite a step's successful completion, whose outputs and run row committed before it):
 * it commits with whatever else is queued on the next timer turn (so
 * back-to-back hits, even from separate Promise calls, share one commit), and every later
 * `submit` commits after it (one FIFO queue), so a flow's completion is
 * never durable before the records of its cached steps. `settle` waits for the queue to drain
 * (the Tracker's scope runs it before the connection closes).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Cause, Deferred, Effect, Exit, Option, Runtime } from "effect"
import { sqlFailure } from "../registry/crud.js"
import { directFailure, isTransient } from "../db/failure.js"
import { inOneTrip, type TripResults } from "../db/oneTrip.js"
import type { Sql } from "../db/sql.js"
import type { IntegrityError, StorageError } from "../errors.js"

/** A group-committing writer over one registry connection. */
export interface GroupCommit {
  /** Run `write` in a transaction shared with the writes queued alongside it. */
  readonly submit: <A, E>(write: Effect.Effect<A, E, SqlClient.SqlClient>, options?: WriteOptions<A>) => Effect.Effect<A, E | StorageError | IntegrityError>
  /** Queue `write` without waiting for its commit (a failure is logged, not raised). */
  readonly defer: <A, E>(write: Effect.Effect<A, E, SqlClient.SqlClient>, what: string, options?: WriteOptions) => Effect.Effect<void>
  /**
   * `defer` as a plain call: queues `write` now and returns what the caller must still run to get
   * it committed (the timer's scheduling, or a full batch's commit), usually nothing.
   */
  readonly deferNow: <A, E>(write: Effect.Effect<A, E, SqlClient.SqlClient>, what: string, options?: WriteOptions) => Effect.Effect<void> | undefined
  /**
   * `submit` as a plain call, for a caller that holds the connection's permit outside any
   * transaction (SQLite's direct path): commits `write` now, in one transaction after the deferred
   * writes queued before it (the queue's order stands), and returns its exit, with what must still
   * run (warnings for queued writes that failed). Undefined, with nothing written, when it cannot:
   * a batch is being committed, a queued write has no plain form, or the transaction could not
   * begin or commit; then `submit` it. With `behind` (a caller holding the joining permit), the
   * writes go into the connection's write-behind transaction instead (`db/writeBehind.ts`).
   */
  readonly submitNow: <A>(write: NonNullable<WriteOptions["sync"]> & { readonly run: () => A }, atomic: boolean, behind?: boolean) =>
    | { readonly exit: Exit.Exit<A, StorageError | IntegrityError>; readonly after: Effect.Effect<void> }
    | undefined
  /** Wait until every deferred write queued so far has committed (free when none is pending). */
  readonly settle: Effect.Effect<void>
  /** Transactions committed and writes submitted so far (writes / commits = mean batch size). */
  readonly stats: () => { readonly commits: number; readonly writes: number }
}

/** How a write behaves inside a shared transaction. */
export interface WriteOptions<A = unknown> {
  /**
   * The write undoes its own statements when it fails (a synchronous write in its own savepoint,
   * `db/sqliteSync.ts`' `savepointSync`), so a batch runs it without an @effect/sql savepoint around it.
   */
  readonly atomic?: boolean
  /**
   * The same write as one synchronous call on the connection (SQLite's direct path). When every
   * write of a batch has one and the group commit was given `sync`, the batch runs them as plain
   * calls between BEGIN and COMMIT (each in a savepoint when the batch has several), with none of
   * the Effect operations of a transaction, a permit and a savepoint per write: ~150 Effect
   * operations per lone write before. `write` stays the fallback (a failed COMMIT retries each
   * write on its own through it). A throw is the write's failure, mapped by `directFailure`.
   */
  readonly sync?: { readonly run: () => unknown; readonly what: string }
  /**
   * The same write as statements. When every write of a batch has them, the batch goes as one
   * transaction in one round trip where the dialect has one (Postgres, `db/oneTrip.ts`) instead
   * of BEGIN, a round trip per statement and COMMIT. If that fails, nothing was written and the
   * batch runs the usual way, so a failing write still fails only its own caller. (After a
   * connection lost while the trip committed, it was written: completions run again harmlessly;
   * an insert by uid fails on its taken uid although its row is there — a started run's caller
   * then fails, and the run, never used, is reaped as aborted when its lease ends.)
   */
  readonly statements?: ReadonlyArray<Sql>
  /**
   * The write's value from its statements' rows (one array per statement, e.g. an id from
   * `RETURNING`), as `write` would return it; without it the value is undefined.
   */
  readonly fromRows?: (rows: TripResults) => A
}

/** Synchronous transactions on the connection (SQLite's direct path, `direct.ts`). */
export interface SyncTransactions {
  /** Run `f` between BEGIN IMMEDIATE and COMMIT holding the connection's permit (ROLLBACK if it throws). */
  readonly transaction: <A>(f: () => A) => Effect.Effect<A, SqlError>
  /** `transaction` as a plain call, for a caller already holding the permit outside any transaction; throws. */
  readonly now: <A>(f: () => A) => A
  /** `now`, committed behind (`db/writeBehind.ts`): for a caller holding the joining permit; throws. */
  readonly later: <A>(f: () => A) => A
  /** Run `f` in a savepoint of the open transaction: its statements are undone if it throws. */
  readonly savepoint: <A>(f: () => A) => A
}

interface Job {
  readonly write: Effect.Effect<unknown, unknown, SqlClient.SqlClient>
  readonly atomic: boolean
  readonly sync: WriteOptions["sync"]
  readonly statements: WriteOptions["statements"]
  readonly fromRows: WriteOptions["fromRows"]
  /** Undefined for a deferred write: nobody waits, a failure is logged with `what`. */
  readonly done: Deferred.Deferred<unknown, unknown> | undefined
  readonly what?: string
}

/** A write's value from its statements' rows; a throw fails that write alone, as a defect. */
const valueOfRows = (job: Job, rows: TripResults): Exit.Exit<unknown, unknown> => {
  if (job.fromRows === undefined) return Exit.void
  try {
    return Exit.succeed(job.fromRows(rows))
  } catch (e) {
    return Exit.die(e)
  }
}

/** A group commit for `sql`. */
export const makeGroupCommit = (
  sql: SqlClient.SqlClient,
  options: {
    readonly maxBatch: number
    /** How to open a batch's transaction (default `sql.withTransaction`; SQLite's direct path passes its own). */
    readonly transaction?: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | SqlError, R>
    /** Synchronous transactions for batches of `sync` writes (SQLite's direct path). */
    readonly sync?: SyncTransactions
  }
) =>
  Effect.gen(function* () {
    let queue: Array<Job> = []
    let flushing = false
    // A timer will commit the deferred writes queued so far (no leader has taken them yet).
    let scheduled = false
    let commits = 0
    let writes = 0
    // Deferred writes queued or in a batch that has not committed yet.
    let deferred = 0

    // Driver errors (a failed BEGIN or COMMIT) become Lamina's errors.
    const lamina = <A, E, R>(e: Effect.Effect<A, E, R>) =>
      Effect.catchIf(e, (x): x is Extract<E, SqlError> => x instanceof SqlError, (x) => Effect.fail(sqlFailure("Committing run records")(x)))
    const inTransaction = <A, E>(e: Effect.Effect<A, E, SqlClient.SqlClient>) =>
      lamina((options.transaction ?? sql.withTransaction)(e)).pipe(Effect.provideService(SqlClient.SqlClient, sql))

    const settleJob = (job: Job, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
      if (job.done !== undefined) return Deferred.done(job.done, exit)
      deferred--
      return Exit.isFailure(exit) ? Effect.logWarning(`Lamina could not record ${job.what ?? "a run"}: ${Cause.pretty(exit.cause).split("\n")[0] ?? ""}`) : Effect.void
    }

    /**
     * A write that lost a deadlock or a serialization conflict (Postgres) was undone to its
     * savepoint while the rest of its batch committed: run it again on its own, once, rather
     * than fail a step over another transaction's lock order.
     */
    const retryTransient = (job: Job, exit: Exit.Exit<unknown, unknown>): Effect.Effect<Exit.Exit<unknown, unknown>> =>
      Exit.isFailure(exit) && Option.exists(Cause.failureOption(exit.cause), isTransient) ? Effect.exit(inTransaction(job.write)) : Effect.succeed(exit)

    /** One write as a plain call, inside an open transaction: a failed one leaves nothing behind. */
    const runSync = <A>(tx: SyncTransactions, sync: { readonly run: () => A; readonly what: string }, atomic: boolean): Exit.Exit<A, StorageError | IntegrityError> => {
      try {
        return Exit.succeed(atomic ? sync.run() : tx.savepoint(sync.run))
      } catch (cause) {
        return Exit.fail(directFailure(sync.what)(cause))
      }
    }
    const runJobsSync = (tx: SyncTransactions, batch: ReadonlyArray<Job>) => batch.map((job) => runSync(tx, job.sync!, job.atomic))

    /** A batch of synchronous writes as plain calls in one transaction; undefined when it could not commit. */
    const runSyncBatch = (tx: SyncTransactions, batch: ReadonlyArray<Job>) =>
      Effect.map(Effect.exit(tx.transaction(() => runJobsSync(tx, batch))), (outer) => (Exit.isSuccess(outer) ? outer.value : undefined))

    const runBatch = (batch: ReadonlyArray<Job>) =>
      Effect.gen(function* () {
        commits++
        const tx = options.sync
        if (tx !== undefined && batch.every((job) => job.sync !== undefined)) {
          const exits = yield* runSyncBatch(tx, batch)
          if (exits !== undefined) {
            for (let i = 0; i < batch.length; i++) yield* settleJob(batch[i]!, exits[i]!)
            return
          }
          // BEGIN or COMMIT failed: each write on its own, below.
          for (const job of batch) yield* settleJob(job, yield* Effect.exit(inTransaction(job.write)))
          return
        }
        if (batch.every((job) => job.statements !== undefined)) {
          const statements = batch.flatMap((job) => job.statements!)
          // Nothing to write (`settle`'s marker alone): nothing to send.
          const trip = statements.length === 0 ? Exit.succeed([]) : yield* Effect.exit(inOneTrip(statements).pipe(Effect.provideService(SqlClient.SqlClient, sql)))
          if (Exit.isSuccess(trip) && trip.value !== undefined) {
            let at = 0
            for (const job of batch) {
              const rows = trip.value.slice(at, (at += job.statements!.length))
              yield* settleJob(job, valueOfRows(job, rows))
            }
            return
          }
        }
        if (batch.length === 1) {
          const job = batch[0]!
          yield* settleJob(job, yield* retryTransient(job, yield* Effect.exit(inTransaction(job.write))))
          return
        }
        // First all writes plainly in one transaction: no savepoint per write (on Postgres a
        // round trip each). Writes are re-runnable (see the retries below), so when one fails,
        // that transaction is rolled back whole and the batch runs again the careful way.
        const values: Array<unknown> = []
        const together = yield* Effect.exit(inTransaction(Effect.forEach(batch, (job) => Effect.map(job.write, (v) => values.push(v)), { discard: true })))
        if (Exit.isSuccess(together)) {
          for (let i = 0; i < batch.length; i++) yield* settleJob(batch[i]!, Exit.succeed(values[i]))
          return
        }
        const exits: Array<Exit.Exit<unknown, unknown>> = []
        // Each write in its own savepoint: one failure does not undo the others.
        const outer = yield* Effect.exit(
          inTransaction(Effect.forEach(batch, (job) => Effect.map(Effect.exit(lamina(job.atomic ? job.write : sql.withTransaction(job.write))), (x) => exits.push(x)), { discard: true }))
        )
        if (Exit.isSuccess(outer)) {
          for (let i = 0; i < batch.length; i++) yield* settleJob(batch[i]!, yield* retryTransient(batch[i]!, exits[i]!))
          return
        }
        // The commit itself failed: retry each write on its own.
        for (const job of batch) yield* settleJob(job, yield* Effect.exit(inTransaction(job.write)))
      })

    /** Commit what is queued, batch after batch, then stand down. */
    const drain: Effect.Effect<void> = Effect.gen(function* () {
      while (queue.length > 0) {
        const batch = queue.length <= options.maxBatch ? queue : queue.slice(0, options.maxBatch)
        queue = queue.length <= options.maxBatch ? [] : queue.slice(options.maxBatch)
        yield* runBatch(batch)
      }
      flushing = false
    }).pipe(Effect.withMaxOpsBeforeYield(1_000_000))

    // Let the fibers that are finishing in this turn queue their writes too.
    const flush = Effect.zipRight(Effect.yieldNow(), drain)

    const submit = <A, E>(write: Effect.Effect<A, E, SqlClient.SqlClient>, how?: WriteOptions<A>): Effect.Effect<A, E | StorageError | IntegrityError> =>
      Effect.flatMap(Deferred.make<unknown, unknown>(), (done) =>
        Effect.suspend(() => {
          queue.push({ write, done, atomic: how?.atomic === true, sync: how?.sync, statements: how?.statements, fromRows: how?.fromRows })
          writes++
          const wait = Deferred.await(done) as Effect.Effect<A, E | StorageError | IntegrityError>
          if (flushing) return wait
          // The first writer leads: it commits the batch (its own write and those queued meanwhile).
          flushing = true
          return Effect.zipRight(Effect.uninterruptible(flush), wait)
        })
      )

    const deferNow = <A, E>(write: Effect.Effect<A, E, SqlClient.SqlClient>, what: string, how?: WriteOptions): Effect.Effect<void> | undefined => {
      queue.push({ write, done: undefined, what, atomic: how?.atomic === true, sync: how?.sync, statements: how?.statements, fromRows: undefined })
      writes++
      deferred++
      if (flushing) return undefined
      // A long run of hits that never yields to a timer: its caller commits a full batch itself,
      // so the queue stays bounded.
      if (queue.length >= options.maxBatch) {
        flushing = true
        return Effect.uninterruptible(drain)
      }
      if (scheduled) return undefined
      // Nobody waits here: the batch commits on the next timer turn (so the records of back-to-back
      // hits share it), unless a `submit` or `submitNow` takes the queue first. A plain timer, which
      // makes a fiber (with the caller's fiber refs) only if the queue is still waiting then: in a
      // sequential flow the next step's claim takes it first, and a daemon fiber forked per step
      // cost ~30 µs.
      scheduled = true
      return Effect.map(Effect.runtime<never>(), (runtime) => {
        setTimeout(() => {
          scheduled = false
          if (flushing || queue.length === 0) return
          flushing = true
          Runtime.runFork(runtime)(Effect.uninterruptible(drain))
        }, 0)
      })
    }

    const submitNow = <A>(write: NonNullable<WriteOptions["sync"]> & { readonly run: () => A }, atomic: boolean, behind = false) => {
      const tx = options.sync
      // Not flushing: every queued write is a deferred one (a `submit` leads a batch as it queues).
      if (tx === undefined || flushing || queue.some((job) => job.sync === undefined || job.done !== undefined)) return undefined
      const batch = queue
      let done: { readonly queued: ReadonlyArray<Exit.Exit<unknown, StorageError | IntegrityError>>; readonly own: Exit.Exit<A, StorageError | IntegrityError> }
      try {
        const all = () => ({ queued: runJobsSync(tx, batch), own: runSync(tx, write, atomic) })
        // Behind: in a savepoint of its own, so that a throw leaves nothing of it written.
        done = behind ? tx.later(() => tx.savepoint(all)) : tx.now(all)
      } catch {
        // Rolled back: the queued writes stay queued.
        return undefined
      }
      queue = []
      commits++
      writes++
      // Deferred writes: counted off now; only a failure leaves something to run (its warning).
      const warnings = batch.map((job, i) => settleJob(job, done.queued[i]!)).filter((_, i) => Exit.isFailure(done.queued[i]!))
      return { exit: done.own, after: warnings.length === 0 ? Effect.void : Effect.all(warnings, { discard: true }) }
    }

    const defer = <A, E>(write: Effect.Effect<A, E, SqlClient.SqlClient>, what: string, how?: WriteOptions): Effect.Effect<void> =>
      Effect.suspend(() => deferNow(write, what, how) ?? Effect.void)

    // A no-op write queued last commits after everything queued before it.
    const settle: Effect.Effect<void> = Effect.suspend(() => (deferred === 0 ? Effect.void : Effect.ignore(submit(Effect.void, { atomic: true, sync: { run: () => undefined, what: "nothing" }, statements: [] }))))

    return { submit, submitNow, defer, deferNow, settle, stats: () => ({ commits, writes }) } satisfies GroupCommit
  }) satisfies Effect.Effect<GroupCommit>
