/**
 * Which run a piece of Promise code belongs to. Effect code knows its run through fiber
 * references (`CurrentRun`, `CurrentFlow`); async code has no fiber, so a step's async body runs
 * inside `CurrentContext.run(...)` with the Effect runtime of the step's fiber, and Node carries
 * that store across `await`, timers and `Promise.all` fan-out. Every Promise-API call made there
 * runs its Effect with that runtime: a step it calls is the step's child, an artifact it loads
 * is the step's input.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"
import * as SqlClient from "@effect/sql/SqlClient"
import { Context, type Fiber, type Runtime } from "effect"
import type { Lamina } from "../instance/Lamina.js"

/** The Effect side of the code that is running: its runtime, and what cancels it. */
export interface PromiseContext {
  /** The runtime of the run's fiber: its services and fiber references (current run, flow, permits). */
  readonly runtime: Runtime.Runtime<Lamina>
  /** Aborted when the run is interrupted (its flow aborted, its connection closed). */
  readonly signal: AbortSignal | undefined
  /** The registry client of `runtime`: a connection uses the context only for its own instance. */
  readonly client: SqlClient.SqlClient
  /**
   * In a step's or flow's async body: interrupt `fiber` (an Effect the body runs) when the run is
   * interrupted, until `unwatch(fiber)`. Cheaper than an AbortSignal listener per call; `signal`
   * is then only made when something reads it.
   */
  readonly watch?: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => void
  /** Stop watching `fiber` (it ended). */
  readonly unwatch?: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => void
}

/**
 * The context of the running async code. Like the engine's `CurrentRun` fiber reference, one
 * for the process: the store itself is per call chain.
 */
export const CurrentContext = new AsyncLocalStorage<PromiseContext>()

/**
 * The context of an async body running in a run's fiber; its fiber calls `interrupt()` when it
 * is interrupted. No AbortController is made until the body's code reads `signal` (a body that
 * calls nothing, or only Promise-API functions, never does). A class, not closures: one is made
 * per executed Promise step.
 */
export class RunContext implements PromiseContext {
  private controller: AbortController | undefined
  private interrupted = false
  private live: Set<Fiber.RuntimeFiber<unknown, unknown>> | undefined

  constructor(
    readonly runtime: Runtime.Runtime<Lamina>,
    readonly client: SqlClient.SqlClient
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.interrupted) this.controller.abort()
    }
    return this.controller.signal
  }

  watch(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    if (this.interrupted) fiber.unsafeInterruptAsFork(fiber.id())
    ;(this.live ??= new Set()).add(fiber)
  }

  unwatch(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.live?.delete(fiber)
  }

  /** The run was interrupted: abort the signal and interrupt every Effect the body still runs. */
  interrupt(): void {
    this.interrupted = true
    this.controller?.abort()
    if (this.live !== undefined) for (const fiber of this.live) fiber.unsafeInterruptAsFork(fiber.id())
  }
}

/** A context for `runtime`. */
export const makeContext = (runtime: Runtime.Runtime<Lamina>, signal: AbortSignal | undefined): PromiseContext => ({
  runtime,
  signal,
  client: Context.get(runtime.context, SqlClient.SqlClient)
})
