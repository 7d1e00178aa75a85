/**
 * `runMain(program)`: run a Lamina program as a tracked script from a Node entry point.
 *
 * Connects the instance (the current one from `$LAMINA_HOME` unless a layer is given), tracks
 * the script (unless `track: false`, or the program is a flow call such as
 * `runMain(pipeline(args))`: then the flow's run is the top-level run), and turns SIGINT/SIGTERM into fiber interruption so
 * every open run is marked aborted before the process exits — no run is left `started`. A
 * second signal exits at once.
 *
 * @module
 */
import { Cause, Effect, Exit, Fiber, Layer } from "effect"
import type { LaminaError } from "../errors.js"
import { layerFromSettings, type Lamina } from "../instance/Lamina.js"
import type { FlowFailed } from "./errors.js"
import { layerStderrLogger } from "../instance/logging.js"
import { FlowConfig } from "./config.js"
import { flowCallName } from "./flowCall.js"
import type { ProgressSink } from "./progress.js"
import { tracked, type TrackOptions } from "./track.js"

/** Options of `runMain`. */
export interface RunMainOptions<E2 = never> {
  /** The instance layer (default: the current instance from `$LAMINA_HOME`). */
  readonly layer?: Layer.Layer<Lamina, E2>
  /**
   * Track the script as a run (default), or `false` to run the program untracked (e.g. a
   * program that starts several flows). Ignored when the program is a flow call: the flow's
   * own run is the tracked run.
   */
  readonly track?: TrackOptions | false
  /** Set `process.exitCode` from the outcome (default true). */
  readonly setExitCode?: boolean
  /** Print a failure on stderr (default true). */
  readonly printError?: boolean
  /** Progress of the program's flows and steps, e.g. `stderrProgress` (default: FlowConfig's, none unless configured). */
  readonly progress?: ProgressSink
  /** Where SIGINT/SIGTERM come from (default `process`; tests pass an EventEmitter). */
  readonly signals?: Pick<NodeJS.EventEmitter, "on" | "off">
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const

/** Run `program` tracked; resolves with its exit once every run is closed. */
export const runMain = <A, E, E2 = LaminaError>(
  program: Effect.Effect<A, E, Lamina>,
  options: RunMainOptions<E2> = {}
): Promise<Exit.Exit<A, E | E2 | FlowFailed | LaminaError>> => {
  const layer = (options.layer ?? layerFromSettings) as Layer.Layer<Lamina, E2 | LaminaError>
  // A flow call is its own top-level run: tracking the script around it would make it nested.
  const main: Effect.Effect<A, E | FlowFailed | LaminaError, Lamina> =
    options.track === false || flowCallName(program) !== undefined ? program : tracked(program, options.track ?? {})
  const withProgress =
    options.progress === undefined
      ? main
      : Effect.flatMap(FlowConfig, (settings) => Effect.provideService(main, FlowConfig, { ...settings, progress: options.progress }))
  const fiber = Effect.runFork(Effect.provide(withProgress, Layer.merge(layer, layerStderrLogger)))
  let signalled: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) {
      process.stderr.write(`\n[lamina] ${signal} again: exiting without closing runs.\n`)
      process.exit(130)
    }
    signalled = signal
    process.stderr.write(`\n[lamina] ${signal}: aborting; open runs are being marked aborted (repeat to force).\n`)
    Effect.runFork(Fiber.interrupt(fiber))
  }
  const source = options.signals ?? process
  for (const s of SIGNALS) source.on(s, onSignal)
  return new Promise((resolve) => {
    fiber.addObserver((exit) => {
      for (const s of SIGNALS) source.off(s, onSignal)
      if (Exit.isFailure(exit)) {
        if (options.printError !== false && !Cause.isInterruptedOnly(exit.cause)) {
          const f = Cause.failureOption(exit.cause)
          process.stderr.write(
            `${f._tag === "Some" && f.value instanceof Error ? `${(f.value as { readonly _tag?: string })._tag ?? "Error"}: ${f.value.message}` : Cause.pretty(exit.cause)}\n`
          )
        }
        if (options.setExitCode !== false) process.exitCode = signalled === "SIGTERM" ? 143 : signalled !== undefined ? 130 : 1
      }
      resolve(exit)
    })
  })
}
