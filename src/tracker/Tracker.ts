/**
 * `Tracker`: the engine's one write path. flow, step and track (and the adapters and runners
 * built on them) write runs, transforms, inputs and outputs, look up the cache and take
 * single-flight claims only through this service; it holds what used to be module-level state
 * keyed by connection (transform rows, the environment artifact, in-flight keys, stored code
 * fingerprints) and the scoped heartbeat fiber that renews run leases and claims.
 *
 * `layer` is part of `Lamina.layer`: programs never provide it themselves.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, Deferred, Effect, Exit, type FiberId, Layer, Option, type Scope } from "effect"
import type { IntegrityError, InvalidArgument, StorageError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { storedIn, type StoredState } from "../registry/artifact/stored.js"
import { deleteArtifact } from "../registry/artifact/remove.js"
import { addRunCollectionInputs } from "../registry/Collection.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow, encodeValue } from "../registry/model.js"
import { addRecreatingRun } from "../registry/recreating.js"
import { abortRuns, addRunInputs, addRunOutputs, finishRun, finishRunStatement, insertRun, insertRunSql, linkStatement, newRunUid, runByUid, type NewRun, type RunEnd, type RunRef } from "../registry/Run.js"
import { sql as q, type Sql } from "../db/sql.js"
import { ensureTransform, type Transform, type TransformSpec } from "../registry/Transform.js"
import { hashString } from "../storage/hash.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { checkStored, decodeChecked, type Hit, isHit, lookupHit, lookupHitDirect, lookupHitSync, type Refusal, type StoredCheck } from "./cache.js"
import { awaitClaim, claimAndStart, claimAndStartDirectSlow, claimAndStartReserved, claimInOneTrip, claimSync, holdAttempt, releaseClaim, releaseClaimStatement, STALE_AFTER_MS, type Start } from "./claims.js"
import { busySync, savepointSync } from "../db/sqliteSync.js"
import { type Direct, finishRunSync, insertRunSync, linkSync, makeDirect, releaseClaimSync } from "./direct.js"
import type { SqliteDirect } from "../db/sqlite.js"
import { type FinishedRuns, recordFinishedRuns } from "./finished.js"
import { type GroupCommit, makeGroupCommit } from "./groupCommit.js"
import { type Heartbeat, makeHeartbeat } from "./heartbeat.js"
import { HEARTBEAT_MS, LEASE_MS, reapExpiredRuns } from "./leases.js"
import { OWNER } from "./owner.js"
import { envMs, trackerOptionsProblem, type TrackerOptions } from "./options.js"

export type { TrackerOptions } from "./options.js"

/** Errors of the Tracker's registry writes. */
export type TrackerError = StorageError | IntegrityError

/** How a run ends, as the Tracker records it (in one transaction). */
export interface Completion {
  readonly runId: number
  /** Artifacts the run read (arguments and loads), excluding those it created. */
  readonly inputs: ReadonlyArray<number>
  readonly end: RunEnd
  /** Returned artifacts the run did not create (its output links). */
  readonly outputs?: ReadonlyArray<number>
  /** Existing artifacts whose bytes the run saved again (recreating-run links). */
  readonly recreated?: ReadonlyArray<number>
  /** The cache key whose claim the completion releases. */
  readonly releaseClaim?: string
  /**
   * Fail with this error, writing nothing, unless the run still holds `releaseClaim`'s claim:
   * a runner's attempt that another runner took over while it ran (src/cluster/attempt.ts).
   */
  readonly claimLost?: IntegrityError
  /**
   * Fail with `lost`, writing nothing, unless dispatch row `dispatch` still names this run: an
   * uncached call's attempt, which holds no claim (src/cluster/attempt.ts). Checked first, the
   * row locked, in the completing transaction.
   */
  readonly attempt?: { readonly dispatch: string; readonly lost: IntegrityError }
  /**
   * The caller does not wait for the commit (a step that succeeded): on SQLite the completion is
   * written behind like a `cached` run, and commits with the next write of this Tracker (the next
   * step's claim) or on the next timer turn. A kill in between loses only that record: the run
   * stays `started` and is reaped, and the step reruns. Ignored on Postgres.
   */
  readonly behind?: boolean
}

