/**
 * Parameter sweeps: run a flow (or step) once per point of a param grid — the cartesian
 * product of value lists — or per param object of an explicit list, with bounded concurrency.
 * Each point is its own run, so `Run.filter({ params__learning_rate: 0.01 })` finds it.
 *
 * @module
 */
import { Effect, type Either } from "effect"
import { InvalidArgument } from "../errors.js"

/** A param grid: for each param, the values to try (optional params may be left out). */
export type Grid<P> = { readonly [K in keyof P]: ReadonlyArray<P[K]> }

/** The cartesian product of a grid, in key order with the last key varying fastest. */
export const expandGrid = <P extends object>(grid: Grid<P>): ReadonlyArray<P> => {
  const keys = Object.keys(grid) as Array<keyof P & string>
  let points: Array<Record<string, unknown>> = [{}]
  for (const k of keys) {
    const values = grid[k] as ReadonlyArray<unknown>
    const next: Array<Record<string, unknown>> = []
    for (const p of points) for (const v of values) next.push({ ...p, [k]: v })
    points = next
  }
  return points as unknown as ReadonlyArray<P>
}

/** One point of a sweep and how it went. */
export interface SweepOutcome<P, A, E> {
  readonly params: P
  readonly result: Either.Either<A, E>
}

/** Options of `sweep`. */
export interface SweepOptions {
  /** Points running at once (default 1; "unbounded" for all). */
  readonly concurrency?: number | "unbounded"
}

/**
 * Run `fn` for every point of `space` (a grid or a list of param objects). Never fails on a
 * point's failure: each outcome is in the result, in point order.
 */
export const sweep = <P extends object, A, E, R>(
  fn: (params: P) => Effect.Effect<A, E, R>,
  space: Grid<P> | ReadonlyArray<P>,
  options: SweepOptions = {}
): Effect.Effect<ReadonlyArray<SweepOutcome<P, A, E>>, InvalidArgument, R> =>
  Effect.gen(function* () {
    if (!Array.isArray(space)) {
      for (const [k, v] of Object.entries(space as object))
        if (!Array.isArray(v) || v.length === 0)
          return yield* new InvalidArgument({ message: `sweep grid: '${k}' needs a non-empty list of values, got ${JSON.stringify(v)}.` })
    }
    const points = Array.isArray(space) ? (space as ReadonlyArray<P>) : expandGrid(space as Grid<P>)
    return yield* Effect.forEach(points, (params) => Effect.map(Effect.either(fn(params)), (result) => ({ params, result })), {
      concurrency: options.concurrency ?? 1
    })
  })
