/**
 * Plain-call transactions on the raw SQLite connection (`SqliteDirect`), for hot paths that run
 * a few fixed statements synchronously: the Tracker's run writes (`tracker/direct.ts`) and a
 * new artifact's registration (`registry/artifact/direct.ts`).
 *
 * `shared` commits the short write transactions of concurrent fibers together. On this project's
 * VM disk a commit costs ≈ 0.13 ms of CPU (WAL frame writes, locks), more than a small save's
 * whole registration; eight saves running side by side (`Effect.forEach(…, { concurrency: 8 })`)
 * paid it eight times.
 *
 * @module
 */
import { Cause, Effect, Exit } from "effect"
import { savepoint, type WriteBehind } from "./writeBehind.js"

/**
 * The parts of a better-sqlite3 statement the direct path uses. Structural on purpose: the
 * package's declarations must compile for consumers without better-sqlite3's own types.
 */
export interface DirectStatement {
  run(...params: Array<unknown>): unknown
  get(...params: Array<unknown>): unknown
  all(...params: Array<unknown>): Array<unknown>
}

/** What plain-call transactions need of a connection (`SqliteDirect` has it). */
export interface SyncConnection {
  /** The database handle (only its state is needed). */
  readonly db: { readonly inTransaction: boolean; readonly open: boolean }
  /**
   * The per-file permit every statement and transaction of this process takes; taking it commits
   * an open write-behind transaction first (`writeBehind.ts`).
   */
  readonly semaphore: Effect.Semaphore
  /** A prepared statement, cached per SQL text. */
  readonly prepare: (sql: string) => DirectStatement
  /** The connection's write-behind transaction (`writeBehind.ts`). */
  readonly behind: WriteBehind
}

/**
 * Whether another fiber's transaction is open on the connection (a write-behind transaction is
 * nobody's: a statement may join it).
 */
export const busySync = (d: SyncConnection): boolean => d.db.inTransaction && !d.behind.open()

/**
 * Run `f` between BEGIN IMMEDIATE and COMMIT, as plain calls; ROLLBACK and rethrow if anything
 * throws. The caller holds the connection's permit, outside any transaction but the connection's
 * write-behind one, which `f` joins and commits.
 */
export const transactionNowSync = <A>(d: SyncConnection, f: () => A): A => d.behind.now(f)

/**
 * Run `f` in a savepoint of the open transaction: if it throws, its statements are undone and
 * the rest of the transaction stands.
 */
export const savepointSync = <A>(d: SyncConnection, f: () => A): A => savepoint(d, f)

/** One queued write: runs its statements (recording its own value) or throws. */
interface Job {
  readonly run: () => void
  /** Its caller may go on before it commits (`writeBehind.ts`). */
  readonly behind: boolean
  exit?: Exit.Exit<void, unknown>
  resume?: (exit: Exit.Exit<void, unknown>) => void
}

/** Writes per transaction at most: a long queue commits in several. */
const MAX_BATCH = 64

/**
 * `shared(f)`: run `f` (synchronous statements, no transaction control of its own) in a write
 * transaction shared with the other `shared` writes queued in the same turn of the scheduler,
 * and succeed with its value once that transaction committed, or fail with what `f` threw
 * (its statements undone, the others' kept: each runs in a savepoint when the batch has several).
 *
 * The first write of a turn leads: it yields one turn, so the fibers running alongside it queue
 * theirs, then takes the connection's permit and commits the queue. A write alone costs that
 * one yield. If BEGIN or COMMIT fails, each write runs again in its own transaction, so every
 * caller gets its own outcome. A write `behind` (a short step's save) commits behind instead
 * (`writeBehind.ts`): its caller goes on once it is written in the open write-behind
 * transaction; with no batch gathering, it is written at once (no yield: its commit is shared
 * already, with the steps' records around it). Uninterruptible from queueing to outcome: a
 * caller interrupted while its write waits would otherwise undo work (its files) the batch then
 * commits rows for.
 */
export const makeShared = (d: SyncConnection) => {
  let queue: Array<Job> = []
  let leading = false

  const attempt = (f: () => void): Exit.Exit<void, unknown> => {
    try {
      return Exit.succeed(f())
    } catch (e) {
      return Exit.fail(e)
    }
  }

  const commit = (batch: ReadonlyArray<Job>): void => {
    const alone = (job: Job) => attempt(() => (job.behind ? d.behind.later(() => savepointSync(d, job.run)) : transactionNowSync(d, job.run)))
    let exits: Array<Exit.Exit<void, unknown>>
    if (batch.length === 1) exits = [alone(batch[0]!)]
    else if (batch.every((job) => job.behind))
      try {
        // The batch in a savepoint of its own too: if one fails to begin, none stays written behind.
        exits = d.behind.later(() => savepointSync(d, () => batch.map((job) => attempt(() => savepointSync(d, job.run)))))
      } catch {
        exits = batch.map(alone)
      }
    else
      try {
        exits = transactionNowSync(d, () => batch.map((job) => attempt(() => savepointSync(d, job.run))))
      } catch {
        // BEGIN or COMMIT failed: each write on its own, with its own outcome.
        exits = batch.map(alone)
      }
    batch.forEach((job, i) => {
      job.exit = exits[i]!
      job.resume?.(exits[i]!)
    })
  }

  const drain = Effect.sync(() => {
    while (queue.length > 0) {
      const batch = queue.length <= MAX_BATCH ? queue : queue.slice(0, MAX_BATCH)
      queue = queue.length <= MAX_BATCH ? [] : queue.slice(MAX_BATCH)
      commit(batch)
    }
    leading = false
  })

  return <A, E>(f: () => A, onThrow: (cause: unknown) => E, behind = false): Effect.Effect<A, E> =>
    Effect.uninterruptible(
      Effect.suspend(() => {
        let value: { readonly of: A } | undefined
        const job: Job = { run: () => void (value = { of: f() }), behind }
        const outcome = (exit: Exit.Exit<void, unknown>): Effect.Effect<A, E> =>
          Exit.isFailure(exit) ? Effect.fail(onThrow(Cause.squash(exit.cause))) : value === undefined ? Effect.dieMessage("a shared write ended without its value") : Effect.succeed(value.of)
        if (behind && !leading)
          return d.behind.joining.withPermits(1)(
            Effect.suspend(() => {
              commit([job])
              return outcome(job.exit!)
            })
          )
        queue.push(job)
        if (leading) return Effect.flatMap(Effect.async<Exit.Exit<void, unknown>>((resume) => void (job.resume = (exit) => resume(Effect.succeed(exit)))), outcome)
        leading = true
        // The joining permit: writes that go behind join an open write-behind transaction.
        return Effect.zipRight(Effect.yieldNow(), d.behind.joining.withPermits(1)(Effect.flatMap(drain, () => outcome(job.exit!))))
      })
    )
}