/** A completion's writes as statements, in `completeRun`'s order (one without a dispatch row or a lost claim to check). */
const completionStatements = (c: Completion): ReadonlyArray<Sql> =>
  [
    linkStatement("lamina_run_input_artifact", c.runId, c.inputs),
    linkStatement("lamina_artifact_recreating_run", c.runId, c.recreated ?? []),
    linkStatement("lamina_run_output_artifact", c.runId, c.outputs ?? []),
    finishRunStatement(c.runId, c.end),
    c.releaseClaim !== undefined ? releaseClaimStatement(c.releaseClaim, c.runId) : undefined
  ].filter((s): s is Sql => s !== undefined)

/** A code fingerprint as stored (`lamina_code_fingerprint`). */
export interface StoredFingerprint {
  readonly hash: string
  readonly files: Readonly<Record<string, string>>
  readonly packages: Readonly<Record<string, string>>
}

/** In-process single flight for one cache key: lead the computation, or wait for the leader. */
export type Flight =
  | { readonly _tag: "leader"; /** Let the waiters go (the leader's run ended, however). */ readonly land: Effect.Effect<void> }
  | { readonly _tag: "follower"; /** Wait for the leader to land. */ readonly wait: Effect.Effect<void> }

/**
 * The plain-call forms of what a cache hit and an executed call need, on SQLite's direct path: a
 * step call answered from the cache runs them within its caller's turn (`src/flow/hitNow.ts`), an
 * executed one around its body (`src/flow/executeNow.ts`), not as dozens of Effect operations.
 * Each answers only what is at hand; undefined sends the caller to the Effect path.
 */
export interface TrackerNow {
  /** The transform `ensureTransform` remembered for `key` and source `hash`. */
  readonly transform: (key: string, hash: string) => Transform | undefined
  /** The environment artifact id, once `environmentId` has it. */
  readonly environmentId: () => number | undefined
  /**
   * `lookupHit` as a plain call by a fiber with `context`: undefined when it cannot read now
   * (another fiber's transaction is open on the connection) or the read failed (the Effect path
   * then reports it).
   */
  readonly lookupHit: (cacheKey: string, context: Context.Context<never>) => { readonly found: Hit | Refusal | undefined } | undefined
  /** `recordCached` as a plain call: the uid, and what must still run to commit it (`GroupCommit.deferNow`). */
  readonly recordCached: (run: NewRun, inputs: ReadonlyArray<number>) => { readonly uid: string; readonly flush: Effect.Effect<void> | undefined }
  /** Whether `recordFingerprint` already stored the fingerprint `hash`. */
  readonly fingerprintKnown: (hash: string) => boolean
  /**
   * Whether the last executed call of transform `transformId` in this process took less than
   * `TrackerOptions.shortCallMs` from its claim to its completion (none yet: false), so its next call's records
   * may commit behind (`db/writeBehind.ts`) without holding the write lock long.
   */
  readonly short: (transformId: number) => boolean
  /** Remember how long an executed call of transform `transformId` took (`short`). */
  readonly took: (transformId: number, ms: number) => void
  /**
   * `joinFlight` as a plain call, for a leader only: `land` lets later callers of the key in; undefined
   * when another call of this process is computing the key (join it through `joinFlight`).
   */
  readonly lead: (cacheKey: string, fiber: FiberId.FiberId) => { readonly land: () => void } | undefined
  /**
   * `claimAndStart` for the call of fiber `caller`, which runs inside `ancestors` open runs of its
   * own (its flow's, enclosing steps'); only a `claimed` start, with its claim held by the
   * heartbeat. Undefined, with nothing written by this call, for anything else: a hit or a busy
   * claim found under the lock, a stale claim, feature values, the permit held, a failure (the
   * Effect path then decides).
   *
   * A call alone — the previous claim came from the same fiber and no other run of this process
   * is open, as in a sequential flow — commits within the call (`GroupCommit.submitNow`, when the
   * connection's permit is free and no transaction is open on it). Any other (a fan-out's calls,
   * however short their bodies) joins the group commit's batch, which the calls starting
   * alongside it share: committing each alone cost concurrent no-op steps a third of their rate.
   * With `behind` (a short step's call, `db/writeBehind.ts`), a call alone commits behind: with the
   * next calls' records, on the next turn of the event loop at the latest.
   */
  readonly claimAndStart: (
    cacheKey: string,
    run: NewRun,
    caller: FiberId.Runtime,
    ancestors: number,
    behind: boolean
  ) => Effect.Effect<Extract<Start, { readonly _tag: "claimed" }> | undefined, TrackerError>
}

