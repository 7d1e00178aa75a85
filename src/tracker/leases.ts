/**
 * Run leases: a started run carries a lease (`_lease_owner`, `_lease_expires_at`, migration 60)
 * that the Tracker's heartbeat renews while its process lives. A run left `started` by a process
 * that died (killed, crashed, host lost) is ended `aborted` by the next process that looks, and
 * the artifacts it created go to trash, as a failed run's do.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { deleteArtifact } from "../registry/artifact/remove.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow } from "../registry/model.js"
import { abortRuns, RunStatus } from "../registry/Run.js"
import { ownerState } from "./owner.js"

/** How long a lease lasts without renewal. */
export const LEASE_MS = 60_000
/** How often the heartbeat renews leases and claims. */
export const HEARTBEAT_MS = 10_000

/** The error recorded on a reaped run. */
export const REAPED_ERROR = {
  _tag: "StepFailed",
  message: "aborted: its process stopped (killed or crashed) before the run ended; its lease expired",
  aborted: true
} as const

/** An open run whose process is gone, and why that is known. */
export interface ExpiredRun {
  readonly id: number
  readonly uid: string
  readonly name: string | null
  readonly startedAt: Date | null
  readonly leaseOwner: string | null
  /** `its process host:pid is gone`, `its lease (held by …) expired N s ago`. */
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

/**
 * Why a lease says its run's process is gone, or undefined while it may live: its owner on this
 * host no longer exists, or the lease expired and the owner cannot be asked (another host).
 * Runs of live processes on this host are left alone even when late (a long synchronous step
 * can delay a heartbeat).
 */
const expiryOf = (owner: string | null, expiresAt: string | Date, now: number): string | undefined => {
  const state = ownerState(owner)
  if (state === "dead") return `its process ${owner} is gone`
  const expired = new Date(expiresAt).getTime()
  if (state === "unknown" && expired < now) return `its lease (held by ${owner ?? "an unknown process"}) expired ${Math.round((now - expired) / 1000)} s ago`
  return undefined
}

/** Every open run (started or scheduled, holding a lease) whose process is gone. */
export const findExpiredRuns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // The partial index holds only open runs with a lease.
  const open = yield* sql<OpenRunRow>`
    SELECT id, uid, name, started_at, _lease_owner, _lease_expires_at FROM lamina_run
    WHERE _lease_expires_at IS NOT NULL AND _status_code IN (${RunStatus.started}, ${RunStatus.scheduled})`
  const now = Date.now()
  return open.flatMap((r): Array<ExpiredRun> => {
    const reason = expiryOf(r._lease_owner, r._lease_expires_at, now)
    if (reason === undefined) return []
    return [{ id: Number(r.id), uid: r.uid, name: r.name, startedAt: r.started_at === null ? null : new Date(r.started_at), leaseOwner: r._lease_owner, reason }]
  })
}).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Looking for runs whose process stopped")(e))))

/**
 * End every run `findExpiredRuns` finds as `aborted`; drop its cache claims and move the
 * artifacts it created to trash. Returns the ids of the runs it ended.
 */
export const reapExpiredRuns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const ids = (yield* findExpiredRuns).map((r) => r.id)
  if (ids.length === 0) return ids
  yield* sql.withTransaction(
    Effect.zipRight(abortRuns(ids, REAPED_ERROR), sql`DELETE FROM lamina_run_claim WHERE ${sql.in("run_id", ids)}`)
  )
  const created = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE ${sql.in("run_id", ids)} AND branch <> -1`
  for (const row of created) yield* deleteArtifact(new Artifact(decodeRow(ArtifactModel, row)), false)
  return ids
}).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Ending runs whose process stopped")(e))))
