/**
 * `flow()`: a tracked pipeline. Each call is a top-level Run of the flow's Transform (kind
 * "pipeline"); the steps it calls are runs initiated by it. A flow is never cached itself —
 * its steps are. On failure it fails with `FlowFailed`, naming the step whose failure ended it;
 * on interruption every run it left open is marked aborted.
 *
 * @module
 */
import { Cause, Effect, Exit, FiberRef, HashSet, Option } from "effect"
import { InvalidArgument, type ValidationError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import type { Lamina } from "../instance/Lamina.js"
import { planRunFeatures, RunStatus, type RunRef } from "../registry/Run.js"
import { Tracker } from "../tracker/Tracker.js"
import type { Schema } from "effect"
import { FlowConfig } from "./config.js"
import { CurrentFlow, makeFlowContext, report, type FlowContext } from "./context.js"
import { currentRun, CurrentRun } from "./CurrentRun.js"
import { makeDefinition, prepareCall, type CommonOptions, type Definition } from "./definition.js"
import { environmentArtifactId } from "./environment.js"
import { describeFailure, FlowFailed, withCause } from "./errors.js"
import { markFlowCall } from "./flowCall.js"
import { invokeBody, type Requirements, type Success, type TrackingError } from "./invoke.js"
import { closeFlowRun } from "./lifecycle.js"
import { cliArgs } from "./track.js"
import type { ProgressSink } from "./progress.js"
import { passOn, RunState, runLogger, takesRechecks } from "./runState.js"
import { failureValue } from "./executed.js"
import type { TrackedMethodCheck } from "./step.js"
import { callerFiles, captureSource } from "./source.js"
import { wrapOrDecorate } from "./wrap.js"

/** Options of a flow. */
export interface FlowOptions extends CommonOptions {
  /** Allow calling this flow inside another tracked run (recorded as initiated by it). */
  readonly nested?: boolean
  /** At most this many step bodies execute at once in this flow (default: FlowConfig's). */
  readonly concurrency?: number
  /** Progress sink for this flow's steps (default: FlowConfig's). */
  readonly progress?: ProgressSink
  /** Feature values of each run of this flow (`{ experiment: "My experiment" }`), checked before the run starts. */
  readonly features?: Readonly<Record<string, unknown>>
}

/** Flow options with an Effect Schema for the params. */
export interface FlowOptionsWithParams<S extends Schema.Schema.AnyNoContext> extends FlowOptions {
  readonly params: S
}

/** The FlowFailed of a failed flow run, naming the step whose failure ended it. */
const flowFailure = (def: Definition, run: RunRef, ctx: FlowContext, cause: Cause.Cause<unknown>): FlowFailed => {
  const d = describeFailure(cause)
  const value = failureValue(cause)
  const origin = ctx.failures.get(value)
  const error = new FlowFailed({
    flow: def.name,
    run: run.uid,
    ...(origin !== undefined ? { step: origin.step, stepRun: origin.run } : {}),
    message:
      origin !== undefined
        ? `Step '${origin.step}' failed in flow '${def.name}' (step run ${origin.run}): ${d.message}. Fix it and rerun: completed steps are reused from the cache.`
        : `Flow '${def.name}' failed (run ${run.uid}): ${d.message}`,
    ...(d.stack !== undefined ? { errorStack: d.stack } : {}),
    ...(d.errorTag !== undefined ? { errorTag: d.errorTag } : {})
  })
  return withCause(error, value)
}

const callFlow = (def: Definition, options: FlowOptions, fn: Function, self: unknown, args: ReadonlyArray<unknown>) =>
  markFlowCall(callFlowRun(def, options, fn, self, args), def.name)

const callFlowRun = (def: Definition, options: FlowOptions, fn: Function, self: unknown, args: ReadonlyArray<unknown>) =>
  Effect.gen(function* () {
    const parent = yield* currentRun
    if (Option.isSome(parent) && !options.nested)
      return yield* new InvalidArgument({
        message: `flow '${def.name}' was called inside the tracked run '${parent.value.name}' (${parent.value.runUid}). Pass the flow call itself to runMain (runMain(${def.name}(…)) makes the flow the tracked run), run the surrounding program untracked with runMain(program, { track: false }), make it a step(), or pass { nested: true } to record it as a nested flow.`
      })
    const parentFlow = Option.getOrUndefined(yield* FiberRef.get(CurrentFlow))
    const call = yield* prepareCall(def, args)
    const key = def.keyFor(self)
    const tracker = yield* Tracker
    // A new top-level flow ends the runs that dead processes left open.
    if (Option.isNone(parent)) yield* tracker.reapExpiredRuns
    const transform = yield* tracker.ensureTransform({ key, kind: "pipeline", source: def.source.code, hash: def.source.hash, description: def.description ?? null })
    const environmentId = yield* environmentArtifactId
    const instance = yield* Instance
    const config = yield* FlowConfig
    const features = yield* planRunFeatures(options.features)
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const run = yield* tracker.startRun({
          transformId: transform.id,
          name: def.name,
          entrypoint: def.entrypointFor(self),
          params: call.params,
          status: RunStatus.started,
          startedAt: new Date(),
          initiatedByRunId: Option.isSome(parent) ? parent.value.runId : null,
          environmentId,
          // A top-level flow is what the command line started: record its arguments.
          cliArgs: Option.isSome(parent) ? null : cliArgs(),
          cacheKey: null,
          cacheParts: null,
          userId: instance.user.id,
          ...(features !== undefined ? { features } : {})
        })
        const ctx = makeFlowContext({
          name: def.name,
          runId: run.id,
          runUid: run.uid,
          concurrency: options.concurrency ?? config.concurrency,
          progress: options.progress ?? config.progress,
          parent: parentFlow
        })
        parentFlow?.open.add(run.id)
        const state = new RunState(run.id, run.uid, def.name, call.inputs.map((r) => r.artifact.id))
        // Nested in a cacheable step: that step's hit will not run this flow, so it checks what the flow read.
        const relayTo = Option.isSome(parent) && takesRechecks(parent.value) ? parent.value : undefined
        if (relayTo !== undefined) state.relayRechecks()
        report(ctx, { status: "running", kind: "flow", name: def.name, run: run.uid })
        const t0 = performance.now()
        const exit = yield* restore(invokeBody(fn, self, call.callArgs, relayTo === undefined ? undefined : state.trace)).pipe(
          Effect.locally(CurrentRun, Option.some(state.scope)),
          Effect.locally(CurrentFlow, Option.some(ctx)),
          Effect.locallyWith(FiberRef.currentLoggers, HashSet.add(runLogger)),
          Effect.exit
        )
        const interrupted = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
        const failed = Exit.isFailure(exit) && !interrupted ? flowFailure(def, run, ctx, exit.cause) : undefined
        const closed = yield* closeFlowRun(ctx, state, exit, { kind: "flow", name: def.name, ...(failed !== undefined ? { failure: () => failed } : {}) })
        if (relayTo !== undefined && Exit.isSuccess(exit)) passOn(relayTo, closed.rechecked)
        parentFlow?.open.delete(run.id)
        const durationMs = performance.now() - t0
        report(ctx, {
          status: Exit.isSuccess(exit) ? "done" : interrupted ? "aborted" : "failed",
          kind: "flow",
          name: def.name,
          run: run.uid,
          durationMs,
          ...(failed !== undefined ? { detail: failed.message } : {})
        })
        if (Exit.isSuccess(exit)) return exit.value
        if (failed !== undefined) return yield* Effect.fail(failed)
        return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
      })
    )
  })

