/**
 * Dead runs: runs still `started` whose process is gone. A run's owner (`host:pid`) is known
 * from the cache claim it holds; a dead pid on this host, or a heartbeat older than the claim's
 * staleness limit, means nobody will ever end it. `--fix` ends such runs `aborted`.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { STALE_AFTER_MS } from "../flow/singleFlight.js"
import { sqlFailure } from "../registry/crud.js"
import { abortRuns, RunStatus } from "../registry/Run.js"
import { pidAlive } from "./holders.js"
import * as os from "node:os"
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
  readonly owner: string | null
  readonly heartbeat_at: string | Date | null
}

const HOST = os.hostname()

/** Why an owner `host:pid` with its last heartbeat is dead, or undefined when it may be alive. */
const deathOf = (owner: string | null, heartbeat: string | Date | null, now: number): string | undefined => {
  if (owner !== null) {
    const at = owner.lastIndexOf(":")
    const pid = Number(owner.slice(at + 1))
    if (at > 0 && owner.slice(0, at) === HOST && Number.isInteger(pid)) return pidAlive(pid) ? undefined : `its process ${pid} on this host is gone`
  }
  if (heartbeat !== null && now - new Date(heartbeat).getTime() > STALE_AFTER_MS)
    return `its process on ${owner ?? "another host"} has not renewed its claim for ${Math.round((now - new Date(heartbeat).getTime()) / 1000)} s`
  return undefined
}

/** Every run still `started` whose process is gone. */
export const findDeadRuns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const open = yield* sql<OpenRunRow>`
    SELECT r.id, r.uid, r.name, r.started_at, c.owner, c.heartbeat_at
    FROM lamina_run r JOIN lamina_run_claim c ON c.run_id = r.id
    WHERE r._status_code = ${RunStatus.started}`
  const now = Date.now()
  return open.flatMap((r): Array<DeadRun> => {
    const reason = deathOf(r.owner, r.heartbeat_at, now)
    if (reason === undefined) return []
    const startedAt = r.started_at === null ? null : new Date(r.started_at).toISOString()
    return [{ id: Number(r.id), uid: r.uid, name: r.name, startedAt, reason }]
  })
}).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Looking for runs whose process stopped")(e))))

/** A dead run as a problem. */
export const deadRunProblem = (r: DeadRun): Problem => ({
  kind: "dead-run",
  subject: r.uid,
  message: `run ${r.uid}${r.name ? ` (${r.name})` : ""}, started ${r.startedAt ?? "at an unknown time"}, is still 'started' but ${r.reason}. 'lamina check --fix' ends it 'aborted'.`,
  repair: "fix"
})

/** End dead runs `aborted` and drop their claims; the ids ended. */
export const endDeadRuns = (runs: ReadonlyArray<DeadRun>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const ids = runs.map((r) => r.id)
    if (ids.length === 0) return ids
    yield* sql.withTransaction(
      Effect.zipRight(
        abortRuns(ids, { _tag: "StepFailed", message: "aborted by 'lamina check --fix': its process stopped before the run ended", aborted: true }),
        sql`DELETE FROM lamina_run_claim WHERE ${sql.in("run_id", ids)}`
      )
    )
    return ids
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Ending runs whose process stopped")(e))))