/** The Tracker service. */
export interface Tracker {
  /** The transform for `spec` (found or created), remembered per key and source hash. */
  readonly ensureTransform: (spec: TransformSpec) => Effect.Effect<Transform, TrackerError>
  /** Insert an open run (status `started`) holding a lease that the heartbeat renews. */
  readonly startRun: (run: NewRun) => Effect.Effect<RunRef, TrackerError>
  /**
   * In one transaction under the cache key's lock: a hit, someone else's live claim, or a new
   * open run holding the key's claim (renewed with its lease).
   */
  readonly claimAndStart: (cacheKey: string, run: NewRun) => Effect.Effect<Start, TrackerError>
  /** Wait until the key's claim is released or abandoned. */
  readonly awaitClaim: (cacheKey: string) => Effect.Effect<void, TrackerError>
  /** Join the in-process flight of `cacheKey`. */
  readonly joinFlight: (cacheKey: string) => Effect.Effect<Flight>
  /**
   * Record a `cached` run (finished, reusing `run.reusedRunId`) with its inputs; returns its uid.
   * The row is written behind (the group commit's `defer`): it commits with the next batch,
   * before any later write of this Tracker (so before the enclosing flow's completion) and
   * before the Tracker's scope closes. A kill in between loses only that lineage record; no
   * cache decision reads it.
   */
  readonly recordCached: (run: NewRun, inputs: ReadonlyArray<number>) => Effect.Effect<{ readonly uid: string }>
  /**
   * Record how a run ended: inputs, outputs, status and result, claim release — one commit, shared
   * with concurrent completions (or, with `behind` on SQLite, with the next write: see `Completion`).
   */
  readonly completeRun: (completion: Completion) => Effect.Effect<void, TrackerError>
  /** Record collections the run read as its inputs (`lamina_run_input_collection`), in the group commit. */
  readonly addCollectionInputs: (runId: number, collectionIds: ReadonlyArray<number>) => Effect.Effect<void, TrackerError>
  /**
   * Record runs that already ended elsewhere (an ingested workflow launch) with the artifacts
   * they created and their links, in one transaction: all or nothing. No lease or claim. The
   * run ids, in `batch.runs` order.
   */
  readonly recordFinishedRuns: <E>(batch: FinishedRuns<E>) => Effect.Effect<ReadonlyArray<number>, TrackerError | E>
  /** End runs still open among `ids` as aborted, with `error`. */
  readonly abortRuns: (ids: ReadonlyArray<number>, error: unknown) => Effect.Effect<void, TrackerError>
  /**
   * Move every live artifact a failed run created (its `run_id`) to trash: found by the column,
   * not by what the run's body heard back, so a save interrupted just after its commit is not missed.
   */
  readonly trashRunOutputs: (runId: number) => Effect.Effect<void, TrackerError>
  /** The usable cache hit for `cacheKey`; else why its newest run was refused, if any. */
  readonly lookupHit: (cacheKey: string) => Effect.Effect<Hit | Refusal | undefined, TrackerError>
  /** Store a code fingerprint's files and packages once per process. */
  readonly recordFingerprint: (fp: StoredFingerprint) => Effect.Effect<void, TrackerError>
  /**
   * This process's environment artifact id: `save` runs once per Tracker (concurrent callers
   * wait for it), later calls return the remembered id.
   */
  readonly environmentId: <E, R>(save: Effect.Effect<number, E, R>) => Effect.Effect<number, E, R>
  /** End runs whose lease expired or whose process is gone (see `leases.ts`); their ids. */
  readonly reapExpiredRuns: Effect.Effect<ReadonlyArray<number>, TrackerError>
  /** The heartbeat (renews leases and claims; `beat` renews now). */
  readonly heartbeat: Heartbeat
  /** The group commit carrying run writes (its `stats` show how many shared a transaction). */
  readonly group: GroupCommit
  /**
   * True on the embedded SQLite registry, where lookups and run writes are synchronous calls on
   * one connection (`direct.ts`): no connection pool to exhaust, so the local executor skips its
   * admission gate.
   */
  readonly embedded: boolean
  /** Plain-call forms for cache hits and executed calls (SQLite's direct path; undefined on Postgres). */
  readonly now: TrackerNow | undefined
}

/** The `Tracker` service tag. */
export const Tracker = Context.GenericTag<Tracker>("lamina/Tracker")

