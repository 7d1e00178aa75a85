/**
 * The engine's write path: the `Tracker` service (runs, transforms, inputs and outputs, cache
 * lookups, single-flight claims, run leases, group commit) and the encodings it stores (canonical
 * params and results, cache keys and parts).
 *
 * ```ts
 * const tracker = yield* Tracker
 * const run = yield* tracker.startRun({ ... })        // an open run with a lease
 * yield* tracker.completeRun({ runId: run.id, inputs: [], end: { status: RunStatus.completed, finishedAt: new Date() } })
 * ```
 *
 * @module
 */
export { Tracker, layer, make, type Completion, type Flight, type StoredFingerprint, type TrackerError, type TrackerOptions } from "./Tracker.js"
export type { FinishedContext, FinishedLinks, FinishedRun, FinishedRuns } from "./finished.js"
export { findExpiredRuns, type ExpiredRun, reapExpiredRuns, LEASE_MS, HEARTBEAT_MS, REAPED_ERROR } from "./leases.js"
export { type Start, STALE_AFTER_MS } from "./claims.js"
export { type Hit, type Refusal, isHit, validateHit } from "./cache.js"
export type { Heartbeat } from "./heartbeat.js"
export type { GroupCommit } from "./groupCommit.js"
export { OWNER, ownerState } from "./owner.js"
