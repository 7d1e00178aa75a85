/**
 * Where an executed step's body runs: in this process (the default), or on a runner of a
 * cluster (`src/cluster/` provides that executor through `cluster` (lamina/cluster)).
 *
 * `step()` consults this service once per call that must execute. Everything before it —
 * params, cache key, cache hit, claim, the run row — and after it — progress, attributing a
 * failure to its step — stays in step.ts, so a remote run records exactly what a local run
 * records. The executor only runs the body and closes the run.
 *
 * @module
 */
import { Context, Effect, type Exit, Schema } from "effect"
import type { Completion } from "../tracker/Tracker.js"
import type { Lamina } from "../instance/Lamina.js"
import type { RunRef } from "../registry/Run.js"
import type { CacheParts } from "../tracker/cacheKey.js"
import type { Definition, PreparedCall } from "./definition.js"
import { type Gate, makeGate } from "./admission.js"
import { invokeInRun, type TrackingError } from "./invoke.js"
import { closeRun, type Closed } from "./lifecycle.js"
import type { RunState } from "./runState.js"

/** Where a call was placed by `admit`: a runner address, or nowhere in particular (local). */
export interface Placement {
  /** The runner that will execute the body (`host:port`), for progress lines. */
  readonly runner?: string
}

/** One executed call of a step, with its run already inserted and `started`. */
export interface StepInvocation {
  readonly def: Definition
  readonly fn: Function
  readonly self: unknown
  /** The arguments as the caller passed them. */
  readonly args: ReadonlyArray<unknown>
  readonly call: PreparedCall
  readonly run: RunRef
  /** The run that initiated this one (the flow's, or an enclosing step's). */
  readonly parent: number
  readonly state: RunState
  /** The run's cache key (null with `cache: false`). */
  readonly cacheKey: string | null
  /** The cache parts to store on completion (null with `cache: false`). */
  readonly parts: CacheParts | null
  /**
   * Whether the caller's run takes on what this run checks again (it is a cacheable step's, or a
   * flow's inside one): then an uncached run keeps what its body read too, for its caller's hits.
   */
  readonly callerRechecks: boolean
  /** The step's `result` schema, if any. */
  readonly result: Schema.Schema.AnyNoContext | undefined
  /** The caller's tracing setting, for the body. */
  readonly tracing: boolean
  readonly placement: Placement
}

/** A call whose body ran (here or on a runner) and whose run was closed. */
export interface CallExecuted {
  readonly _tag: "executed"
  readonly exit: Exit.Exit<unknown, unknown>
  readonly closed: Closed
  /** The run that ended: the invocation's, or a retry's when its runner was lost. */
  readonly run: RunRef
  /** Where it ran, when not in this process (`host:port` of the runner, and its host name). */
  readonly runner?: { readonly address: string; readonly host: string; readonly attempts: number }
}

/** How an executor ended a call. */
export type Executed =
  | CallExecuted
  /** Another run took over the cache key (a retry found a hit or a live claim): look again. */
  | { readonly _tag: "superseded" }

/** Runs bodies. */
export interface Executor {
  /**
   * Bounds the calls between their start and their admission (admission.ts): `step()` enters it
   * before the cache lookup and leaves it once `admit` placed the call.
   */
  readonly gate: Gate
  /**
   * Wrap one call from before its run is inserted until it ends: a remote executor waits here
   * for a free runner slot, so queued calls hold no run and no claim.
   */
  readonly admit: <A, E, R>(def: Definition, self: unknown, use: (placement: Placement) => Effect.Effect<A, E, R>) => Effect.Effect<A, E | TrackingError, R | Lamina>
  /** Execute the body of `inv` and close its run. `restore` makes the waiting interruptible. */
  readonly execute: (
    inv: StepInvocation,
    restore: <X, Y, Z>(e: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>
  ) => Effect.Effect<Executed, TrackingError, Lamina>
}

/**
 * How a runner makes sure its attempt is still the call's current one when it records the run:
 * checks made by the recording transaction itself, so no takeover slips in between.
 */
export type CompletionGuard = Pick<Completion, "claimLost" | "attempt">

/** Execute a body here and close its run (`guard`: see `CompletionGuard`). */
export const executeHere = (
  inv: StepInvocation,
  restore: <X, Y, Z>(e: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
  guard?: CompletionGuard
): Effect.Effect<CallExecuted, TrackingError, Lamina> =>
  Effect.gen(function* () {
    const { cacheKey, run, state } = inv
    const exit = yield* invokeInRun(inv.fn, inv.self, inv.call.callArgs, state.scope, inv.tracing, inv.parts !== null || inv.callerRechecks ? state.rechecks() : undefined, restore)
    const result = inv.result
    const closed = yield* closeRun(state, exit, {
      kind: "step",
      name: inv.def.name,
      ...(inv.parts !== null ? { cacheParts: inv.parts } : {}),
      ...(result !== undefined ? { stored: Schema.encodeUnknownSync(result) } : {}),
      ...(cacheKey !== null ? { releaseClaim: cacheKey, ...(guard?.claimLost !== undefined ? { claimLost: guard.claimLost } : {}) } : {}),
      ...(guard?.attempt !== undefined ? { attempt: guard.attempt } : {}),
      // Here, not on a runner (whose completion must land before it reports back): a success is
      // recorded behind, so a sequential flow's next claim commits it (one commit per step fewer).
      ...(guard === undefined ? { behind: true } : {})
    })
    return { _tag: "executed", exit, closed, run } satisfies CallExecuted
  })

/** The default executor: every body runs in this process. */
export const localExecutor: Executor = {
  gate: makeGate(),
  admit: (_def, _self, use) => use({}),
  execute: executeHere
}

/** The step executor service (a reference: local unless a layer provides another). */
export class StepExecutor extends Context.Reference<StepExecutor>()("lamina/StepExecutor", {
  defaultValue: (): Executor => localExecutor
}) {}
