/**
 * How a run ends: record its inputs and returned outputs, persist its result or error, and on
 * failure or interruption move the artifacts it created to trash, so "latest version" queries
 * never return a failed run's partial outputs.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Effect, Exit } from "effect"
import * as path from "node:path"
import type { Artifact } from "../registry/Artifact.js"
import { sqlFailure } from "../registry/crud.js"
import { RunStatus } from "../registry/Run.js"
import { type Completion, Tracker } from "../tracker/Tracker.js"
import { recheckedOf, type CacheParts, type LoadedInput, type Rechecked } from "../tracker/cacheKey.js"
import { encodeResult, Unencodable, type Json } from "../tracker/canonical.js"
import { filesOf, tracedFiles, type KeyFile } from "../tracker/fileParams.js"
import { type ScriptRead, scriptReadsOf } from "../tracker/scriptReads.js"
import { isNodeCode, reachedFiles } from "./codeFingerprint.js"
import { inNodeModules } from "./specifiers.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { describeFailure, encodeRunError, type FlowFailed, StepFailed } from "./errors.js"
import { takesRechecks, type RunState } from "./runState.js"
import type { FlowContext } from "./context.js"
import { endTrace } from "./fileTrace.js"

/** The uid and hash of artifacts loaded inside a run, for the cache parts. */
export const loadedInputs = (ids: ReadonlySet<number>) =>
  Effect.gen(function* () {
    if (ids.size === 0) return []
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly id: number; readonly uid: string; readonly hash: string | null }>`SELECT id, uid, hash FROM lamina_artifact WHERE ${sql.in("id", [...ids])}`.pipe(
      Effect.mapError(sqlFailure("Reading a run's inputs"))
    )
    return rows.map((r): LoadedInput => ({ id: Number(r.id), uid: r.uid, hash: r.hash }))
  })

/** Files under these are not a body's inputs: the kernel's (`/proc` changes as it is read), and package code (keyed by the lockfile). */
const NOT_INPUTS = /^\/(?:proc|sys|dev)\/|[\\/]node_modules[\\/]/

/**
 * What a script a body ran reads by names in its text (tracker/scriptReads.ts), and for a Node
 * script (`node scripts/score.mjs`, or `bin/score` with a `#!` line running node), the project
 * modules it imports, as the code fingerprint follows a step's own (a helper it imports, edited,
 * ran the old result back).
 */
const scriptReads = (script: string, pythonPath: ReadonlyArray<string>): ReadonlyArray<ScriptRead> =>
  isNodeCode(script) && !inNodeModules(script)
    ? reachedFiles(script).flatMap((file) => (file === script ? [] : [{ file, imported: true }]))
    : scriptReadsOf(script, pythonPath)

/**
 * The files the body of the run of `state` was seen reading or looking up, the folders it listed
 * and the files the commands it ran named, signed now, when it was traced (fileTrace.ts); except
 * those in `known` and Lamina's own: its storage and download cache hold artifacts, keyed by
 * their hashes.
 */
export const bodyFiles = (state: RunState, known: ReadonlyArray<KeyFile>): Effect.Effect<ReadonlyArray<KeyFile>, never, ObjectStore> =>
  Effect.gen(function* () {
    const trace = state.trace
    if (trace === undefined || trace.empty) return []
    const own = (yield* ObjectStore).localFolders
    return tracedFiles(trace, known, (file) => NOT_INPUTS.test(file) || own.some((folder) => file === folder || file.startsWith(folder + path.sep)), scriptReads)
  })

/** Parts without the call's candidate paths (the completed run keeps the files they named). */
const withoutPaths = ({ paths: _paths, ...parts }: CacheParts): CacheParts => parts

/** How `closeRun` should treat the run. */
/** `claimLost`, `attempt` and `behind` pass through to the run's `Completion` (see there). */
export interface CloseOptions extends Pick<Completion, "claimLost" | "attempt" | "behind"> {
  readonly kind: "step" | "flow" | "script"
  readonly name: string
  /** Encoded cache parts for a cacheable step; the loaded inputs are added to them. */
  readonly cacheParts?: CacheParts
  /** The error to persist on failure (a flow persists its FlowFailed). */
  readonly failure?: (cause: Cause.Cause<unknown>) => StepFailed | FlowFailed
  /** Turn the return value into what is stored (a result schema's encoder). */
  readonly stored?: (value: unknown) => unknown
  /** The cache key whose claim the completing transaction releases. */
  readonly releaseClaim?: string
}

/** What closing a run concluded. */
export interface Closed {
  readonly status: number
  /** The encoded result (success only), or undefined when it could not be encoded. */
  readonly result?: Json
  /** Why the result could not be cached, if it could not. */
  readonly uncacheable?: string
  /** What a hit of the run checks again, for the step whose body called it (`RunState.absorb`). */
  readonly rechecked?: Rechecked
}

/**
 * Record how a run ended, from its exit: its inputs, returned outputs, result or error and the
 * release of its cache claim in one transaction (the Tracker's; concurrent completions share it).
 * flow, step and track all end their runs here.
 */
