/**
 * Problems an ingest can live with (an unknown trace column, a file the metadata names but the
 * folder no longer holds): collected with the file and line they concern, reported in the
 * summary and logged, never silently dropped.
 *
 * @module
 */

/** A non-fatal problem found while reading a workflow's files. */
export interface IngestWarning {
  readonly file: string
  /** 1-based line, when the problem is on one line. */
  readonly line?: number
  readonly message: string
}

/** `file:line: message`, the way compilers print it. */
export const formatWarning = (w: IngestWarning): string => `${w.file}${w.line === undefined ? "" : `:${w.line}`}: ${w.message}`
