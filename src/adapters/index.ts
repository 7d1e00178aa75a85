/**
 * Workflow adapters: Nextflow and Snakemake runs become Lamina lineage.
 *
 * ```ts
 * const summary = yield* Adapters.nextflow.ingest("results", { exclude: ["**\/*.bam"] })
 * const dag = yield* Adapters.snakemake.ingest(".")
 * ```
 *
 * @module
 */
import { ingest as nextflowIngest } from "./nextflow/ingest.js"
import { ingest as snakemakeIngest } from "./snakemake/ingest.js"
import { runTracked } from "./command.js"
import { exportOpenLineage, openLineageEvents } from "./openlineage/export.js"

export type { NextflowIngestOptions } from "./nextflow/ingest.js"
export type { SnakemakeIngestOptions } from "./snakemake/ingest.js"
export type { IngestSummary } from "./summary.js"
export type { IngestWarning } from "./warnings.js"
export type { WriteProgress } from "./write.js"
export { formatSummary } from "./summary.js"
export type { RunTrackedOptions, Tracked } from "./command.js"
export type { ExportOptions } from "./openlineage/export.js"
export type { RunEvent } from "./openlineage/events.js"
export { toJsonLines } from "./openlineage/export.js"

/** Ingest what workflow managers leave behind. */
export const Adapters = {
  /** Nextflow: traces, logs, params, software versions and published files of one or more folders. */
  nextflow: { ingest: nextflowIngest },
  /** Snakemake: `.snakemake/metadata`, logs, the Snakefile and the files of a working directory. */
  snakemake: { ingest: snakemakeIngest },
  /** Run a `snakemake …` or `nextflow run …` command as a tracked run, then ingest its outputs. */
  run: runTracked,
  /** Runs as OpenLineage 2-0-2 RunEvents: `events(options)` in memory, `export(file, options)` as JSON lines. */
  openlineage: { events: openLineageEvents, export: exportOpenLineage }
} as const
