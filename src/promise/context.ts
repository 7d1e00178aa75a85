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
   * interrupted, until the returned function is called. Cheaper than an AbortSignal listener
   * per call; `signal` is then only made when something reads it.
   */
  readonly watch?: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => () => void
}

/**
 * The context of the running async code. Like the engine's `CurrentRun` fiber reference, one
 * for the process: the store itself is per call chain.
 */
export const CurrentContext = new AsyncLocalStorage<PromiseContext>()

/**
 * The context of an async body running in a run's fiber, and `interrupt`, which its fiber calls
 * when it is interrupted. No AbortController is made until the body's code reads `signal`
 * (a body that calls nothing, or only Promise-API functions, never does).
 */
export const makeRunContext = (runtime: Runtime.Runtime<Lamina>): { readonly context: PromiseContext; readonly interrupt: () => void } => {
  let controller: AbortController | undefined
  let interrupted = false
  const live = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
  const client = Context.get(runtime.context, SqlClient.SqlClient)
  const context: PromiseContext = {
    runtime,
    client,
    get signal() {
      if (controller === undefined) {
        controller = new AbortController()
        if (interrupted) controller.abort()
      }
      return controller.signal
    },
    watch: (fiber) => {
      if (interrupted) fiber.unsafeInterruptAsFork(fiber.id())
      live.add(fiber)
      return () => void live.delete(fiber)
    }
  }
  const interrupt = () => {
    interrupted = true
    controller?.abort()
    for (const fiber of live) fiber.unsafeInterruptAsFork(fiber.id())
  }
  return { context, interrupt }
}

/** A context for `runtime`. */
export const makeContext = (runtime: Runtime.Runtime<Lamina>, signal: AbortSignal | undefined): PromiseContext => ({
  runtime,
  signal,
  client: Context.get(runtime.context, SqlClient.SqlClient)
})
