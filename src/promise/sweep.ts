/**
 * `lm.sweep(fn, grid, { concurrency })`: the engine's `sweep` over an async function (a Promise
 * flow or step, or any async function calling them). Outcomes come back in point order, shaped
 * like `Promise.allSettled`'s, each with its params.
 *
 * @module
 */
import { Effect, Either } from "effect"
import { sweep as effectSweep, type Grid, type SweepOptions } from "../flow/index.js"
import type { Lamina } from "../instance/Lamina.js"
import type { Bridge } from "./bridge.js"
import { CurrentContext } from "./context.js"

/** One point of a sweep and how it went. */
export type SweepResult<P, R> =
  | { readonly params: P; readonly status: "fulfilled"; readonly value: R }
  | { readonly params: P; readonly status: "rejected"; readonly reason: unknown }

/** A tracked function's Effect form, when it has one (`lm.flow`, `lm.step`). */
const effectFormOf = (fn: Function): ((params: unknown) => Effect.Effect<unknown, unknown, Lamina>) | undefined => {
  const e = (fn as { readonly effect?: unknown }).effect
  return typeof e === "function" ? (e as (params: unknown) => Effect.Effect<unknown, unknown, Lamina>) : undefined
}

/** Run `fn` once per point of `space` (a grid or a list of param objects). Never rejects on a point's failure. */
export const runSweep = async <P extends object, R>(
  bridge: Bridge,
  fn: (params: P) => Promise<R>,
  space: Grid<P> | ReadonlyArray<P>,
  options: SweepOptions = {}
): Promise<ReadonlyArray<SweepResult<P, R>>> => {
  const ctx = bridge.runner.current()
  // A tracked function runs as a child fiber of the sweep; any other async function runs in
  // the caller's context, cancelled with the sweep.
  const point =
    effectFormOf(fn) ??
    ((params: unknown) =>
      Effect.tryPromise({
        try: (signal) => CurrentContext.run({ runtime: ctx.runtime, client: ctx.client, signal: ctx.signal === undefined ? signal : AbortSignal.any([ctx.signal, signal]) }, () => fn(params as P)),
        catch: (e) => e
      }))
  const outcomes = await bridge.runner.run(effectSweep(point as (params: P) => Effect.Effect<unknown, unknown, Lamina>, space, options))
  return outcomes.map(({ params, result }) =>
    Either.isRight(result)
      ? { params, status: "fulfilled" as const, value: bridge.promised(result.right) as R }
      : { params, status: "rejected" as const, reason: result.left }
  )
}
