/**
 * What `lamina check` finds: one `Problem` per thing that is wrong, named so a user can act on
 * it, and the report that sums them up.
 *
 * @module
 */

/** The kinds of problem a check finds. */
export type ProblemKind =
  /** An artifact's object is not in storage. */
  | "missing-object"
  /** An artifact's object has another size than recorded (or a folder another file count). */
  | "size-mismatch"
  /** `--deep`: an artifact's bytes no longer hash to the recorded hash. */
  | "hash-mismatch"
  /** A version family with zero or several `is_latest`, or the flag on the wrong member. */
  | "latest-flag"
  /** An object under `.lamina/` that no registry row owns. */
  | "orphan-object"
  /** A temporary file a killed save left under `.lamina/`. */
  | "temp-file"
  /** A run still `started` whose process is gone. */
  | "dead-run"
  /** A record or link row pointing at a row that does not exist. */
  | "dangling-reference"

/** One thing that is wrong. */
export interface Problem {
  readonly kind: ProblemKind
  /** What it is about: an artifact (`'key' (uid)`), a storage key, a run uid, `table.column`. */
  readonly subject: string
  /** What is wrong and what to do about it. */
  readonly message: string
  /** Whether `lamina check --fix` (or `lamina gc` for orphan objects) repairs it. */
  readonly repair: "fix" | "gc" | "manual"
}

/** What a check looked at. */
export interface CheckCounts {
  readonly artifacts: number
  readonly objects: number
  readonly runs: number
  readonly families: number
  /** `--deep`: bytes read and hashed. */
  readonly bytesVerified: number
  /** `--deep`: artifacts whose recorded hash cannot be recomputed from content (e.g. LaminDB's `sha1-fl`). */
  readonly unverifiable: number
}

/** The outcome of `check`. */
export interface CheckReport {
  readonly deep: boolean
  readonly counts: CheckCounts
  /** Problems still present (after `--fix`, the ones it could not repair). */
  readonly problems: ReadonlyArray<Problem>
  /** Problems `--fix` repaired. */
  readonly fixed: ReadonlyArray<Problem>
}

/** True when nothing is wrong. */
export const isClean = (report: CheckReport): boolean => report.problems.length === 0
