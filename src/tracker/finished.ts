/**
 * Finished runs in bulk: what happened elsewhere (a Nextflow launch, a Snakemake run) recorded
 * after the fact. Unlike `startRun`/`completeRun` there is no lease, heartbeat or claim — the
 * runs are over — and a whole batch (a launch with thousands of task runs, the artifacts they
 * created and their input/output links) lands in one transaction with multi-row inserts, or
 * not at all.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { SqlError } from "@effect/sql/SqlError"
import type { Instance } from "../instance/Instance.js"
import { now, sqlFailure } from "../registry/crud.js"
import { encodeValue } from "../registry/model.js"
import { newRunUid } from "../registry/Run.js"
import type { ObjectStore } from "../storage/ObjectStore.js"

/** A run that already ended, to record as it was. */
export interface FinishedRun {
  readonly name: string
  readonly transformId: number
  /** A `RunStatus` code. */
  readonly status: number
  readonly params: unknown
  readonly startedAt: Date | undefined
  readonly finishedAt: Date | undefined
  /** Identity of the run outside Lamina (a task hash, a job), with its type. */
  readonly reference?: string | undefined
  readonly referenceType?: string | undefined
  readonly cliArgs?: string | undefined
  /** Stored as the run's error (JSON). */
  readonly error?: unknown
  /** For a cached run: the run that computed the result. */
  readonly reusedRunId?: number | null | undefined
  /** The run that initiated it: an existing run's id, or an earlier run of the same batch. */
  readonly parent?: { readonly id: number } | { readonly index: number } | undefined
}

/** Links of a batch's runs, by run id. */
export interface FinishedLinks {
  readonly inputs: ReadonlyArray<{ readonly run_id: number; readonly artifact_id: number }>
  readonly outputs: ReadonlyArray<{ readonly run_id: number; readonly artifact_id: number }>
  /** The report and environment artifacts of runs that have them. */
  readonly described: ReadonlyArray<{ readonly runId: number; readonly reportId: number | null; readonly environmentId: number | null }>
}

/** Services a batch's `artifacts` step may use (the Tracker provides them). */
export type FinishedContext = SqlClient.SqlClient | Instance | ObjectStore

/** What `Tracker.recordFinishedRuns` writes. */
export interface FinishedRuns<E> {
  /** In insertion order: a parent given by index must come earlier. */
  readonly runs: ReadonlyArray<FinishedRun>
  /**
   * Inside the same transaction, once the runs have ids (in `runs` order): register the
   * artifacts they created and say which they read and wrote. A failure rolls back the runs.
   */
  readonly artifacts?: ((runIds: ReadonlyArray<number>) => Effect.Effect<FinishedLinks, E, FinishedContext>) | undefined
}

/** Rows per multi-row insert (well under SQLite's bound-parameter limit at ~20 columns). */
const BATCH = 200
/** Link rows per insert (2 columns). */
const CHUNK = 500

/** Insert a batch of finished runs with their links in one transaction; their ids, in order. */
export const recordFinishedRuns = <E>(batch: FinishedRuns<E>, userId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const t = encodeValue("datetime", now())
    const write = Effect.gen(function* () {
      const ids: Array<number> = []
      const row = (r: FinishedRun) => ({
        uid: newRunUid(),
        name: r.name,
        transform_id: r.transformId,
        started_at: r.startedAt === undefined ? null : encodeValue("datetime", r.startedAt),
        finished_at: r.finishedAt === undefined ? null : encodeValue("datetime", r.finishedAt),
        params: encodeValue("json", r.params),
        reference: r.reference ?? null,
        reference_type: r.referenceType ?? null,
        cli_args: r.cliArgs ?? null,
        initiated_by_run_id: r.parent === undefined ? null : "id" in r.parent ? r.parent.id : ids[r.parent.index] ?? null,
        _status_code: r.status,
        reused_run_id: r.reusedRunId ?? null,
        error: r.error === undefined ? null : encodeValue("json", r.error),
        created_at: t,
        created_by_id: userId,
        branch: 1,
        is_locked: encodeValue("bool", false)
      })
      // A run whose parent is in the batch waits for its parent's id: cut batches there.
      let i = 0
      while (i < batch.runs.length) {
        let end = i
        while (end < batch.runs.length && end - i < BATCH) {
          const p = batch.runs[end]!.parent
          if (p !== undefined && "index" in p && p.index >= i) {
            if (p.index >= end) return yield* Effect.die(new Error(`recordFinishedRuns: run ${end}'s parent ${p.index} does not come before it`))
            if (end > i) break
          }
          end++
        }
        if (end === i) end = i + 1
        const rows = batch.runs.slice(i, end).map(row)
        // Matched back by uid: the order RETURNING yields rows in is not promised.
        const byUid = new Map((yield* sql<{ readonly id: number; readonly uid: string }>`INSERT INTO lamina_run ${sql.insert(rows)} RETURNING id, uid`).map((x) => [x.uid, Number(x.id)]))
        for (const r of rows) ids.push(byUid.get(r.uid)!)
        i = end
      }
      if (batch.artifacts === undefined) return ids
      const links = yield* batch.artifacts(ids)
      for (const d of links.described)
        yield* sql`UPDATE lamina_run SET ${sql.update({ report_id: d.reportId, environment_id: d.environmentId })} WHERE id = ${d.runId}`
      for (let j = 0; j < links.inputs.length; j += CHUNK)
        yield* sql`INSERT INTO lamina_run_input_artifact ${sql.insert(links.inputs.slice(j, j + CHUNK))} ON CONFLICT DO NOTHING`
      for (let j = 0; j < links.outputs.length; j += CHUNK)
        yield* sql`INSERT INTO lamina_run_output_artifact ${sql.insert(links.outputs.slice(j, j + CHUNK))} ON CONFLICT DO NOTHING`
      return ids
    })
    return yield* sql.withTransaction(write).pipe(
      Effect.mapError((e) => (e instanceof SqlError ? sqlFailure("Recording finished runs")(e) : e)),
      // SQLite: never yield to another connection's writer in the middle of the batch.
      Effect.withMaxOpsBeforeYield(1_000_000)
    )
  })
