/**
 * The runner side of a dispatched call: check the step and its code, rebuild the call, start
 * the attempt, execute the body against the run with the same machinery as a local step
 * (`executeHere`), and answer how it ended.
 *
 * The runner refuses — nothing runs — when it does not export the step, when its source or
 * code fingerprint differs from the caller's, or when the cache key it computes for the call
 * differs (another environment): a result is never recorded under a key other code produced.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Effect, type Either, Exit, FiberRef, HashSet, Schedule } from "effect"
import { sqlFailure } from "../db/failure.js"
import type { IntegrityError, StorageError } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import { Instance } from "../instance/Instance.js"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { decodeRow } from "../registry/model.js"
import { RunStatus, type NewRun } from "../registry/Run.js"
import { cacheKeyOf, diffParts, parseParts, partsOf } from "../tracker/cacheKey.js"
import { decodeResult, resultRefs, Unencodable, type Json } from "../tracker/canonical.js"
import { Tracker } from "../tracker/Tracker.js"
import { keyMaterialOf, prepareCall } from "../flow/definition.js"
import { currentEnvironment, environmentArtifactId, fingerprint } from "../flow/environment.js"
import { describeFailure } from "../flow/errors.js"
import { executeHere, type Executed } from "../flow/executor.js"
import type { Closed } from "../flow/lifecycle.js"
import type { TrackingError } from "../flow/invoke.js"
import { RunState, runLogger } from "../flow/runState.js"
import { schemaFingerprint } from "../flow/schemaFingerprint.js"
import type { StepOptions } from "../flow/step.js"
import type { TrackedHandle } from "../flow/wrap.js"
import { abandonAttempt, beginAttempt, completionGuard, isTakenOver, type RunnerIdentity } from "./attempt.js"
import type { StepCatalog } from "./catalog.js"
import { type Dispatch, type Outcome, StepRefused } from "./protocol.js"
import { forCaller, replyResult } from "./reply.js"
import { withOutputCheck } from "../curate/boundary.js"

/** What a runner's handler needs. */
export interface HandlerContext {
  readonly catalog: StepCatalog
  readonly me: RunnerIdentity
  /** Bounds concurrently executing bodies on this runner (`--concurrency`). */
  readonly slots: Effect.Semaphore
  /** The modules the runner loaded, for refusal messages. */
  readonly modules: string
}

/** An attempt whose completion failed, ended by `abandonAttempt`. */
interface Abandoned {
  readonly _tag: "Abandoned"
  readonly outcome: Outcome
}

