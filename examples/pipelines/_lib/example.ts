/**
 * The shape of an example pipeline module (`examples/pipelines/<name>/main.ts`), as the runner
 * (`examples/run.ts`) loads it: an Effect program, or (`api = "promise"`) an async function
 * written with `lamina/promise`.
 *
 * @module
 */
import type { Effect } from "effect"
import type { Lamina } from "../../../src/instance/Lamina.js"
import type { Connection } from "../../../src/promise/index.js"

/** What the runner gives an example. */
export interface ExampleContext {
  /** A folder for the example's generated input files (deterministic content). */
  readonly workDir: string
}

/** What the runner gives a Promise-API example. */
export interface PromiseExampleContext extends ExampleContext {
  /** A connection to the instance the example runs on. */
  readonly lm: Connection
  /** Aborted on Ctrl-C: pass it to flows (`flow.withSignal(signal)`) so open runs end aborted. */
  readonly signal: AbortSignal
}

/** An example pipeline module written with the Effect API. */
export interface EffectExampleModule {
  /** One line saying what the example shows. */
  readonly description: string
  readonly api?: "effect"
  /** The program: generates inputs, runs tracked flows, returns what it produced. */
  readonly main: (ctx: ExampleContext) => Effect.Effect<unknown, unknown, Lamina>
}

/** An example pipeline module written with the Promise API. */
export interface PromiseExampleModule {
  readonly description: string
  readonly api: "promise"
  readonly main: (ctx: PromiseExampleContext) => Promise<unknown>
}

/** An example pipeline module. */
export type ExampleModule = EffectExampleModule | PromiseExampleModule
