/**
 * How a run ends: record its inputs and returned outputs, persist its result or error, and on
 * failure or interruption move the artifacts it created to trash, so "latest version" queries
 * never return a failed run's partial outputs.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Effect, Exit } from "effect"
import type { IntegrityError, StorageError } from "../errors.js"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow } from "../registry/model.js"
import { addRecreatingRun } from "../registry/recreating.js"
import { addRunInputs, addRunOutputs, finishRun, RunStatus } from "../registry/Run.js"
import type { CacheParts, LoadedInput } from "./cacheKey.js"
import { encodeResult, Unencodable, type Json } from "./canonical.js"
import { describeFailure, encodeRunError, type FlowFailed, StepFailed } from "./errors.js"
import type { RunState } from "./runState.js"

/** Move artifacts created by a failed run to trash (soft delete; restorable). */
export const trashCreated = (ids: Iterable<number>) =>
  Effect.gen(function* () {
    const list = [...ids]
    if (list.length === 0) return
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE ${sql.in("id", list)} AND branch <> -1`.pipe(
      Effect.mapError(sqlFailure("Reading a failed run's outputs"))
    )
    for (const row of rows) yield* new Artifact(decodeRow(ArtifactModel, row)).delete()
  })

/** The uid and hash of artifacts loaded inside a run, for the cache parts. */
const loadedInputs = (ids: ReadonlySet<number>) =>
  Effect.gen(function* () {
    if (ids.size === 0) return []
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly id: number; readonly uid: string; readonly hash: string | null }>`SELECT id, uid, hash FROM lamina_artifact WHERE ${sql.in("id", [...ids])}`.pipe(
      Effect.mapError(sqlFailure("Reading a run's inputs"))
    )
    return rows.map((r): LoadedInput => ({ id: Number(r.id), uid: r.uid, hash: r.hash }))
  })

/** How `closeRun` should treat the run. */
export interface CloseOptions {
  readonly kind: "step" | "flow" | "script"
  readonly name: string
  /** Encoded cache parts for a cacheable step; the loaded inputs are added to them. */
  readonly cacheParts?: CacheParts
  /** The error to persist on failure (a flow persists its FlowFailed). */
  readonly failure?: (cause: Cause.Cause<unknown>) => StepFailed | FlowFailed
  /** Turn the return value into what is stored (a result schema's encoder). */
  readonly stored?: (value: unknown) => unknown
  /** Hook run in the transaction that completes the run (releases a cache claim). */
  readonly inCompletion?: Effect.Effect<void, StorageError | IntegrityError, SqlClient.SqlClient>
}

/** What closing a run concluded. */
export interface Closed {
  readonly status: number
  /** The encoded result (success only), or undefined when it could not be encoded. */
  readonly result?: Json
  /** Why the result could not be cached, if it could not. */
  readonly uncacheable?: string
}

/**
 * Record how a run ended, from its exit: its inputs, returned outputs, result or error and the
 * completion hook (releasing a cache claim) in one transaction — one commit per run end.
 */
export const closeRun = <A, E>(state: RunState, exit: Exit.Exit<A, E>, options: CloseOptions) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const finishedAt = new Date()
    const inputs = state.inputs.filter((id) => !state.created.has(id))
    const complete = (end: Effect.Effect<void, StorageError | IntegrityError, SqlClient.SqlClient>) =>
      sql.withTransaction(
        Effect.all([addRunInputs(state.runId, inputs), end, options.inCompletion ?? Effect.void], { discard: true })
      )
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
      const parts =
        options.cacheParts === undefined
          ? undefined
          : {
              ...options.cacheParts,
              loaded: yield* loadedInputs(state.loaded),
              ...(state.created.size > 0 ? { created: [...state.created] } : {}),
              ...(state.recreated.size > 0 ? { recreated: [...state.recreated] } : {})
            }
      yield* complete(
        Effect.all(
          [
            addRecreatingRun(state.runId, state.recreated),
            addRunOutputs(
              state.runId,
              returned.filter((a) => a.run_id !== state.runId && !state.created.has(a.id) && !state.recreated.has(a.id)).map((a) => a.id)
            ),
            finishRun(state.runId, {
              status: RunStatus.completed,
              finishedAt,
              ...(result !== undefined ? { result } : {}),
              logs: state.logText,
              ...(uncacheable !== undefined ? { uncacheable: true } : {}),
              ...(parts !== undefined ? { cacheParts: parts } : {})
            })
          ],
          { discard: true }
        )
      )
      return { status: RunStatus.completed, ...(result !== undefined ? { result } : {}), ...(uncacheable !== undefined ? { uncacheable } : {}) } as Closed
    }
    const interrupted = Cause.isInterruptedOnly(exit.cause)
    yield* trashCreated(state.created)
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
    yield* complete(finishRun(state.runId, { status, finishedAt, error: encodeRunError(error), logs: state.logText }))
    return { status } as Closed
  }).pipe(
    Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Finishing a run")(e))),
    // SQLite: never yield to another connection's writer in the middle of the completion.
    Effect.withMaxOpsBeforeYield(1_000_000)
  )
