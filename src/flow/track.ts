/**
 * `track()` / `finish()`: track a whole script as a Transform of kind "script" (its source is
 * the script file), LaminDB's `ln.track()` / `ln.finish()`. `tracked(program)` does both
 * around an Effect, closing the run however the program ends.
 *
 * The tracked run lives in the calling fiber (and the fibers it forks): call `track()` at the
 * top of the program's main `Effect.gen`, or use `runMain`.
 *
 * @module
 */
import { promises as fs } from "node:fs"
import * as path from "node:path"
import { Cause, Effect, Exit, FiberRef, HashSet, Option } from "effect"
import { InvalidArgument, StorageError, type IntegrityError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import type { Lamina } from "../instance/Lamina.js"
import { planRunFeatures, RunStatus, type RunRef } from "../registry/Run.js"
import { Tracker } from "../tracker/Tracker.js"
import { hashString } from "../storage/hash.js"
import { paramJson, Unencodable, type Json } from "../tracker/canonical.js"
import { FlowConfig } from "./config.js"
import { CurrentFlow, makeFlowContext, report, type FlowContext } from "./context.js"
import { currentRun, CurrentRun } from "./CurrentRun.js"
import { environmentArtifactId } from "./environment.js"
import { describeFailure, FlowFailed, withCause } from "./errors.js"
import { closeFlowRun } from "./lifecycle.js"
import type { ProgressSink } from "./progress.js"
import { RunState, runLogger } from "./runState.js"
import { failureValue } from "./executed.js"
import { modulePath } from "./source.js"

/** Options of `track()`. */
export interface TrackOptions {
  /** The script file (default: the entry script, `process.argv[1]`). */
  readonly path?: string
  /** Transform key (default: the script's path relative to its project root). */
  readonly key?: string
  readonly description?: string
  /** Params of the script run (e.g. parsed CLI options). */
  readonly params?: Readonly<Record<string, unknown>>
  /** Feature values of the script's run (`{ experiment: "My experiment" }`), checked before the run starts. */
  readonly features?: Readonly<Record<string, unknown>>
  /** Limit on concurrently executing steps (default: FlowConfig's). */
  readonly concurrency?: number
  readonly progress?: ProgressSink
}

interface Tracked {
  readonly state: RunState
  readonly ctx: FlowContext
  readonly name: string
  readonly t0: number
}

/** The script run `track()` opened in this fiber (read by `finish()`). */
const CurrentScript: FiberRef.FiberRef<Option.Option<Tracked>> = FiberRef.unsafeMake<Option.Option<Tracked>>(Option.none())

/** The process's command-line arguments, shell-quoted where needed (LaminDB's `cli_args`). */
export const cliArgs = (): string => process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")

const readScript = (file: string) =>
  Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (cause) =>
      new StorageError({
        message: `Cannot read the script '${file}' to record its source (${(cause as NodeJS.ErrnoException).code ?? String(cause)}). Pass track({ path }) with the script's source file, readable by this user.`,
        path: file,
        cause
      })
  })

/** Start tracking the running script; steps called afterwards in this fiber are its children. */
export const track = (options: TrackOptions = {}) =>
  Effect.gen(function* () {
    const existing = yield* currentRun
    if (Option.isSome(existing))
      return yield* new InvalidArgument({
        message: `A run is already tracked here ('${existing.value.name}', ${existing.value.runUid}): call finish() before track(), or use step() inside it.`
      })
    const file = options.path ?? process.argv[1]
    if (file === undefined || file === "")
      return yield* new InvalidArgument({ message: "Cannot tell which script is running: pass track({ path: import.meta.filename })." })
    const source = yield* readScript(file)
    const key = options.key ?? modulePath(file)
    const tracker = yield* Tracker
    yield* tracker.reapExpiredRuns
    const transform = yield* tracker.ensureTransform({ key, kind: "script", source, hash: hashString(source), description: options.description ?? null })
    const environmentId = yield* environmentArtifactId
    const instance = yield* Instance
    const config = yield* FlowConfig
    const params: Record<string, Json> = {}
    for (const [name, value] of Object.entries(options.params ?? {})) {
      if (value === undefined || value === null) continue
      try {
        params[name] = paramJson(value, name, { mode: "params" })
      } catch (e) {
        if (!(e instanceof Unencodable)) throw e
        return yield* new InvalidArgument({ message: `Cannot record param '${name}' of the script: ${e.message}. Pass JSON-like values.` })
      }
    }
    const features = yield* planRunFeatures(options.features)
    const run = yield* tracker.startRun({
      transformId: transform.id,
      name: path.basename(file),
      entrypoint: null,
      params,
      status: RunStatus.started,
      startedAt: new Date(),
      initiatedByRunId: null,
      environmentId,
      cliArgs: cliArgs(),
      cacheKey: null,
      cacheParts: null,
      userId: instance.user.id,
      ...(features !== undefined ? { features } : {})
    })
    const state = new RunState(run.id, run.uid, key, [])
    const ctx = makeFlowContext({
      name: key,
      runId: run.id,
      runUid: run.uid,
      concurrency: options.concurrency ?? config.concurrency,
      progress: options.progress ?? config.progress,
      parent: undefined
    })
    yield* FiberRef.set(CurrentScript, Option.some({ state, ctx, name: key, t0: performance.now() }))
    yield* FiberRef.set(CurrentRun, Option.some(state.scope))
    yield* FiberRef.set(CurrentFlow, Option.some(ctx))
    yield* FiberRef.update(FiberRef.currentLoggers, HashSet.add(runLogger))
    report(ctx, { status: "running", kind: "script", name: key, run: run.uid })
    return run satisfies RunRef
  })

