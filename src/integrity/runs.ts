/**
 * Dead runs: runs still `started` whose process is gone. A started run holds a lease its
 * process renews through the Tracker (`_lease_owner` = `host:pid`, `_lease_expires_at`); the
 * run is dead when its owner on this host no longer exists, or when the lease expired and the
 * owner cannot be asked (another host). `check` reports them; `--fix` ends them `aborted` with
 * the Tracker's `reapExpiredRuns` — the same thing the next flow or `ls run` would do.
 *
 * @module
 */
import { Effect } from "effect"
import { findExpiredRuns, reapExpiredRuns } from "../tracker/index.js"
import type { Problem } from "./problem.js"

/** A run whose process is gone. */
export interface DeadRun {
  readonly id: number
  readonly uid: string
  readonly name: string | null
  readonly startedAt: string | null
  /** Why it is considered dead. */
  readonly reason: string
}

/** Every run still open (started or scheduled, with a lease) whose process is gone: the Tracker's own test. */
export const findDeadRuns = Effect.map(findExpiredRuns, (runs) =>
  runs.map((r): DeadRun => ({ id: r.id, uid: r.uid, name: r.name, startedAt: r.startedAt === null ? null : r.startedAt.toISOString(), reason: r.reason }))
)

/** A dead run as a problem. */
export const deadRunProblem = (r: DeadRun): Problem => ({
  kind: "dead-run",
  subject: r.uid,
  message: `run ${r.uid}${r.name ? ` (${r.name})` : ""}, started ${r.startedAt ?? "at an unknown time"}, is still 'started' but ${r.reason}. 'lamina check --fix' (or the next flow) ends it 'aborted' and moves the artifacts it created to trash.`,
  repair: "fix"
})

/** End dead runs `aborted` (their claims dropped, their outputs to trash); the ids ended. */
export const endDeadRuns = reapExpiredRuns
