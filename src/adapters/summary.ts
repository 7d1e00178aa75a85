/**
 * What an ingest did, for the CLI's summary line and `--json`.
 *
 * @module
 */
import type { IngestWarning } from "./warnings.js"

/** Counts of an ingest. `existing` runs and artifacts were already registered (idempotence). */
export interface IngestSummary {
  readonly tool: "nextflow" | "snakemake"
  /** Pipeline invocations found (traces, Snakemake logs). */
  readonly launches: number
  readonly runs: { readonly new: number; readonly existing: number }
  /** New runs recorded as `cached` (Nextflow CACHED tasks). */
  readonly cached: number
  /** New runs recorded as errored or aborted. */
  readonly failed: number
  readonly artifacts: { readonly new: number; readonly existing: number }
  readonly warnings: ReadonlyArray<IngestWarning>
}

/** One human-readable line. */
export const formatSummary = (s: IngestSummary): string =>
  `${s.tool}: ${s.launches} launch(es); runs ${s.runs.new} new, ${s.runs.existing} already ingested ` +
  `(${s.cached} cached, ${s.failed} failed); artifacts ${s.artifacts.new} new, ${s.artifacts.existing} existing` +
  (s.warnings.length > 0 ? `; ${s.warnings.length} warning(s)` : "")
