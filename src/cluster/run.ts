/**
 * `runWorker`: what `lamina worker` runs — load the pipeline modules, join the current
 * instance's cluster as a runner, serve until SIGINT/SIGTERM, then drain and leave.
 *
 * The CLI loads this file from the installed library (not from its own bundle), so the
 * pipeline module's `import … from "lamina"` and the runner share one copy of Lamina.
 *
 * @module
 */
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Duration, Effect, Exit, Fiber, Layer } from "effect"
import { layerFromSettings } from "../instance/Lamina.js"
import { loadCatalog } from "./catalog.js"
import { layerWorker, Worker, type WorkerOptions } from "./worker.js"

/** Options of `lamina worker`. */
export interface RunWorkerOptions extends Omit<WorkerOptions, "catalog" | "modules"> {
  /** Pipeline module paths (relative to the working directory) or URLs. */
  readonly modules: ReadonlyArray<string>
  /** Where status lines go (default stderr). */
  readonly print?: (line: string) => void
}

/** Run a runner until a signal; resolves with its exit (interrupted = a clean stop). */
export const runWorker = async (options: RunWorkerOptions): Promise<Exit.Exit<void, unknown>> => {
  const print = options.print ?? ((line: string) => void process.stderr.write(`${line}\n`))
  const specifiers = options.modules.map((m) => (/^[a-z]+:/i.test(m) ? m : pathToFileURL(path.resolve(m)).href))
  const catalog = await loadCatalog(specifiers)
  const program = Effect.gen(function* () {
    const info = yield* Worker
    print(`[lamina] runner ${info.address} on ${info.host} ready: ${info.concurrency} slot(s), steps ${info.steps.join(", ")}`)
    return yield* Effect.never
  }).pipe(Effect.provide(layerWorker({ ...options, catalog, modules: options.modules.join(", ") }).pipe(Layer.provide(layerFromSettings))))
  const fiber = Effect.runFork(program)
  const stop = (signal: NodeJS.Signals) => {
    print(`[lamina] ${signal}: draining (calls in flight get ${Duration.format(Duration.decode(options.drain ?? "1 minute"))}), then leaving the cluster`)
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  const exit = await Effect.runPromise(Fiber.await(fiber))
  process.off("SIGINT", stop)
  process.off("SIGTERM", stop)
  return exit
}
