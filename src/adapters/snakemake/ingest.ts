/**
 * `Adapters.snakemake.ingest(dir, options)`: record what Snakemake left in a working directory
 * — a run per invocation, a run per job of its rule's transform, inputs and outputs as
 * artifacts — idempotently.
 *
 * @module
 */
import { Effect } from "effect"
import { checkDirs } from "../dirs.js"
import { registryWriter, type WriteProgress } from "../write.js"
import { planSnakemake, type SnakemakeOptions } from "./plan.js"

/** Options of `Adapters.snakemake.ingest`. */
export interface SnakemakeIngestOptions extends SnakemakeOptions {
  readonly onProgress?: ((p: WriteProgress) => void) | undefined
  /** A run that started the workflow (`lamina run`): the launches become its children. */
  readonly parentRunId?: number | undefined
}

/** Ingest a Snakemake working directory. */
export const ingest = (dir: string, options: SnakemakeIngestOptions = {}) =>
  Effect.gen(function* () {
    const [abs] = yield* checkDirs([dir])
    const plan = yield* planSnakemake(abs!, options)
    return yield* registryWriter.write(plan, options)
  })
