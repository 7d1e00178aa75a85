/**
 * An ingest plan: what a workflow's files say happened, in memory, before anything is written.
 * Parsers build it (and fail on bad input before a single row exists); one writer applies it,
 * one launch per transaction. A launch is one pipeline invocation (a Nextflow trace, a
 * Snakemake log) with its task or job runs as children.
 *
 * @module
 */
import type { IngestWarning } from "./warnings.js"

/** A transform (the pipeline, a Nextflow process, a Snakemake rule). */
export interface PlannedTransform {
  readonly key: string
  /** `pipeline` for the workflow, `function` for a process or rule. */
  readonly kind: string
  /** The code when known (a Snakemake rule's text), else a description of what identifies it. */
  readonly source: string
  readonly versionTag?: string | undefined
  readonly description?: string | undefined
  readonly reference?: string | undefined
  readonly referenceType?: string | undefined
  /** Keys of transforms that feed this one (a Nextflow DAG's upstream processes). */
  readonly predecessors?: ReadonlyArray<string> | undefined
}

/** A file or folder a run read or wrote, or one describing it (report, environment). */
export interface PlannedFile {
  /** Absolute local path. */
  readonly path: string
  /** The artifact key (the path relative to the ingested folder, prefixed as asked). */
  readonly key: string
  readonly isFolder: boolean
  readonly description?: string | undefined
  readonly kind?: string | undefined
}

/** Bytes to store as an artifact (an environment description the workflow left only as fields). */
export interface PlannedBytes {
  readonly bytes: Uint8Array
  /** File name (suffix matters). */
  readonly name: string
  readonly description: string
}

/** A run to record. */
export interface PlannedRun {
  /** Identity of the run across ingests: stored as `reference` with `referenceType`. */
  readonly reference: string
  readonly referenceType: string
  readonly name: string
  readonly transform: PlannedTransform
  readonly params: Readonly<Record<string, unknown>>
  /** A `RunStatus` code. */
  readonly status: number
  readonly startedAt: Date | undefined
  readonly finishedAt: Date | undefined
  readonly cliArgs?: string | undefined
  readonly error?: { readonly message: string } | undefined
  /** For a cached task: the reference of the run that computed it (same reference type). */
  readonly reusedReference?: string | undefined
  readonly inputs: ReadonlyArray<PlannedFile>
  readonly outputs: ReadonlyArray<PlannedFile>
  readonly report?: PlannedFile | undefined
  readonly environment?: PlannedFile | PlannedBytes | undefined
}

/** One pipeline invocation and its task runs: written in one transaction. */
export interface PlannedLaunch {
  /** `trace.txt` / the log it came from, for messages. */
  readonly source: string
  readonly run: PlannedRun
  /** Ordered so that a run's inputs made by another run come after that run. */
  readonly children: ReadonlyArray<PlannedRun>
}

/** Everything one ingest will write. */
export interface IngestPlan {
  readonly tool: "nextflow" | "snakemake"
  readonly launches: ReadonlyArray<PlannedLaunch>
  readonly warnings: ReadonlyArray<IngestWarning>
}

/** Whether a planned environment is bytes rather than a file. */
export const isPlannedBytes = (x: PlannedFile | PlannedBytes): x is PlannedBytes => "bytes" in x