/** Retries of ending an attempt while the registry is away: every ≤ 5 s, for up to 10 minutes. */
const ABANDON_RETRY = Schedule.exponential("250 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.upTo("10 minutes"))

const refuse = (ctx: HandlerContext, d: Dispatch, message: string) => new StepRefused({ transform: d.transform, runner: ctx.me.address, message })

/** Decode the call's arguments, fetching the artifacts they name. */
const decodeArgs = (ctx: HandlerContext, d: Dispatch) =>
  Effect.gen(function* () {
    const json = d.args as Json
    const uids = resultRefs(json).artifacts
    const byUid = new Map<string, Artifact>()
    if (uids.length > 0) {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE ${sql.in("uid", [...new Set(uids)])}`.pipe(
        Effect.mapError(sqlFailure("Reading a dispatched step's input artifacts"))
      )
      for (const row of rows) {
        const a = new Artifact(decodeRow(ArtifactModel, row))
        byUid.set(a.uid, a)
      }
    }
    const missing = uids.find((u) => !byUid.has(u))
    if (missing !== undefined) return yield* refuse(ctx, d, `runner ${ctx.me.address} cannot find artifact ${missing}, an input of step '${d.transform}': the runner must use the caller's instance (same Postgres registry and storage).`)
    try {
      const args = decodeResult(json, { artifact: (uid) => byUid.get(uid)!, record: () => undefined })
      return Array.isArray(args) ? (args as ReadonlyArray<unknown>) : []
    } catch (e) {
      if (e instanceof Unencodable) return yield* refuse(ctx, d, `runner ${ctx.me.address} cannot decode the arguments of step '${d.transform}': ${e.message}. Register the same codecs (registerCodec) in the runner's module.`)
      throw e
    }
  })

/** The outcome of an executed attempt. */
const outcomeOf = (ctx: HandlerContext, d: Dispatch, run: { readonly id: number; readonly uid: string }, attempts: number, exit: Exit.Exit<unknown, unknown>, closed: Closed, state: RunState): Outcome => {
  const base = { run, runner: ctx.me.address, host: ctx.me.host, attempts }
  if (Exit.isSuccess(exit)) {
    const result = replyResult(closed, state)
    // A cacheable run's is stored with it (the caller reads it back).
    const rechecked = d.cacheKey === null && closed.rechecked !== undefined ? forCaller(closed.rechecked) : undefined
    return {
      ...base,
      status: "completed",
      ...(result !== undefined ? { result } : {}),
      ...(rechecked !== undefined ? { rechecked } : {}),
      ...(closed.uncacheable !== undefined ? { uncacheable: closed.uncacheable } : {})
    }
  }
  if (Cause.isInterruptedOnly(exit.cause)) return { ...base, status: "aborted", error: { message: `interrupted on runner ${ctx.me.address}` } }
  const failure = describeFailure(exit.cause)
  return {
    ...base,
    status: "errored",
    error: { message: failure.message, ...(failure.errorTag !== undefined ? { errorTag: failure.errorTag } : {}), ...(failure.stack !== undefined ? { errorStack: failure.stack } : {}) }
  }
}

/** Handle one delivered call. */
export const handleDispatch = (ctx: HandlerContext, d: Dispatch): Effect.Effect<Outcome, StepRefused, Lamina> =>
  Effect.gen(function* () {
    const handle: TrackedHandle | undefined = ctx.catalog.get(d.transform)
    if (handle === undefined)
      return yield* refuse(
        ctx,
        d,
        `runner ${ctx.me.address} does not know step '${d.transform}' (caller's source hash ${d.source}): its modules (${ctx.modules}) export no step with that transform key. Start runners with the module that defines and exports it.`
      )
    const { def } = handle
    const options = handle.options as StepOptions
    if (def.source.hash !== d.source)
      return yield* refuse(
        ctx,
        d,
        `runner ${ctx.me.address} has another version of step '${d.transform}': source hash ${def.source.hash} on the runner, ${d.source} in the caller. Deploy the same code to every runner and restart them; nothing ran.`
      )
    const code = def.source.reach?.().hash ?? null
    if (code !== d.code)
      return yield* refuse(
        ctx,
        d,
        `runner ${ctx.me.address} has other code for step '${d.transform}' (source hash ${d.source} on both): the files and packages its module reaches hash to ${code ?? "(not fingerprinted)"} on the runner, ${d.code ?? "(not fingerprinted)"} in the caller. Deploy the same code and package versions to every runner; nothing ran.`
      )
    const args = yield* decodeArgs(ctx, d)
    const call = yield* Effect.mapError(prepareCall(def, args), (e) => refuse(ctx, d, `runner ${ctx.me.address} cannot bind the arguments of step '${d.transform}': ${e.message}`))
    let parts = null as ReturnType<typeof partsOf> | null
    if (d.cacheKey !== null) {
      const env = fingerprint(yield* currentEnvironment, def.env)
      const keyed = keyMaterialOf(def, call, undefined, d.transform, env, options.cacheVersion, options.result && schemaFingerprint(options.result))
      if (!("transform" in keyed)) return yield* refuse(ctx, d, `runner ${ctx.me.address}: ${keyed.message}`)
      // Boundary schema hashes come from the shared registry: the caller's are the runner's (src/curate/boundary.ts).
      const schemas = parseParts(d.parts)?.schemas
      const material = schemas === undefined ? keyed : { ...keyed, schemas }
      parts = partsOf(material)
      if (cacheKeyOf(material) !== d.cacheKey) {
        const theirs = parseParts(d.parts)
        const changes = theirs === undefined ? [] : diffParts(theirs, parts, true).map((c) => `${c.detail}${c.name !== undefined ? ` (${c.name})` : ""}`)
        return yield* refuse(
          ctx,
          d,
          `runner ${ctx.me.address} computes another cache key for step '${d.transform}' than the caller${changes.length > 0 ? `: ${changes.join("; ")}` : " (its environment differs)"}. Run runners in the caller's environment; nothing ran.`
        )
      }
      const stored = parseParts(d.parts)
      if (stored?.refused !== undefined) parts = { ...parts, refused: stored.refused }
    }
    return yield* ctx.slots.withPermits(1)(execute(ctx, d, handle, call, args, parts))
  }).pipe(
    Effect.catchTags({
      StorageError: (e) => Effect.succeed(failedBeforeRun(ctx, d, e.message)),
      IntegrityError: (e) => Effect.succeed(failedBeforeRun(ctx, d, e.message)),
      InvalidArgument: (e) => Effect.succeed(failedBeforeRun(ctx, d, e.message)),
      ValidationError: (e) => Effect.succeed(failedBeforeRun(ctx, d, e.message)),
      DoesNotExist: (e) => Effect.succeed(failedBeforeRun(ctx, d, e.message)),
      MultipleResultsFound: (e) => Effect.succeed(failedBeforeRun(ctx, d, e.message))
    })
  )

/** A registry failure before or around the body: reported as the call's error. */
const failedBeforeRun = (ctx: HandlerContext, d: Dispatch, message: string): Outcome => ({
  status: "errored",
  run: d.run,
  runner: ctx.me.address,
  host: ctx.me.host,
  attempts: 0,
  error: { message: `on runner ${ctx.me.address}: ${message}` }
})

const execute = (
  ctx: HandlerContext,
  d: Dispatch,
  handle: TrackedHandle,
  call: Effect.Effect.Success<ReturnType<typeof prepareCall>>,
  args: ReadonlyArray<unknown>,
  parts: ReturnType<typeof partsOf> | null
) =>
  Effect.gen(function* () {
    const { def } = handle
    const options = handle.options as StepOptions
    const environmentId = yield* environmentArtifactId
    const instance = yield* Instance
    const tracker = yield* Tracker
    const transform = yield* tracker.ensureTransform({ key: d.transform, kind: "function", source: def.source.code, hash: def.source.hash, description: def.description ?? null })
    const retryRun = (): NewRun => ({
      transformId: transform.id,
      name: def.name,
      entrypoint: def.entrypointFor(undefined),
      params: call.params,
      status: RunStatus.started,
      startedAt: new Date(),
      initiatedByRunId: d.parent,
      environmentId,
      cacheKey: d.cacheKey,
      cacheParts: parts,
      userId: d.user ?? instance.user.id
    })
    for (;;) {
      const attempt = yield* beginAttempt(d, ctx.me, def.name, retryRun, environmentId)
      if (attempt._tag === "answer") return attempt.outcome
      if (attempt._tag === "busy") {
        yield* Effect.sleep("250 millis")
        continue
      }
      const { run, attempts } = attempt
      yield* Effect.logDebug(`step '${def.name}' attempt ${attempts}: run ${run.uid}`)
      const state = new RunState(run.id, run.uid, def.name, call.inputs.map((r) => r.artifact.id))
      // Uninterruptible but for the body: a runner losing its shards (or shutting down) while
      // the registry is away must still end the run, else it stays open while the runner lives.
      const executed = yield* Effect.uninterruptibleMask((restore) =>
        executeHere(
          { def, fn: options.output === undefined ? handle.fn : withOutputCheck(handle.fn, def.name, options.output), self: undefined, args, call, run, parent: d.parent, state, cacheKey: d.cacheKey, parts, callerRechecks: d.callerRechecks ?? false, result: options.result, tracing: false, placement: {} },
          restore,
          completionGuard(d, run.id)
        ).pipe(
          Effect.either,
          Effect.flatMap((r: Either.Either<Executed, TrackingError>): Effect.Effect<Either.Either<Executed, TrackingError> | Abandoned, StorageError | IntegrityError, Lamina> =>
            r._tag === "Right" || isTakenOver(r.left)
              ? Effect.succeed(r)
              : // The registry failed around the body (Postgres away): the run must not stay open.
                abandonAttempt(d, run, ctx.me, def.name, attempts, r.left.message).pipe(
                  Effect.tapError((e) => Effect.logWarning(`step '${def.name}' run ${run.uid}: cannot end it yet (${e.message}); retrying`)),
                  Effect.retry(ABANDON_RETRY),
                  Effect.ensuring(tracker.heartbeat.release(run.id)),
                  Effect.map((outcome) => ({ _tag: "Abandoned" as const, outcome }))
                )
          )
        )
      ).pipe(Effect.locallyWith(FiberRef.currentLoggers, HashSet.add(runLogger)))
      if (executed._tag === "Abandoned") return executed.outcome
      yield* Effect.logDebug(`step '${def.name}' run ${run.uid} ended: ${executed._tag === "Left" ? executed.left.message : executed.right._tag}`)
      if (executed._tag === "Left") {
        yield* tracker.trashRunOutputs(run.id)
        yield* tracker.heartbeat.release(run.id)
        return { status: "superseded", run, runner: ctx.me.address, host: ctx.me.host, attempts } satisfies Outcome
      }
      if (executed.right._tag === "superseded") return { status: "superseded", run, runner: ctx.me.address, host: ctx.me.host, attempts } satisfies Outcome
      return outcomeOf(ctx, d, run, attempts, executed.right.exit, executed.right.closed, state)
    }
  })

