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
import { sqlFailure } from "../registry/crud.js"
import { decodeRow } from "../registry/model.js"
import { abortRuns } from "../registry/Run.js"
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

/**
 * End every run whose lease expired, or whose owner process on this host is gone, as `aborted`;
 * drop its cache claims and move the artifacts it created to trash. Runs of live processes on
 * this host are left alone even when late (a long synchronous step can delay a heartbeat).
 * Returns the ids of the runs it ended.
 */
export const reapExpiredRuns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // The partial index holds only open runs with a lease.
  const open = yield* sql<{ readonly id: number; readonly _lease_owner: string | null; readonly _lease_expires_at: string | Date }>`SELECT id, _lease_owner, _lease_expires_at FROM lamina_run WHERE _lease_expires_at IS NOT NULL`
  const now = Date.now()
  const ids = open
    .filter((r) => {
      const owner = ownerState(r._lease_owner)
      return owner === "dead" || (owner === "unknown" && new Date(r._lease_expires_at).getTime() < now)
    })
    .map((r) => Number(r.id))
  if (ids.length === 0) return ids
  yield* sql.withTransaction(
    Effect.zipRight(abortRuns(ids, REAPED_ERROR), sql`DELETE FROM lamina_run_claim WHERE ${sql.in("run_id", ids)}`)
  )
  const created = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE ${sql.in("run_id", ids)} AND branch <> -1`
  for (const row of created) yield* new Artifact(decodeRow(ArtifactModel, row)).delete()
  return ids
}).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Ending runs whose process stopped")(e))))
