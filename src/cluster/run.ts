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

/** How long leaving the cluster may take after the drain before the process exits anyway. */
const STOP_GRACE = Duration.seconds(15)

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
  const drain = Duration.decode(options.drain ?? "1 minute")
  const stop = (signal: NodeJS.Signals) => {
    print(`[lamina] ${signal}: draining (calls in flight get ${Duration.format(drain)}), then leaving the cluster`)
    // Whoever sent the signal waits for the exit: a shutdown that outlives its drain (a stuck
    // socket, a handle the pipeline module left open) must not keep the process for ever.
    // A second signal of the same kind finds no handler (`once`) and ends the process at once.
    const deadline = Duration.sum(drain, STOP_GRACE)
    setTimeout(() => {
      print(`[lamina] still running ${Duration.format(deadline)} after ${signal}: exiting`)
      process.exit(process.exitCode ?? 1)
    }, Duration.toMillis(deadline)).unref()
    Effect.runFork(Fiber.interrupt(fiber))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  const exit = await Effect.runPromise(Fiber.await(fiber))
  process.off("SIGINT", stop)
  process.off("SIGTERM", stop)
  return exit
}