/**
 * A call shorter than this may commit its next call's records behind (`TrackerNow.short`): the
 * write lock is held across such a body at most about this long (default; `LAMINA_SHORT_CALL_MS`).
 */
export const SHORT_CALL_MS = 5

/** Build a Tracker over the connected instance; its heartbeat and flushes live in the scope. */
export const make = (options: TrackerOptions = {}): Effect.Effect<Tracker, InvalidArgument, SqlClient.SqlClient | Instance | ObjectStore | Scope.Scope> =>
  Effect.gen(function* () {
    const problem = trackerOptionsProblem(options)
    if (problem !== undefined) return yield* problem
    const sql = yield* SqlClient.SqlClient
    const context = yield* Effect.context<SqlClient.SqlClient | Instance | ObjectStore>()
    const leaseMs = options.leaseMs ?? envMs("LAMINA_RUN_LEASE_MS") ?? LEASE_MS
    const shortCallMs = options.shortCallMs ?? envMs("LAMINA_SHORT_CALL_MS", true) ?? SHORT_CALL_MS
    const staleClaimMs = options.staleClaimMs ?? STALE_AFTER_MS
    const heartbeat = yield* makeHeartbeat(sql, { leaseMs, intervalMs: Math.min(options.heartbeatMs ?? HEARTBEAT_MS, leaseMs / 3) })
    // SQLite: run writes and lookups as plain calls on the connection (see direct.ts).
    const direct = makeDirect(sql)
    const group = yield* makeGroupCommit(sql, { maxBatch: options.maxBatch ?? 256, ...(direct !== undefined ? { transaction: direct.transaction, sync: direct.sync } : {}) })
    // Written-behind records commit before the connection closes.
    yield* Effect.addFinalizer(() => group.settle)
    // SQLite: claims join the group commit too (BEGIN IMMEDIATE serializes whole batches). Not
    // on Postgres: two processes' batches taking advisory locks on keys in different orders
    // could deadlock.
    const instance = yield* Instance
    const batchClaims = instance.dialect === "sqlite"
    // Hits check that the bytes of the outputs they return are still in storage: in a local
    // folder within the hit's reads (a stat each); on S3 with a HEAD each before a hit is used.
    // A claim under SQLite's lock cannot wait for S3: it refuses what the last HEADs found gone.
    const store = yield* ObjectStore
    const local = storedIn(store, instance.storage.id)
    const unstoredSeen = new Map<string, StoredState>()
    const stored: StoredCheck = local ?? ((a) => unstoredSeen.get(a.uid))
    const checkedRemotely = (found: Hit | Refusal | undefined) =>
      local !== undefined || !isHit(found) ? Effect.succeed(found) : checkStored(store, instance.storage.id, found, unstoredSeen)
    const withLease = (run: NewRun): NewRun => ({ ...run, lease: { owner: OWNER, expiresAt: new Date(Date.now() + leaseMs) } })
    const provided = <A, E>(e: Effect.Effect<A, E, SqlClient.SqlClient | Instance | ObjectStore>): Effect.Effect<A, E> => Effect.provide(e, context)
    // A run row, directly on SQLite (feature values take the Effect path: they write label links).
    const insert = (run: NewRun) =>
      direct !== undefined && run.features === undefined ? direct.run("Saving a Run", (d) => insertRunSync(d, run)) : insertRun(run)
    /**
     * A group-commit write that is one synchronous call `f` on SQLite's direct path: submitted
     * with its plain-call form too (see `WriteOptions.sync`); `atomic` when `f` undoes itself.
     */
    const directWrite = <A>(d: Direct, what: string, f: (h: SqliteDirect) => A, atomic: boolean) => ({
      write: d.run(what, f),
      options: { atomic, sync: { run: () => f(d.handle), what } }
    })
    const link = (table: "lamina_run_input_artifact", runId: number, ids: ReadonlyArray<number>) =>
      direct !== undefined ? direct.run("Linking artifacts to a Run", (d) => linkSync(d, table, runId, ids)) : addRunInputs(runId, ids)

    // Layer state (formerly module-level maps keyed by connection).
    const transforms = new Map<string, Transform>()
    const flights = new Map<string, Deferred.Deferred<void>>()
    const fingerprints = new Set<string>()
    // Transforms whose last executed call here was short (`TrackerNow.short`).
    const shortCalls = new Set<number>()
    // The fiber of the last call that claimed through `now.claimAndStart` (see there).
    let lastClaimer = -1
    /** Lead `cacheKey`'s flight for `fiber` (check and register in one synchronous step), unless another call leads it. */
    const leadFlight = (cacheKey: string, fiber: FiberId.FiberId): { readonly land: () => void } | undefined => {
      if (flights.has(cacheKey)) return undefined
      const mine = Deferred.unsafeMake<void>(fiber)
      flights.set(cacheKey, mine)
      return {
        land: () => {
          if (flights.get(cacheKey) === mine) flights.delete(cacheKey)
          Deferred.unsafeDone(mine, Exit.void)
        }
      }
    }
    let environment: number | undefined
    const environmentLock = yield* Effect.makeSemaphore(1)
    // The first calls of a new step start together (a fan-out): one of them writes its fingerprint.
    const fingerprintLock = yield* Effect.makeSemaphore(1)
    const insertFingerprint = (fp: StoredFingerprint) =>
      sql`INSERT INTO lamina_code_fingerprint ${sql.insert({
        hash: fp.hash,
        files: encodeValue("json", fp.files),
        packages: encodeValue("json", fp.packages),
        created_at: encodeValue("datetime", new Date())
      })} ON CONFLICT DO NOTHING`.pipe(
        Effect.zipRight(Effect.sync(() => fingerprints.add(fp.hash))),
        Effect.asVoid,
        Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Recording a code fingerprint")(e)))
      )

    /** A `cached` run's write, for `group.defer`. */
    const cachedRecord = (run: NewRun, inputs: ReadonlyArray<number>) => {
      const uid = run.uid ?? newRunUid()
      const what = `the cached run ${uid}`
      const cached = { ...run, uid }
      // SQLite: one synchronous write in its own savepoint (no Effect savepoint per record in a batch).
      if (direct !== undefined && run.features === undefined) {
        const w = directWrite(direct, "Saving a Run", (d) => savepointSync(d, () => linkSync(d, "lamina_run_input_artifact", insertRunSync(d, cached).id, inputs)), true)
        return { uid, what, write: w.write as Effect.Effect<unknown, TrackerError, SqlClient.SqlClient>, options: w.options }
      }
      const write = insert(cached)
      // Postgres: the same writes as statements (a batch of records in one round trip).
      const statements = run.features === undefined ? [insertRunSql(cached, uid), linkStatement("lamina_run_input_artifact", runByUid(uid), inputs)].filter((s): s is Sql => s !== undefined) : undefined
      return { uid, what, write: inputs.length === 0 ? write : Effect.tap(write, (ref) => link("lamina_run_input_artifact", ref.id, inputs)), options: statements !== undefined ? { statements } : undefined }
    }
    const now: TrackerNow | undefined =
      direct === undefined
        ? undefined
        : {
            transform: (key, hash) => transforms.get(`${key}\u0000${hash}`),
            environmentId: () => environment,
            lookupHit: (cacheKey, context) => {
              if (!direct.readable(context)) return undefined
              try {
                const found = decodeChecked(lookupHitSync(direct.handle, cacheKey, local))
                // A hit on S3 waits for its HEADs: the Effect path (`lookupHit`) checks it.
                return local === undefined && isHit(found) && found.outputs.length > 0 ? undefined : { found }
              } catch {
                return undefined
              }
            },
            recordCached: (run, inputs) => {
              const r = cachedRecord(run, inputs)
              return { uid: r.uid, flush: group.deferNow(r.write, r.what, r.options) }
            },
            fingerprintKnown: (hash) => fingerprints.has(hash),
            short: (transformId) => shortCalls.has(transformId),
            took: (transformId, ms) => void (ms < shortCallMs ? shortCalls.add(transformId) : shortCalls.delete(transformId)),
            lead: leadFlight,
            claimAndStart: (cacheKey, run, caller, ancestors, behind) => {
              const alone = caller.id === lastClaimer && heartbeat.held().size <= ancestors
              lastClaimer = caller.id
              if (!alone) return Effect.map(tracker.claimAndStart(cacheKey, run), (start) => (start._tag === "claimed" ? start : undefined))
              return Effect.flatMap(
                // The joining permit: an open write-behind transaction is joined, not committed first.
                direct.handle.behind.joining.withPermitsIfAvailable(1)(
                  Effect.sync(() => {
                    if (busySync(direct.handle)) return undefined
                    const leased = withLease(run)
                    return group.submitNow({ run: () => claimSync(direct.handle, cacheKey, leased, staleClaimMs, stored), what: "Claiming a cache key" }, false, behind)
                  })
                ),
                (now) => {
                  const done = Option.getOrUndefined(now)
                  if (done === undefined) return Effect.succeed(undefined)
                  const start = Exit.isSuccess(done.exit) && done.exit.value._tag === "claimed" ? done.exit.value : undefined
                  const held = start === undefined ? done.after : Effect.zipRight(done.after, heartbeat.hold(start.run.id, cacheKey))
                  return Effect.as(held, start)
                }
              )
            }
          }

    const tracker: Tracker = {
      ensureTransform: (spec) =>
        Effect.suspend(() => {
          const hash = spec.hash ?? hashString(spec.source)
          const key = `${spec.key}\u0000${hash}`
          const known = transforms.get(key)
          if (known !== undefined) return Effect.succeed(known)
          return Effect.tap(provided(ensureTransform({ ...spec, hash })), (t) => Effect.sync(() => transforms.set(key, t)))
        }),

      startRun: (run) =>
        Effect.tap(
          Effect.suspend(() => {
            const leased = withLease(run)
            if (leased.features !== undefined) return group.submit(insert(leased))
            if (direct === undefined) {
              // Postgres: the row and its id back in the round trip of the batch it joins (the
              // uid chosen here, so the statement and the fallback write insert the same run).
              const uid = leased.uid ?? newRunUid()
              const named = { ...leased, uid }
              return group.submit(insert(named), { statements: [q`${insertRunSql(named, uid)} RETURNING id`], fromRows: ([rows]) => ({ id: Number(rows![0]!.id), uid }) })
            }
            // One INSERT: atomic by itself.
            const w = directWrite(direct, "Saving a Run", (d) => insertRunSync(d, leased), true)
            return group.submit(w.write, w.options)
          }),
          (ref) => heartbeat.hold(ref.id)
        ),

      claimAndStart: (cacheKey, run) =>
        Effect.tap(
          direct !== undefined
            ? Effect.suspend(() => {
                const leased = withLease(run)
                const w = directWrite(direct, "Claiming a cache key", (d) => claimSync(d, cacheKey, leased, staleClaimMs, stored), false)
                // A stale claim or feature values: step by step, in a batch of its own (claimSync wrote nothing).
                return Effect.flatMap(group.submit(w.write, w.options), (start) =>
                  start._tag === "slow"
                    ? group.submit(claimAndStartDirectSlow(direct, cacheKey, leased, staleClaimMs, stored))
                    : start._tag === "defect"
                      ? Effect.die(start.error)
                      : Effect.succeed(start)
                )
              })
            : batchClaims
              ? group.submit(claimAndStart(cacheKey, withLease(run), staleClaimMs))
              : // Postgres. Not through the queue: written-behind cached runs commit first, so run ids keep call order.
                Effect.zipRight(
                  group.settle,
                  Effect.suspend(() => {
                    const leased = withLease(run)
                    // The common case in one round trip; anything else step by step.
                    return provided(Effect.flatMap(claimInOneTrip(cacheKey, leased), (start) => (start !== undefined ? Effect.succeed(start) : claimAndStartReserved(cacheKey, leased, staleClaimMs))))
                  })
                ),
          (start) => (start._tag === "claimed" ? heartbeat.hold(start.run.id, cacheKey) : Effect.void)
        ),

      awaitClaim: (cacheKey) => provided(awaitClaim(cacheKey, staleClaimMs)),

      joinFlight: (cacheKey) =>
        Effect.withFiberRuntime((fiber) => {
          const led = leadFlight(cacheKey, fiber.id())
          return Effect.succeed<Flight>(led !== undefined ? { _tag: "leader", land: Effect.sync(led.land) } : { _tag: "follower", wait: Deferred.await(flights.get(cacheKey)!) })
        }),

      recordCached: (run, inputs) =>
        Effect.suspend(() => {
          const r = cachedRecord(run, inputs)
          return Effect.as(group.defer(r.write, r.what, r.options), { uid: r.uid })
        }),

      completeRun: (c) => {
        // SQLite's direct path, unless a runner's attempt must be checked (its claim or dispatch row).
        const directly = c.claimLost === undefined && c.attempt === undefined ? direct : undefined
        return (directly !== undefined
          ? Effect.suspend(() => {
              // Its artifacts and its run row committed before; the completion goes in one savepoint.
              const w = directWrite(
                directly,
                "Completing a run",
                (d) =>
                  savepointSync(d, () => {
                    linkSync(d, "lamina_run_input_artifact", c.runId, c.inputs)
                    linkSync(d, "lamina_artifact_recreating_run", c.runId, c.recreated ?? [])
                    linkSync(d, "lamina_run_output_artifact", c.runId, c.outputs ?? [])
                    finishRunSync(d, c.runId, c.end)
                    if (c.releaseClaim !== undefined) releaseClaimSync(d, c.releaseClaim, c.runId)
                  }),
                true
              )
              if (c.behind !== true) return group.submit(w.write, w.options)
              // Queued without waiting: nothing can fail here, so the lease is let go right after.
              const flush = group.deferNow(w.write, `the completion of run ${c.runId}`, w.options)
              return Effect.zipRight(flush ?? Effect.void, heartbeat.release(c.runId))
            })
          : group.submit(
              Effect.all(
                [
                  // Before any write: the dispatch row's lock comes first, as in a takeover.
                  c.attempt !== undefined ? holdAttempt(c.attempt.dispatch, c.runId, c.attempt.lost) : Effect.void,
                  addRunInputs(c.runId, c.inputs),
                  addRecreatingRun(c.runId, c.recreated ?? []),
                  addRunOutputs(c.runId, c.outputs ?? []),
                  finishRun(c.runId, c.end),
                  c.releaseClaim !== undefined ? releaseClaim(c.releaseClaim, c.runId, c.claimLost) : Effect.void
                ],
                { discard: true }
              ),
              // The same writes as plain statements (one round trip per batch on Postgres), unless something must be read back.
              c.attempt === undefined && c.claimLost === undefined ? { statements: completionStatements(c) } : undefined
            )
        ).pipe((e) => (directly !== undefined && c.behind === true ? e : Effect.ensuring(e, heartbeat.release(c.runId))))
      },

      addCollectionInputs: (runId, ids) => (ids.length === 0 ? Effect.void : group.submit(addRunCollectionInputs(runId, ids))),
      recordFinishedRuns: (batch) => provided(Effect.flatMap(Instance, (instance) => recordFinishedRuns(batch, instance.user.id))),

      abortRuns: (ids, error) =>
        Effect.ensuring(provided(abortRuns(ids, error)), Effect.forEach(ids, heartbeat.release, { discard: true })),

      trashRunOutputs: (runId) =>
        provided(
          Effect.gen(function* () {
            const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE run_id = ${runId} AND branch <> -1`.pipe(
              Effect.mapError(sqlFailure("Reading a failed run's outputs"))
            )
            for (const row of rows) yield* deleteArtifact(new Artifact(decodeRow(ArtifactModel, row)), false)
          })
        ),

      // The direct path needs no services: no context to provide per lookup.
      lookupHit: (cacheKey) => (direct !== undefined ? Effect.flatMap(lookupHitDirect(direct, cacheKey, local), checkedRemotely) : provided(lookupHit(cacheKey))),

      recordFingerprint: (fp) =>
        Effect.suspend(() => {
          if (fingerprints.has(fp.hash)) return Effect.void
          return fingerprintLock.withPermits(1)(
            Effect.suspend(() => (fingerprints.has(fp.hash) ? Effect.void : insertFingerprint(fp)))
          )
        }),

      environmentId: (save) =>
        Effect.suspend(() =>
          environment !== undefined
            ? Effect.succeed(environment)
            : environmentLock.withPermits(1)(
                Effect.suspend(() =>
                  environment !== undefined ? Effect.succeed(environment) : Effect.tap(save, (id) => Effect.sync(() => (environment = id)))
                )
              )
        ),

      reapExpiredRuns: provided(reapExpiredRuns),

      heartbeat,
      group,
      embedded: direct !== undefined,
      now
    }
    return tracker
  })

/** The Tracker layer over the connected instance (part of `Lamina.layer`). */
export const layer = (options: TrackerOptions = {}): Layer.Layer<Tracker, InvalidArgument, SqlClient.SqlClient | Instance | ObjectStore> =>
  Layer.scoped(Tracker, make(options))
