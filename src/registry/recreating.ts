/**
 * Recreating runs (LaminDB's `Artifact.recreating_runs`): a run whose save produced bytes an
 * existing artifact already held gets that artifact back from the save (content dedup); the
 * artifact keeps the run that created it, and the later run is linked as a recreating run.
 *
 * The link is written when the recreating run completes, in the transaction that completes it:
 * a run that errors or is aborted never appears as a producer. Describe and lineage show
 * recreating runs next to the creating run; a run that has the artifact as an input too (it
 * loaded the artifact, then wrote the same bytes) is not shown as recreating it, so lineage
 * never forms a cycle (LaminDB skips the same case).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "./crud.js"
import { decodeRow } from "./model.js"
import { decodeRun, linkRun, RunModel, RunStatus, type Run } from "./Run.js"

/** Link `artifactIds` to `runId` as artifacts the run recreated (duplicates ignored). */
export const addRecreatingRun = (runId: number, artifactIds: Iterable<number>) => linkRun("lamina_artifact_recreating_run", runId, artifactIds, "Recording a recreating run")

/** One artifact's recreating run. */
export interface RecreatingRun {
  readonly artifactId: number
  readonly run: Run
}

/**
 * The runs that recreated each of `artifactIds`, oldest first: completed or still running
 * (never errored or aborted), excluding runs that also used the artifact as an input.
 */
export const recreatingRunsOf = (artifactIds: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    if (artifactIds.length === 0) return [] as ReadonlyArray<RecreatingRun>
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT l.artifact_id AS link_artifact_id, r.* FROM lamina_artifact_recreating_run l
      JOIN lamina_run r ON r.id = l.run_id
      WHERE ${sql.in("l.artifact_id", [...new Set(artifactIds)])}
        AND r._status_code NOT IN (${RunStatus.errored}, ${RunStatus.aborted})
        AND NOT EXISTS (SELECT 1 FROM lamina_run_input_artifact i WHERE i.run_id = l.run_id AND i.artifact_id = l.artifact_id)
      ORDER BY r.id`
    return rows.map((row): RecreatingRun => ({ artifactId: Number(row.link_artifact_id), run: decodeRun(decodeRow(RunModel, row)) }))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading recreating runs")(e))))
