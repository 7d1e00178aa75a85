/**
 * `step()`: a tracked, cached unit of work inside a flow.
 *
 * Each call becomes a Run of the step's Transform (initiated by the enclosing flow's run),
 * with its params, inputs and outputs recorded. Before executing, the step computes its cache
 * key; when an earlier run with the same key completed and its outputs are intact, the call
 * records a `cached` run pointing at it and returns the same value without executing the body.
 * Identical keys executing at the same time compute once (the Tracker's flights and claims, `src/tracker/claims.ts`).
 *
 * @module
 */
import { Context, Effect, FiberRef, Option, Schema } from "effect"
import { InvalidArgument, type ValidationError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import type { Lamina } from "../instance/Lamina.js"
import type { NewRun, RunRef } from "../registry/Run.js"
import type { Hit, Refusal } from "../tracker/cache.js"
import { isHit } from "../tracker/cache.js"
import { cacheKeyOf, partsOf, type CacheParts } from "../tracker/cacheKey.js"
import { CurrentFlow, HeldPermits, report, type FlowContext } from "./context.js"
import { currentRun, type RunScope } from "./CurrentRun.js"
import { keyMaterialOf, makeDefinition, prepareCall, type CacheOptions, type CommonOptions, type Definition, type PreparedCall } from "./definition.js"
import { currentEnvironment, environmentArtifactId, fingerprint } from "./environment.js"
import { ungated, type Ticket } from "./admission.js"
import { localExecutor, StepExecutor, type Executor } from "./executor.js"
import type { Failure, Requirements, Success, TrackingError } from "./invoke.js"
import { passOn, RunState, takesRechecks } from "./runState.js"
import { recordFingerprint } from "./fingerprintRecord.js"
import { schemaFingerprint } from "./schemaFingerprint.js"
import { callerFiles, captureSource } from "./source.js"
import { wrapOrDecorate } from "./wrap.js"
import { endExecuted } from "./executed.js"
import { executeNow } from "./executeNow.js"
import { withRefusedParts } from "../tracker/claims.js"
import { cachedRunOf, hitNow, reportCached, startedRunOf, type Prepared, type RunBasis } from "./hitNow.js"
import { Tracker, type TrackerError } from "../tracker/Tracker.js"
import { checkInputs, hasBoundary, resolveBoundary, withOutputCheck, type BoundaryOptions } from "../curate/boundary.js"

/** Options of a step. */
export interface StepOptions extends CommonOptions, CacheOptions, BoundaryOptions {
  /** `false`: always execute, never reuse (the run is still recorded). Default true. */
  readonly cache?: boolean
  /** At most this many executions of this step at once across the flow. */
  readonly concurrency?: number
  /** Encodes the return value for the cache and decodes it on a hit (for class instances). */
  readonly result?: Schema.Schema.AnyNoContext
}

/** Step options with an Effect Schema for the params (the step then takes one params object). */
export interface StepOptionsWithParams<S extends Schema.Schema.AnyNoContext> extends StepOptions {
  readonly params: S
}

/** LaminDB's message for a step called without a tracked run around it. */
export const NOT_TRACKED =
  "Please track the global run context before using step(): wrap the calling code in flow(), or call track() (or use runMain) first."

const stepDefinition = (options: StepOptions & { readonly params?: Schema.Schema.AnyNoContext }, fn: Function, name: string, files: ReadonlyArray<string>, method: boolean): Definition =>
  makeDefinition({
    kind: "step",
    name,
    fn,
    source: captureSource(fn, files, options.fingerprint),
    method,
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.params !== undefined ? { paramsSchema: options.params as Schema.Schema<unknown, unknown, never> } : {}),
    ...(options.ignore !== undefined ? { ignore: options.ignore } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.env !== undefined ? { env: options.env } : {})
  })

