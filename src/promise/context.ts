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
import { Context, type Effect, type Exit, type Runtime } from "effect"
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
   * In a step's or flow's async body (`RunContext`): run `effect` for the body and hand its exit
   * to `done` — on the run's own fiber when that fiber is idle, else in a fiber of its own that
   * the run's interruption interrupts. Undefined elsewhere: the caller runs a fiber itself.
   */
  readonly execute?: <A, E>(effect: Effect.Effect<A, E, Lamina>, done: (exit: Exit.Exit<A, E>) => void) => void
}

/**
 * The context of the running async code. Like the engine's `CurrentRun` fiber reference, one
 * for the process: the store itself is per call chain.
 */
export const CurrentContext = new AsyncLocalStorage<PromiseContext>()

/** A context for `runtime`. */
export const makeContext = (runtime: Runtime.Runtime<Lamina>, signal: AbortSignal | undefined): PromiseContext => ({
  runtime,
  signal,
  client: Context.get(runtime.context, SqlClient.SqlClient)
})
