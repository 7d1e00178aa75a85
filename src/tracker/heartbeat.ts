/**
 * The heartbeat: one scoped fiber per Tracker renews the lease of every run this process has
 * open and the claim of every cache key it is computing — one UPDATE for all runs, one for all
 * claims, every `intervalMs`. The fiber runs only while something is held, on a timer that never
 * keeps a finished program alive, and stops with the Tracker's scope.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, FiberHandle, type Scope } from "effect"
import { encodeValue } from "../registry/model.js"

/** The heartbeat of one Tracker. */
export interface Heartbeat {
  /** Renew `runId`'s lease (and the claim on `claim`, when it computes a cache key) until released. */
  readonly hold: (runId: number, claim?: string) => Effect.Effect<void>
  /** Stop renewing `runId` (it ended). */
  readonly release: (runId: number) => Effect.Effect<void>
  /** Renew every held lease and claim now. */
  readonly beat: Effect.Effect<void>
  /** The runs held (for tests and diagnostics). */
  readonly held: () => ReadonlyMap<number, string | undefined>
}

/** Statements carry at most this many ids (SQLite's bound-parameter limit is 32,766). */
const CHUNK = 10_000

const chunks = <A>(xs: ReadonlyArray<A>): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK))
  return out
}

/**
 * Wait `ms` on a timer that does not keep the process alive: a program whose work is done exits
 * even while the heartbeat waits for its next beat (it then ends at that beat, nothing held).
 */
const idle = (ms: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    timer.unref()
    return Effect.sync(() => clearTimeout(timer))
  })

/** A heartbeat renewing leases for `leaseMs` every `intervalMs`. */
export const makeHeartbeat = (sql: SqlClient.SqlClient, options: { readonly intervalMs: number; readonly leaseMs: number }) =>
  Effect.gen(function* () {
    const runs = new Map<number, string | undefined>()
    const handle = yield* FiberHandle.make<void, never>()

    /**
     * `column IN ids`, on Postgres only the rows no other transaction holds. A row locked by a
     * group-commit batch is being completed or released there; waiting for it while holding
     * the rows already renewed deadlocks with that batch (its next completion wants one of
     * them), and Postgres then aborts one side, possibly the batch. Skipping it loses nothing.
     * SQLite has no row locks (one writer at a time): plain `IN`.
     */
    const unlocked = (table: string, column: string, ids: ReadonlyArray<number>) =>
      sql.onDialectOrElse({
        pg: () => sql`${sql(column)} IN (SELECT ${sql(column)} FROM ${sql(table)} WHERE ${sql.in(column, ids)} FOR UPDATE SKIP LOCKED)`,
        orElse: () => sql.in(column, ids)
      })

    const beat: Effect.Effect<void> = Effect.suspend(() => {
      if (runs.size === 0) return Effect.void
      const runIds = [...runs.keys()]
      const claimed = runIds.filter((id) => runs.get(id) !== undefined)
      const now = Date.now()
      const expires = encodeValue("datetime", new Date(now + options.leaseMs))
      const at = encodeValue("datetime", new Date(now))
      return Effect.all(
        [
          ...chunks(runIds).map((ids) =>
            sql`UPDATE lamina_run SET _lease_expires_at = ${expires} WHERE ${unlocked("lamina_run", "id", ids)} AND _lease_expires_at IS NOT NULL`
          ),
          ...chunks(claimed).map((ids) => sql`UPDATE lamina_run_claim SET heartbeat_at = ${at} WHERE ${unlocked("lamina_run_claim", "run_id", ids)}`)
        ],
        { discard: true }
      ).pipe(
        // A missed beat is not fatal: the lease lasts several intervals.
        Effect.catchAll((e) => Effect.logWarning(`Lamina could not renew its run leases (will retry): ${e.message}`))
      )
    })

    // Whether the loop fiber runs (checked on every hold: the step hot path).
    let beating = false

    // Beats while something is held; it decides to stop and clears `beating` in one step, so a
    // hold either sees it running or starts the next one. (Stopping it from `release` raced with
    // a `hold` in between: a loop left running with nothing held kept a finished program alive,
    // and a hold could find no loop at all.)
    const loop = Effect.zipRight(idle(options.intervalMs), beat).pipe(
      Effect.repeat({
        while: () => {
          if (runs.size > 0) return true
          beating = false
          return false
        }
      })
    )

    const hold = (runId: number, claim?: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        runs.set(runId, claim)
        if (beating) return Effect.void
        beating = true
        // A loop still in the handle has decided to stop: replaced.
        return Effect.asVoid(FiberHandle.run(handle, loop))
      })

    const release = (runId: number): Effect.Effect<void> => Effect.sync(() => void runs.delete(runId))

    return { hold, release, beat, held: () => runs } satisfies Heartbeat
  }) satisfies Effect.Effect<Heartbeat, never, Scope.Scope>
