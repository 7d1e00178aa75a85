/**
 * The shape of an example pipeline module (`examples/pipelines/<name>/main.ts`), as the runner
 * (`examples/run.ts`) loads it.
 *
 * @module
 */
import type { Effect } from "effect"
import type { Lamina } from "../../../src/instance/Lamina.js"

/** What the runner gives an example. */
export interface ExampleContext {
  /** A folder for the example's generated input files (deterministic content). */
  readonly workDir: string
}

/** An example pipeline module. */
export interface ExampleModule {
  /** One line saying what the example shows. */
  readonly description: string
  /** The program: generates inputs, runs tracked flows, returns what it produced. */
  readonly main: (ctx: ExampleContext) => Effect.Effect<unknown, unknown, Lamina>
}
