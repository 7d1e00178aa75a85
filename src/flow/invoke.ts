/**
 * Calling a user function and typing what comes back: a step or flow body may return an
 * Effect, a Promise or a plain value; the wrapper always returns an Effect.
 *
 * @module
 */
import { Cause, Effect, Exit, FiberRef, FiberRefs, Option, type Scheduler } from "effect"
import type { UnknownException } from "effect/Cause"
import type { IntegrityError, InvalidArgument, StorageError, ValidationError } from "../errors.js"
import { Ancestors, guardBody, openSpan } from "../registry/sourceGuard.js"
import { CurrentQueryObserver, type QueryObserver } from "../query/observe.js"
import { CurrentRun, type RunScope } from "./CurrentRun.js"
import { callTraced, runTraced, startTraced, traceOf, tracedScheduler, type FileTrace } from "./fileTrace.js"

/** What a body's return type succeeds with. */
export type Success<Ret> = Ret extends Effect.Effect<infer A, infer _E, infer _R> ? A : Awaited<Ret>
/** What a body's return type fails with. */
export type Failure<Ret> = Ret extends Effect.Effect<infer _A, infer E, infer _R> ? E : Ret extends PromiseLike<unknown> ? UnknownException : never
/** What a body's return type requires. */
export type Requirements<Ret> = Ret extends Effect.Effect<infer _A, infer _E, infer R> ? R : never

/**
 * Errors the tracking machinery itself can raise (bad params, registry or storage failures, and
 * a damaged `.parquet`/`.h5ad`/`.zarr` that `Artifact.fromPath` cannot read the metadata of).
 */
export type TrackingError = InvalidArgument | StorageError | IntegrityError | ValidationError

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { readonly then?: unknown }).then === "function"

/**
 * Call `fn` with `self` and `args`, as an Effect (a synchronous throw becomes a defect), guarded
 * against a concurrent run saving from the same path (see registry/sourceGuard.ts).
 */
export const invokeBody = (fn: Function, self: unknown, args: ReadonlyArray<unknown>, trace?: FileTrace): Effect.Effect<unknown, unknown, never> =>
  guardBody(call(fn, self, args, trace, runTraced))

/**
 * `fn` applied to `args`, as an Effect; with `trace`, what it reads after an `await` is traced
 * too (see fileTrace.ts): an Effect body then runs through `traced`.
 */
const call = (
  fn: Function,
  self: unknown,
  args: ReadonlyArray<unknown>,
  trace: FileTrace | undefined,
  traced: (trace: FileTrace, body: Effect.Effect<unknown, unknown, never>) => Effect.Effect<unknown, unknown, never>
): Effect.Effect<unknown, unknown, never> =>
  Effect.suspend(() => {
    const out: unknown = trace === undefined ? fn.apply(self, args) : callTraced(trace, () => fn.apply(self, args))
    if (Effect.isEffect(out)) return trace === undefined ? (out as Effect.Effect<unknown, unknown, never>) : traced(trace, out as Effect.Effect<unknown, unknown, never>)
    // The rejection's own message, not "An unknown error occurred", reaches the run's error.
    if (isPromiseLike(out))
      return Effect.tryPromise({
        try: () => Promise.resolve(out),
        catch: (e) => new Cause.UnknownException(e, e instanceof Error ? e.message : `the Promise rejected with ${String(e)}`)
      })
    return Effect.succeed(out)
  })

/**
 * `invokeBody` inside a step's run, to its exit: the body sees `scope` as its current run,
 * `tracing` as its tracer setting and `observer` as its query observer (a cacheable step's keeps
 * the queries its body runs; a nested step's queries are its own), in a guarded span, and a
 * traced body's fiber runs on its trace's scheduler (fileTrace.ts). Call it where interruption
 * is masked (`restore` unmasks the body): the fiber refs are set and reset in one update each
 * around the body, where an `Effect.locally` each cost ~20 Effect operations and a copy of the
 * fiber's refs per ref, twice.
 */
export const invokeInRun = (
  fn: Function,
  self: unknown,
  args: ReadonlyArray<unknown>,
  scope: RunScope,
  tracing: boolean,
  observer: QueryObserver | undefined,
  restore: <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
): Effect.Effect<Exit.Exit<unknown, unknown>> =>
  Effect.withFiberRuntime((fiber) => {
    const outer: Refs = [
      fiber.getFiberRef(CurrentRun),
      fiber.getFiberRef(FiberRef.currentTracerEnabled),
      fiber.getFiberRef(Ancestors),
      fiber.getFiberRef(CurrentQueryObserver),
      fiber.currentScheduler
    ]
    const span = openSpan(scope, outer[2])
    const trace = observer === undefined ? undefined : traceOf(scope)
    const scheduler = trace === undefined ? outer[4] : tracedScheduler(outer[4], trace)
    return setRefs([Option.some(scope), tracing, span.inside, observer, scheduler]).pipe(
      Effect.zipRight(Effect.exit(restore(call(fn, self, args, trace, startTraced)))),
      Effect.flatMap((exit) => {
        span.end()
        const conflict = Exit.isSuccess(exit) ? span.conflict() : undefined
        // Only these are reset: what else the body set stays, as with `Effect.locally`.
        return Effect.as(setRefs(outer), conflict === undefined ? exit : Exit.fail(conflict))
      })
    )
  })

/** The fiber refs a step's body runs with: its run, tracer setting, span ancestors, query observer and scheduler. */
type Refs = readonly [Option.Option<RunScope>, boolean, ReadonlyArray<number>, QueryObserver | undefined, Scheduler.Scheduler]

/** Set the fiber refs a step's body runs with, in one update of the fiber's refs (`FiberRef.set` copies them once per ref). */
const setRefs = ([run, tracing, ancestors, observer, scheduler]: Refs): Effect.Effect<void> =>
  Effect.updateFiberRefs((id, refs) =>
    FiberRefs.updateManyAs(refs, {
      entries: [
        [CurrentRun, [[id, run]]],
        [FiberRef.currentTracerEnabled, [[id, tracing]]],
        [Ancestors, [[id, ancestors]]],
        [CurrentQueryObserver, [[id, observer]]],
        [FiberRef.currentScheduler, [[id, scheduler]]]
      ]
    })
  )