/** Close the tracked run with `exit` (success: completed; failure: errored; interruption: aborted). */
const finishWith = <A, E>(exit: Exit.Exit<A, E>) =>
  Effect.gen(function* () {
    const scope = yield* currentRun
    const script = yield* FiberRef.get(CurrentScript)
    // The script's own run must be the current one (not a step's run inside it).
    const t = Option.isSome(scope) && Option.isSome(script) && script.value.state.scope === scope.value ? script.value : undefined
    if (t === undefined)
      return yield* new InvalidArgument({ message: "Nothing is tracked in this fiber: call track() first (finish() closes the run track() started)." })
    const { state, ctx } = t
    const interrupted = Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
    let failed: FlowFailed | undefined
    if (Exit.isFailure(exit) && !interrupted) {
      const d = describeFailure(exit.cause)
      const origin = ctx.failures.get(failureValue(exit.cause))
      failed = withCause(
        new FlowFailed({
          flow: t.name,
          run: state.runUid,
          ...(origin !== undefined ? { step: origin.step, stepRun: origin.run } : {}),
          message: origin !== undefined ? `Step '${origin.step}' failed in script '${t.name}': ${d.message}` : `Script '${t.name}' failed: ${d.message}`,
          ...(d.stack !== undefined ? { errorStack: d.stack } : {}),
          ...(d.errorTag !== undefined ? { errorTag: d.errorTag } : {})
        }),
        failureValue(exit.cause)
      )
    }
    const f = failed
    yield* closeFlowRun(ctx, state, exit, { kind: "script", name: t.name, ...(f !== undefined ? { failure: () => f } : {}) })
    yield* FiberRef.set(CurrentScript, Option.none())
    yield* FiberRef.set(CurrentRun, Option.none())
    yield* FiberRef.set(CurrentFlow, Option.none())
    yield* FiberRef.update(FiberRef.currentLoggers, HashSet.remove(runLogger))
    report(ctx, {
      status: Exit.isSuccess(exit) ? "done" : interrupted ? "aborted" : "failed",
      kind: "script",
      name: t.name,
      run: state.runUid,
      durationMs: performance.now() - t.t0,
      ...(f !== undefined ? { detail: f.message } : {})
    })
    return f
  })

/** Finish the tracked run: completed, with finished_at, its inputs and logs. */
export const finish = (): Effect.Effect<void, InvalidArgument | StorageError | IntegrityError, Lamina> =>
  Effect.asVoid(finishWith(Exit.void))

/**
 * Track `program` as a script run: `track()`, run it, then close the run as completed,
 * errored (the error recorded, failing with `FlowFailed`) or aborted (interruption, SIGINT).
 */
export const tracked = <A, E, R>(program: Effect.Effect<A, E, R>, options: TrackOptions = {}) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function* () {
      yield* track(options)
      const exit = yield* Effect.exit(restore(program))
      const failed = yield* finishWith(exit)
      if (Exit.isSuccess(exit)) return exit.value
      if (failed !== undefined) return yield* Effect.fail(failed)
      return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
    })
  )