/** Wrap `effect` in the flow's permits: this step's own limit first, then the global one. */
const withPermits = <A, E, R>(flow: FlowContext | undefined, key: string, limit: number | undefined, effect: Effect.Effect<A, E, R>) =>
  // No limit in play: nothing to take (the common case, without a FiberRef read and a Set).
  flow === undefined || (flow.global === undefined && limit === undefined)
    ? effect
    : Effect.flatMap(FiberRef.get(HeldPermits), (held) => {
        const acquired = new Set(held)
        let wrapped = effect
        if (flow.global !== undefined && !held.has("global")) {
          wrapped = flow.global.withPermits(1)(wrapped)
          acquired.add("global")
        }
        const stepKey = `step:${key}`
        if (limit !== undefined && !held.has(stepKey)) {
          let sem = flow.stepLimits.get(key)
          if (sem === undefined) flow.stepLimits.set(key, (sem = Effect.unsafeMakeSemaphore(Math.max(1, limit))))
          wrapped = sem.withPermits(1)(wrapped)
          acquired.add(stepKey)
        }
        return acquired.size === held.size ? wrapped : Effect.locally(wrapped, HeldPermits, acquired)
      })

/**
 * Execute one call of a step inside its executor's admission gate (admission.ts), except for the
 * local executor on the embedded registry: its registry work is synchronous calls on one
 * connection (`tracker.embedded`), nothing a bound on waiting calls protects.
 */
const callStep = (def: Definition, options: StepOptions, fn: Function, self: unknown, args: ReadonlyArray<unknown>) =>
  Effect.withFiberRuntime<unknown, Effect.Effect.Error<ReturnType<typeof callAdmitted>>, Effect.Effect.Context<ReturnType<typeof callAdmitted>>>((fiber) => {
    const executor = Context.get(fiber.currentContext, StepExecutor)
    const tracker = Context.unsafeGet(fiber.currentContext, Tracker)
    // Read here, outside callAdmitted's `withTracerEnabled(false)`: the body runs with the caller's setting.
    const tracing = fiber.getFiberRef(FiberRef.currentTracerEnabled)
    if (executor !== localExecutor || !tracker.embedded) return executor.gate.enter((ticket) => callAdmitted(def, options, fn, self, args, tracing, ticket, tracker, executor))
    // A hit answered within this turn, else the Effect path with what it computed (hitNow.ts).
    const now = hitNow(fiber, tracker, def, options, self, args)
    if (now?._tag === "hit") return now.effect
    const effectPath = (prepared: Prepared | undefined) => callAdmitted(def, options, fn, self, args, tracing, ungated, tracker, executor, prepared)
    // A miss executed on the short path when nothing else is in play (executeNow.ts).
    return (now !== undefined ? executeNow(fiber, tracker, def, options, fn, self, args, tracing, now.prepared, effectPath) : undefined) ?? effectPath(now?.prepared)
  })

/**
 * One call of a step: the run, the body, the completion; `ticket` is left at admission.
 * `prepared`: the call, key and first lookup `hitNow` already did.
 */
