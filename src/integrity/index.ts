/**
 * Integrity of an instance: `check` (objects present with their sizes, `deep` hashes, version
 * families, orphans and temp files, dead runs, dangling references) with `fix` for the safe
 * repairs, `gc` for orphan objects, and `exportInstance` / `importInstance` for a portable dump
 * that moves an instance between SQLite and Postgres, or a local folder and S3.
 *
 * @module
 */
export { check, DEFAULT_MIN_AGE_MS, type CheckOptions } from "./check.js"
export type { DeepProgress, DeepProgressSink } from "./deep.js"
export { gc, type GcOptions, type GcReport } from "./gc.js"
export { isClean, type CheckCounts, type CheckReport, type Problem, type ProblemKind } from "./problem.js"
export { exportInstance, type ExportOptions, type ExportReport } from "./dump/export.js"
export { importInstance, type ImportOptions, type ImportReport } from "./dump/import.js"
export type { TransferProgress, TransferProgressSink } from "./dump/transfer.js"
