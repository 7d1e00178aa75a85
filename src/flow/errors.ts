/**
 * Errors persisted on runs. They are `Schema.TaggedError`s, so what is stored in `run.error`
 * decodes back into the same class.
 *
 * - `StepFailed` is recorded on an errored (or aborted) step run. The step's effect itself
 *   fails with the body's own error, so `Effect.retry` / `catchTag` inside a flow keep working.
 * - `FlowFailed` is what a flow fails with, recorded on the flow run; it names the step that
 *   failed when a step's failure ended the flow.
 *
 * @module
 */
import { Cause, Schema } from "effect"

/** A step run that failed. */
export class StepFailed extends Schema.TaggedError<StepFailed>()("StepFailed", {
  /** The step's name. */
  step: Schema.String,
  /** The failed run's uid. */
  run: Schema.String,
  message: Schema.String,
  /** Stack trace of the original error (`stack` itself belongs to this error). */
  errorStack: Schema.optional(Schema.String),
  /** `_tag` of the original error, when it had one. */
  errorTag: Schema.optional(Schema.String),
  /** True when the run was interrupted rather than failing. */
  aborted: Schema.optional(Schema.Boolean)
}) {}

/** A flow that failed; names the failing step when a step's failure ended it. */
export class FlowFailed extends Schema.TaggedError<FlowFailed>()("FlowFailed", {
  flow: Schema.String,
  run: Schema.String,
  step: Schema.optional(Schema.String),
  stepRun: Schema.optional(Schema.String),
  message: Schema.String,
  /** Stack trace of the original error (`stack` itself belongs to this error). */
  errorStack: Schema.optional(Schema.String),
  errorTag: Schema.optional(Schema.String)
}) {}

/** Attach the original failure as the error's (non-enumerable, not persisted) `cause`. */
export const withCause = <E extends Error>(e: E, cause: unknown): E => {
  Object.defineProperty(e, "cause", { value: cause, enumerable: false, configurable: true })
  return e
}

/** The persisted form of a StepFailed / FlowFailed. */
export const encodeRunError = (e: StepFailed | FlowFailed): Record<string, unknown> => {
  const out: Record<string, unknown> = { _tag: e._tag }
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = v
  out.message = e.message
  return out
}

/** Message, stack and tag of whatever a body failed with — an Error, a tagged error, or any value. */
export const describeFailure = <E>(cause: Cause.Cause<E>): { readonly message: string; readonly stack?: string; readonly errorTag?: string } => {
  const failure = Cause.failureOption(cause)
  const value: unknown = failure._tag === "Some" ? failure.value : Cause.dieOption(cause).pipe((o) => (o._tag === "Some" ? o.value : undefined))
  if (failure._tag === "None" && Cause.isInterruptedOnly(cause)) return { message: "interrupted" }
  if (value instanceof Error) {
    const tag = (value as { readonly _tag?: unknown })._tag
    return {
      message: value.message || (typeof tag === "string" ? tag : value.name),
      ...(value.stack ? { stack: value.stack } : {}),
      ...(typeof tag === "string" ? { errorTag: tag } : {})
    }
  }
  if (typeof value === "object" && value !== null) {
    const o = value as { readonly _tag?: unknown; readonly message?: unknown }
    let text: string
    try {
      text = typeof o.message === "string" ? o.message : JSON.stringify(value)
    } catch {
      text = String(value)
    }
    return { message: nonError(text), ...(typeof o._tag === "string" ? { errorTag: o._tag } : {}) }
  }
  if (value === undefined && failure._tag === "None") return { message: Cause.pretty(cause).split("\n")[0] ?? "failed" }
  return { message: nonError(typeof value === "string" ? value : String(value)) }
}

const nonError = (text: string): string =>
  `${text} (a non-Error value was thrown or failed with; use an Error or Data.TaggedError to keep a stack trace)`