const callAdmitted = (
  def: Definition,
  options: StepOptions,
  fn: Function,
  self: unknown,
  args: ReadonlyArray<unknown>,
  tracing: boolean,
  ticket: Ticket,
  tracker: Tracker,
  executor: Executor,
  prepared?: Prepared
) =>
  Effect.gen(function* () {
    const parent = yield* currentRun
    if (Option.isNone(parent)) return yield* new InvalidArgument({ message: NOT_TRACKED })
    const flow = Option.getOrUndefined(yield* FiberRef.get(CurrentFlow))
    const call = prepared?.call ?? (yield* prepareCall(def, args))
    // Boundaries (src/curate/boundary.ts): inputs validated before any run starts, the output by the body.
    const boundary = hasBoundary(options) ? yield* resolveBoundary(def.name, options) : undefined
    if (boundary !== undefined) yield* checkInputs(def.name, boundary, call.bound)
    // The output is checked against the very definition whose hash is in the cache key.
    const body = boundary?.output === undefined ? fn : withOutputCheck(fn, def.name, boundary.output)
    const key = def.keyFor(self)
    const transform = yield* tracker.ensureTransform({ key, kind: "function", source: def.source.code, hash: def.source.hash, description: def.description ?? null })
    const environmentId = yield* environmentArtifactId
    const instance = yield* Instance
    const basis: RunBasis = { def, self, call, transformId: transform.id, parentRunId: parent.value.runId, environmentId, userId: instance.user.id }
    const newRun = (cacheKey: string | null, parts: CacheParts | null): NewRun => startedRunOf(basis, cacheKey, parts)
    type Started = { readonly run: RunRef; readonly refused?: Refusal }
    const limited = flow !== undefined && (flow.global !== undefined || options.concurrency !== undefined)
    const execute = (
      start: (restore: <X, Y, Z>(e: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>) => Effect.Effect<Option.Option<Started>, TrackerError>,
      cacheKey: string | null,
      parts: CacheParts | null
    ) =>
      Effect.zipRight(
        // The flow's permits are held by running calls, whose bodies may call steps: never wait for them in the gate.
        limited ? ticket.leave : Effect.void,
        withPermits(
          flow,
          key,
          options.concurrency,
          executor.admit(def, self, (placement) =>
            Effect.uninterruptibleMask((restore) =>
              Effect.gen(function* () {
                // Admitted once its run is started (the claim and the insert are registry work
                // like the lookup): its place goes to a queued call before the body runs.
                const started = yield* (ticket === ungated ? start(restore) : Effect.ensuring(start(restore), ticket.leave))
                if (Option.isNone(started)) return Option.none<unknown>()
                const { run, refused } = started.value
                flow?.open.add(run.id)
                const state = new RunState(run.id, run.uid, def.name, call.inputs.map((r) => r.artifact.id))
                const where = placement.runner !== undefined ? { runner: placement.runner } : {}
                report(flow, { status: "running", kind: "step", name: def.name, run: run.uid, ...where, ...(flow ? { flow: flow.name } : {}) })
                const t0 = performance.now()
                // The body runs here or on a runner (executor.ts); either way the run is closed when this returns.
                const executed = yield* executor.execute(
                  {
                    def,
                    fn: body,
                    self,
                    args,
                    call,
                    run,
                    parent: parent.value.runId,
                    state,
                    cacheKey,
                    parts: withRefusedParts(parts, refused),
                    callerRechecks: takesRechecks(parent.value),
                    result: options.result,
                    tracing,
                    placement
                  },
                  restore
                )
                flow?.open.delete(run.id)
                if (executed._tag === "superseded") return Option.none<unknown>()
                return Option.some(yield* endExecuted(flow, def, executed, t0, parent.value))
              })
            )
          )
        )
      )

    // Caching off: always execute.
    if (options.cache === false) {
      const out = yield* execute(() => Effect.map(tracker.startRun(newRun(null, null)), (run) => Option.some({ run })), null, null)
      return Option.getOrUndefined(out)
    }

    // hitNow computed these only without boundaries (whose hashes enter the key).
    const keyed = prepared?.material ?? keyMaterialOf(def, call, self, key, fingerprint(yield* currentEnvironment, def.env), options.cacheVersion, options.result && schemaFingerprint(options.result))
    if (keyed instanceof InvalidArgument) return yield* keyed
    const material = boundary === undefined ? keyed : { ...keyed, schemas: boundary.hashes }
    const cacheKey = prepared?.cacheKey ?? cacheKeyOf(material)
    const useHit = (hit: Hit) => recordCached(tracker, def, options, call, hit, newRun(cacheKey, null), flow, parent.value)
    let found = prepared?.found
    for (;;) {
      // A call that went round again (its key was claimed elsewhere) queues for a place anew.
      yield* ticket.rejoin
      // The first lookup may have been done by hitNow (a refusal or nothing): not repeated.
      const hit = found !== undefined ? found.value : yield* tracker.lookupHit(cacheKey)
      found = undefined
      if (isHit(hit)) return yield* useHit(hit)
      const flight = yield* tracker.joinFlight(cacheKey)
      if (flight._tag === "follower") {
        // The leader may need places (its body's own step calls): wait outside the gate.
        yield* ticket.leave
        yield* flight.wait
        continue
      }
      const seen: { hit?: Hit } = {}
      const reach = def.reachFor(self)
      if (reach !== undefined) yield* recordFingerprint(reach)
      const parts = partsOf(material)
      const out = yield* execute(
        (restore) =>
          Effect.flatMap(tracker.claimAndStart(cacheKey, newRun(cacheKey, parts)), (start) => {
            if (start._tag === "claimed") return Effect.succeed(Option.some<Started>({ run: start.run, ...(start.refused !== undefined ? { refused: start.refused } : {}) }))
            if (start._tag === "hit") seen.hit = start.hit
            return Effect.as(start._tag === "busy" ? Effect.zipRight(ticket.leave, restore(tracker.awaitClaim(cacheKey))) : Effect.void, Option.none<Started>())
          }),
        cacheKey,
        parts
      ).pipe(Effect.ensuring(flight.land))
      if (Option.isSome(out)) return out.value
      if (seen.hit !== undefined) return yield* useHit(seen.hit)
    }
  // Lamina's own registry queries are not traced (a span per query costs more than the query).
  }).pipe(Effect.withTracerEnabled(false))

/**
 * Record a cached run that reuses `hit.run`, hand what the hit checked again to `caller`, and
 * return its value (`hitNow` does the same as plain calls).
 */
const recordCached = (tracker: Tracker, def: Definition, options: StepOptions, call: PreparedCall, hit: Hit, run: NewRun, flow: FlowContext | undefined, caller: RunScope) =>
  Effect.gen(function* () {
    const value = options.result === undefined ? hit.value : yield* Effect.orDie(Schema.decodeUnknown(options.result)(hit.value))
    const cached = cachedRunOf(run, hit, call)
    const ref = yield* tracker.recordCached(cached.run, cached.inputs)
    reportCached(flow, def.name, ref.uid, hit)
    passOn(caller, hit.rechecked)
    return value
  })

/** A step-wrapped function: same parameters, returns an Effect. */
export type StepFunction<Args extends ReadonlyArray<unknown>, Ret> = (
  ...args: Args
) => Effect.Effect<Success<Ret>, Failure<Ret> | TrackingError, Requirements<Ret> | Lamina>

/** Checks a decorated method's declared type leaves room for what tracking adds. */
export type TrackedMethodCheck<E, R, Err> = [Lamina] extends [R]
  ? [Err] extends [E]
    ? unknown
    : { readonly "the decorated method's error type must include Lamina's TrackingError (InvalidArgument | StorageError | IntegrityError | ValidationError): declare it as returning Effect.Effect<A, E | TrackingError, Lamina>": never }
  : { readonly "the decorated method's requirements must include Lamina (SqlClient | ObjectStore | Instance | Tracker)": never }

/** The `@step()` decorator (TC39 standard decorators). */
export type StepDecorator = <This, Args extends Array<unknown>, A, E, R>(
  target: (this: This, ...args: Args) => Effect.Effect<A, E, R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Effect.Effect<A, E, R>> & TrackedMethodCheck<E, R, TrackingError>
) => (this: This, ...args: Args) => Effect.Effect<A, E, R>

/**
 * Make a tracked, cached step.
 *
 * ```ts
 * const clean = step("clean", (raw: Artifact, minScore = 0.5) => Effect.gen(function* () { … }))
 * ```
 *
 * With a params schema the step takes one params object, validated and with defaults applied:
 * `step({ name: "train", params: Schema.Struct({ lr: Schema.Number }) }, ({ lr }) => …)`.
 *
 * Called with only a name or options, returns the `@step()` method decorator.
 */
export function step<S extends Schema.Schema.AnyNoContext, Ret>(
  options: StepOptionsWithParams<S>,
  fn: (params: Schema.Schema.Type<S>) => Ret
): (params: Schema.Schema.Encoded<S>) => Effect.Effect<Success<Ret>, Failure<Ret> | TrackingError | ValidationError, Requirements<Ret> | Lamina>
export function step<F extends (...args: never[]) => unknown>(nameOrOptions: string | StepOptions, fn: F): StepFunction<Parameters<F>, ReturnType<F>>
export function step(nameOrOptions?: string | StepOptions): StepDecorator
export function step(nameOrOptions?: string | StepOptions, fn?: Function): unknown {
  return wrapOrDecorate("step", nameOrOptions, fn, callerFiles(), stepDefinition, callStep)
}
