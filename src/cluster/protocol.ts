/**
 * The step entity: the message a caller sends to have one step call executed on a runner, and
 * the reply. The call's run is inserted by the caller before sending (so cache hits and claims
 * work as for a local call); the runner executes the body against that run and closes it, and
 * the reply names the run that ended (a retry after a lost runner is a new run).
 *
 * The returned value is the run's stored result, which the caller reads back from the registry
 * exactly as it reads a cache hit — unless the result is plain (no artifact or record in it, and
 * the run loaded, created and re-saved none): then the reply carries it, and the caller decodes
 * it without a read-back, since there is nothing for a hit check to look at.
 *
 * @module
 */
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import { Schema } from "effect"

/** A run reference on the wire. */
export const RunRefSchema = Schema.Struct({ id: Schema.Number, uid: Schema.String })

/** One step call sent to a runner. */
export class Dispatch extends Schema.Class<Dispatch>("lamina/Dispatch")({
  /** Unique per call; a runner receiving it again continues the same call (the next attempt). */
  id: Schema.String,
  /** The step's transform key. */
  transform: Schema.String,
  /** The caller's source hash of the step (the transform version). */
  source: Schema.String,
  /** The caller's code fingerprint (what the step's module reaches), or null in function mode. */
  code: Schema.NullOr(Schema.String),
  /** The caller's cache key, or null for `cache: false`. */
  cacheKey: Schema.NullOr(Schema.String),
  /** The caller's cache parts (what its key is made of), so a runner can say what differs. */
  parts: Schema.Unknown,
  /** Whether the calling run takes on what this one checks again (see `StepInvocation.callerRechecks`). */
  callerRechecks: Schema.optional(Schema.Boolean),
  /** The run the caller inserted (status `started`) for this call. */
  run: RunRefSchema,
  /** The flow run that initiated it. */
  parent: Schema.Number,
  /** The caller's user id (`created_by` of retried runs). */
  user: Schema.NullOr(Schema.Number),
  /** The arguments, encoded as Lamina encodes results (artifacts by uid). */
  args: Schema.Unknown,
  /** At most this many attempts when runners are lost mid-step. */
  maxAttempts: Schema.Number
}) {}

/** How a dispatched call ended. */
export const Outcome = Schema.Struct({
  /** `superseded`: another run now holds the call's cache key; the caller looks it up again. */
  status: Schema.Literal("completed", "errored", "aborted", "superseded"),
  run: RunRefSchema,
  /** A completed run's stored result when it is plain (see above); else the caller reads it back. */
  result: Schema.optional(Schema.Unknown),
  /**
   * What a completed uncached run checks again (its loads, collections, queries and files, not
   * the runner's environment: `forCaller`), for a caller that takes it on: unlike a cacheable
   * run's, it is not stored with the run to be read back.
   */
  rechecked: Schema.optional(Schema.Unknown),
  /** Why a completed run's value could not be stored (then it cannot be returned either). */
  uncacheable: Schema.optional(Schema.String),
  error: Schema.optional(
    Schema.Struct({ message: Schema.String, errorTag: Schema.optional(Schema.String), errorStack: Schema.optional(Schema.String) })
  ),
  /** The runner's cluster address (`host:port`) and host name. */
  runner: Schema.String,
  host: Schema.String,
  attempts: Schema.Number
})

/** The decoded outcome. */
export type Outcome = typeof Outcome.Type

/**
 * A runner refused a call: it does not export the step, or its code differs from the caller's.
 * Nothing ran; the message names the transform and both hashes.
 */
export class StepRefused extends Schema.TaggedError<StepRefused>()("StepRefused", {
  transform: Schema.String,
  runner: Schema.String,
  message: Schema.String
}) {}

/** The step entity (volatile messages: a runner lost mid-step gets the call re-sent by the caller's cluster client). */
export const StepEntity = Entity.make("lamina/Step", [
  Rpc.make("Execute", { payload: Dispatch, success: Outcome, error: StepRefused })
]).annotateRpcs(ClusterSchema.Persisted, false)
