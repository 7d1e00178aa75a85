/**
 * Dead runs: runs still `started` whose process is gone. A started run holds a lease its
 * process renews through the Tracker (`_lease_owner` = `host:pid`, `_lease_expires_at`); the
 * run is dead when its owner on this host no longer exists, or when the lease expired and the
 * owner cannot be asked (another host). `check` reports them; `--fix` ends them `aborted` with
 * the Tracker's `reapExpiredRuns` — the same thing the next flow or `ls run` would do.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../registry/crud.js"
import { RunStatus } from "../registry/Run.js"
import { ownerState, reapExpiredRuns } from "../tracker/index.js"
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

interface OpenRunRow {
  readonly id: number | string
  readonly uid: string
  readonly name: string | null
  readonly started_at: string | Date | null
  readonly _lease_owner: string | null
  readonly _lease_expires_at: string | Date
}

/** Why an open run's lease says it is dead (the criteria of `reapExpiredRuns`), or undefined. */
const deathOf = (r: OpenRunRow, now: number): string | undefined => {
  const owner = ownerState(r._lease_owner)
  if (owner === "dead") return `its process ${r._lease_owner} is gone`
  const expired = new Date(r._lease_expires_at).getTime()
  if (owner === "unknown" && expired < now) return `its lease (held by ${r._lease_owner ?? "an unknown process"}) expired ${Math.round((now - expired) / 1000)} s ago`
  return undefined
}

/** Every run still open (started or scheduled, with a lease) whose process is gone. */
export const findDeadRuns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const open = yield* sql<OpenRunRow>`
    SELECT id, uid, name, started_at, _lease_owner, _lease_expires_at FROM lamina_run
    WHERE _lease_expires_at IS NOT NULL AND _status_code IN (${RunStatus.started}, ${RunStatus.scheduled})`
  const now = Date.now()
  return open.flatMap((r): Array<DeadRun> => {
    const reason = deathOf(r, now)
    if (reason === undefined) return []
    const startedAt = r.started_at === null ? null : new Date(r.started_at).toISOString()
    return [{ id: Number(r.id), uid: r.uid, name: r.name, startedAt, reason }]
  })
}).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Looking for runs whose process stopped")(e))))

/** A dead run as a problem. */
export const deadRunProblem = (r: DeadRun): Problem => ({
  kind: "dead-run",
  subject: r.uid,
  message: `run ${r.uid}${r.name ? ` (${r.name})` : ""}, started ${r.startedAt ?? "at an unknown time"}, is still 'started' but ${r.reason}. 'lamina check --fix' (or the next flow) ends it 'aborted' and moves the artifacts it created to trash.`,
  repair: "fix"
})

/** End dead runs `aborted` (their claims dropped, their outputs to trash); the ids ended. */
export const endDeadRuns = reapExpiredRuns
