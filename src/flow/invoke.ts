/**
 * Calling a user function and typing what comes back: a step or flow body may return an
 * Effect, a Promise or a plain value; the wrapper always returns an Effect.
 *
 * @module
 */
import { Cause, Effect } from "effect"
import type { UnknownException } from "effect/Cause"
import type { IntegrityError, InvalidArgument, StorageError, ValidationError } from "../errors.js"
import { guardBody } from "../registry/sourceGuard.js"

/** What a body's return type succeeds with. */
export type Success<Ret> = Ret extends Effect.Effect<infer A, infer _E, infer _R> ? A : Awaited<Ret>
/** What a body's return type fails with. */
export type Failure<Ret> = Ret extends Effect.Effect<infer _A, infer E, infer _R> ? E : Ret extends PromiseLike<unknown> ? UnknownException : never
/** What a body's return type requires. */
export type Requirements<Ret> = Ret extends Effect.Effect<infer _A, infer _E, infer R> ? R : never

/**
 * Errors the tracking machinery itself can raise (bad params, registry or storage failures, and
 * a damaged `.parquet`/`.h5ad`/`.zarr` that `Artifact.fromPath` cannot read the metadata of).
 */
export type TrackingError = InvalidArgument | StorageError | IntegrityError | ValidationError

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { readonly then?: unknown }).then === "function"

/**
 * Call `fn` with `self` and `args`, as an Effect (a synchronous throw becomes a defect), guarded
 * against a concurrent run saving from the same path (see registry/sourceGuard.ts).
 */
export const invokeBody = (fn: Function, self: unknown, args: ReadonlyArray<unknown>): Effect.Effect<unknown, unknown, never> =>
  guardBody(Effect.suspend(() => {
    const out: unknown = fn.apply(self, args)
    if (Effect.isEffect(out)) return out as Effect.Effect<unknown, unknown, never>
    // The rejection's own message, not "An unknown error occurred", reaches the run's error.
    if (isPromiseLike(out))
      return Effect.tryPromise({
        try: () => Promise.resolve(out),
        catch: (e) => new Cause.UnknownException(e, e instanceof Error ? e.message : `the Promise rejected with ${String(e)}`)
      })
    return Effect.succeed(out)
  }))
