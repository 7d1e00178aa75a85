/**
 * `Adapters.nextflow.ingest(dir, options)`: record what a finished, failed or resumed Nextflow
 * run left in a folder — one pipeline run per launch, one task run per trace row, the published
 * files as outputs — idempotently.
 *
 * @module
 */
import { Effect } from "effect"
import { checkDirs } from "../dirs.js"
import type { WriteProgress } from "../write.js"
import { registryWriter } from "../write.js"
import { planNextflow, type NextflowOptions } from "./plan.js"

/** Options of `Adapters.nextflow.ingest`. */
export interface NextflowIngestOptions extends NextflowOptions {
  /** Called as files are stored and launches written (the CLI prints a progress line). */
  readonly onProgress?: ((p: WriteProgress) => void) | undefined
  /** A run that started the workflow (`lamina run`): the launches become its children. */
  readonly parentRunId?: number | undefined
}

/** Ingest one or more Nextflow folders. */
export const ingest = (dirs: string | ReadonlyArray<string>, options: NextflowIngestOptions = {}) =>
  Effect.gen(function* () {
    const abs = yield* checkDirs(typeof dirs === "string" ? [dirs] : dirs)
    const plan = yield* planNextflow(abs, options)
    return yield* registryWriter.write(plan, options)
  })