export const closeRun = <A, E>(state: RunState, exit: Exit.Exit<A, E>, options: CloseOptions) =>
  Effect.gen(function* () {
    const tracker = yield* Tracker
    const finishedAt = new Date()
    const inputs = state.inputs.filter((id) => !state.created.has(id))
    if (state.collections.size > 0) yield* tracker.addCollectionInputs(state.runId, [...state.collections])
    const release = {
      ...(options.releaseClaim !== undefined ? { releaseClaim: options.releaseClaim, ...(options.claimLost !== undefined ? { claimLost: options.claimLost } : {}) } : {}),
      ...(options.attempt !== undefined ? { attempt: options.attempt } : {})
    }
    if (Exit.isSuccess(exit)) {
      const returned: Array<Artifact> = []
      let result: Json | undefined
      let uncacheable: string | undefined
      try {
        result = encodeResult(options.stored ? options.stored(exit.value) : exit.value, returned)
      } catch (e) {
        // Unencodable, or a result schema refusing the value: the run completes, uncached.
        uncacheable = e instanceof Unencodable ? e.message : e instanceof Error ? e.message : String(e)
      }
      // What a hit checks again: of a cacheable step's run, and of any run whose caller's hit
      // would skip it (an uncached step or a flow called in a cacheable step's body).
      const rechecks = options.cacheParts !== undefined || takesRechecks(state.scope)
      const loaded = !rechecks || state.loaded.size === 0 ? [] : yield* loadedInputs(state.loaded)
      const queries = rechecks ? state.storedQueries : []
      // Taken now, not at the call: a file the body wrote through a param is what it left.
      const named = options.cacheParts?.paths === undefined ? [] : filesOf(options.cacheParts.paths)
      const files = rechecks ? [...named, ...(yield* bodyFiles(state, named))] : named
      const nested = state.nested
      const parts =
        options.cacheParts === undefined
          ? undefined
          : {
              ...withoutPaths(options.cacheParts),
              loaded,
              ...(state.collections.size > 0 ? { collections: [...state.collections] } : {}),
              ...(state.created.size > 0 ? { created: [...state.created] } : {}),
              ...(state.recreated.size > 0 ? { recreated: [...state.recreated] } : {}),
              ...(queries.length > 0 ? { queries } : {}),
              ...(files.length > 0 ? { files } : {}),
              ...(nested !== undefined ? { nested } : {})
            }
      yield* tracker.completeRun({
        runId: state.runId,
        inputs,
        recreated: [...state.recreated],
        outputs: returned.filter((a) => a.run_id !== state.runId && !state.created.has(a.id) && !state.recreated.has(a.id)).map((a) => a.id),
        end: {
          status: RunStatus.completed,
          finishedAt,
          ...(result !== undefined ? { result } : {}),
          logs: state.logText,
          ...(uncacheable !== undefined ? { uncacheable: true } : {}),
          ...(parts !== undefined ? { cacheParts: parts } : {})
        },
        ...release,
        ...(options.behind === true ? { behind: true } : {})
      })
      const rechecked = !rechecks ? undefined : recheckedOf({ loaded, collections: [...state.collections], queries, files }, nested, state.runId)
      return {
        status: RunStatus.completed,
        ...(result !== undefined ? { result } : {}),
        ...(uncacheable !== undefined ? { uncacheable } : {}),
        ...(rechecked !== undefined ? { rechecked } : {})
      } as Closed
    }
    const interrupted = Cause.isInterruptedOnly(exit.cause)
    yield* tracker.trashRunOutputs(state.runId)
    const described = describeFailure(exit.cause)
    const error =
      options.failure?.(exit.cause) ??
      new StepFailed({
        step: options.name,
        run: state.runUid,
        message: interrupted ? "The run was interrupted (Ctrl-C, SIGTERM or fiber interruption) before it finished." : described.message,
        ...(described.stack !== undefined ? { errorStack: described.stack } : {}),
        ...(described.errorTag !== undefined ? { errorTag: described.errorTag } : {}),
        ...(interrupted ? { aborted: true } : {})
      })
    const status = interrupted ? RunStatus.aborted : RunStatus.errored
    yield* tracker.completeRun({ runId: state.runId, inputs, end: { status, finishedAt, error: encodeRunError(error), logs: state.logText }, ...release })
    return { status } as Closed
  }).pipe(Effect.ensuring(Effect.sync(() => endTrace(state.scope))))

/**
 * Close the run of a flow or tracked script: steps close their own runs, so any still open
 * were cut short and end aborted first; then the run itself ends as `closeRun` records it.
 */
export const closeFlowRun = <A, E>(ctx: FlowContext, state: RunState, exit: Exit.Exit<A, E>, options: CloseOptions & { readonly kind: "flow" | "script" }) =>
  Effect.gen(function* () {
    if (ctx.open.size > 0) {
      const tracker = yield* Tracker
      yield* tracker.abortRuns([...ctx.open], { _tag: "StepFailed", message: `aborted: its ${options.kind} ended first`, aborted: true })
    }
    return yield* closeRun(state, exit, options)
  })
