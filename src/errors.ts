/**
 * Lamina's typed errors. Few of them, each with a message that says how to fix the problem
 * (LaminDB's wording where it has one). Every public entry point fails with one of these;
 * no raw SQL, driver or file-system error reaches a user without context.
 *
 * @module
 */
import { Data } from "effect"

/** A lookup matched no record (`get`, `one`, a uid or key that is not registered). */
export class DoesNotExist extends Data.TaggedError("DoesNotExist")<{
  readonly registry: string
  readonly message: string
}> {}

/** A lookup that must match one record matched several. */
export class MultipleResultsFound extends Data.TaggedError("MultipleResultsFound")<{
  readonly registry: string
  readonly count: number
  readonly message: string
}> {}

/** An argument is malformed: a bad key, filter, option or value. */
export class InvalidArgument extends Data.TaggedError("InvalidArgument")<{
  readonly message: string
}> {}

/**
 * One problem found by validating data against a schema, as data (for a UI or a CI report);
 * `message` is the line LaminDB would print for it.
 */
export interface ValidationProblem {
  readonly kind: "not_validated" | "dtype" | "missing_column" | "extra_column" | "order" | "nulls" | "index"
  /** The slot (`columns`, `obs`, `var`, …) the problem is in. */
  readonly slot: string
  /** The column (or feature) concerned, if one. */
  readonly column?: string
  /** Offending values (unvalidated terms), if any. */
  readonly values?: ReadonlyArray<string>
  readonly message: string
}

/**
 * Data failed validation against a schema, feature or format specification. Validation against
 * a schema also carries every problem as data (`problems`).
 */
export class ValidationError extends Data.TaggedError("ValidationError")<{
  readonly message: string
  readonly problems?: ReadonlyArray<ValidationProblem>
  /** Where a step's boundary check failed: the step, its input argument (or its output), the artifact and the schema. */
  readonly boundary?: StepBoundary
}> {}

/** A step boundary that failed validation (`step({ inputs: { table: schema }, output: schema }, …)`). */
export interface StepBoundary {
  readonly step: string
  /** `input` (an argument, named by `argument`) or `output` (the return value). */
  readonly side: "input" | "output"
  readonly argument?: string
  /** The artifact's uid, when the value was an artifact. */
  readonly artifact?: string
  /** The schema's name, or its uid when it has none. */
  readonly schema: string
}

/** The registry refused a write (a unique constraint, a taken version tag, a failed migration). */
export class IntegrityError extends Data.TaggedError("IntegrityError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** Storage or registry I/O failed: a missing file, an unreachable database or bucket. */
export class StorageError extends Data.TaggedError("StorageError")<{
  readonly message: string
  readonly path?: string
  readonly cause?: unknown
}> {}

/** Any Lamina error. */
export type LaminaError =
  | DoesNotExist
  | MultipleResultsFound
  | InvalidArgument
  | ValidationError
  | IntegrityError
  | StorageError
