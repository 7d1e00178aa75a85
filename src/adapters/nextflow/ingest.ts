/**
 * `Adapters.nextflow.ingest(dir, options)`: record what a finished, failed or resumed Nextflow
 * run left in a folder — one pipeline run per launch, one task run per trace row, the published
 * files as outputs — idempotently.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import type { WriteProgress } from "../write.js"
import { registryWriter } from "../write.js"
import { planNextflow, type NextflowOptions } from "./plan.js"

/** Options of `Adapters.nextflow.ingest`. */
export interface NextflowIngestOptions extends NextflowOptions {
  /** Called as files are stored and launches written (the CLI prints a progress line). */
  readonly onProgress?: ((p: WriteProgress) => void) | undefined
}

/** Check that every folder exists; `InvalidArgument` naming the first that does not. */
export const checkDirs = (dirs: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    if (dirs.length === 0) return yield* new InvalidArgument({ message: "Pass at least one folder a workflow run left behind." })
    const out: Array<string> = []
    for (const dir of dirs) {
      if (typeof dir !== "string" || dir === "" || !existsSync(dir) || !statSync(dir).isDirectory())
        return yield* new InvalidArgument({ message: `'${String(dir)}' is not a folder: pass the folder a workflow run left behind (its project or results folder).` })
      out.push(path.resolve(dir))
    }
    return out
  })

/** Ingest one or more Nextflow folders. */
export const ingest = (dirs: string | ReadonlyArray<string>, options: NextflowIngestOptions = {}) =>
  Effect.gen(function* () {
    const abs = yield* checkDirs(typeof dirs === "string" ? [dirs] : dirs)
    const plan = yield* planNextflow(abs, options)
    return yield* registryWriter.write(plan, options.onProgress)
  })