/** A flow-wrapped function: same parameters, returns an Effect failing with `FlowFailed`. */
export type FlowFunction<Args extends ReadonlyArray<unknown>, Ret> = (
  ...args: Args
) => Effect.Effect<Success<Ret>, FlowFailed | TrackingError, Requirements<Ret> | Lamina>

/**
 * What a `@flow()` method's declared type must allow, named in the compile error when it does
 * not: Lamina in its requirements, then `FlowFailed` and the engine's `TrackingError` in its
 * error type — `Effect.Effect<A, FlowFailed | TrackingError, Lamina>`.
 */
export type FlowMethodCheck<E, R> = [Lamina] extends [R]
  ? [FlowFailed] extends [E]
    ? TrackedMethodCheck<E, R, TrackingError>
    : { readonly "the decorated flow's error type must include FlowFailed (declare the method as returning Effect.Effect<A, FlowFailed | TrackingError, Lamina>)": never }
  : TrackedMethodCheck<E, R, TrackingError>

/** The `@flow()` decorator (TC39 standard decorators). */
export type FlowDecorator = <This, Args extends Array<unknown>, A, E, R>(
  target: (this: This, ...args: Args) => Effect.Effect<A, E, R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Effect.Effect<A, E, R>> & FlowMethodCheck<E, R>
) => (this: This, ...args: Args) => Effect.Effect<A, E, R>

const flowDefinition = (options: FlowOptions & { readonly params?: Schema.Schema.AnyNoContext }, fn: Function, name: string, files: ReadonlyArray<string>, method: boolean) =>
  makeDefinition({
    kind: "flow",
    name,
    fn,
    source: captureSource(fn, files),
    method,
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.params !== undefined ? { paramsSchema: options.params as Schema.Schema<unknown, unknown, never> } : {}),
    ...(options.ignore !== undefined ? { ignore: options.ignore } : {}),
    ...(options.description !== undefined ? { description: options.description } : {})
  })

/**
 * Make a tracked flow.
 *
 * ```ts
 * const pipeline = flow("pipeline", (regions: ReadonlyArray<string>) => Effect.gen(function* () { … }))
 * await runtime.runPromise(pipeline(["north", "south"]))
 * ```
 *
 * Called with only a name or options, returns the `@flow()` method decorator.
 */
export function flow<S extends Schema.Schema.AnyNoContext, Ret>(
  options: FlowOptionsWithParams<S>,
  fn: (params: Schema.Schema.Type<S>) => Ret
): (params: Schema.Schema.Encoded<S>) => Effect.Effect<Success<Ret>, FlowFailed | TrackingError | ValidationError, Requirements<Ret> | Lamina>
export function flow<F extends (...args: never[]) => unknown>(nameOrOptions: string | FlowOptions, fn: F): FlowFunction<Parameters<F>, ReturnType<F>>
export function flow(nameOrOptions?: string | FlowOptions): FlowDecorator
export function flow(nameOrOptions?: string | FlowOptions, fn?: Function): unknown {
  return wrapOrDecorate("flow", nameOrOptions, fn, callerFiles(), flowDefinition, callFlow)
}
