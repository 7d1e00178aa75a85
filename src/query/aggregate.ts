/**
 * Aggregates: `Agg.count()`, `Agg.sum("size")`, `Agg.avg`, `Agg.min`, `Agg.max`, used with
 * `QuerySet.aggregate({...})` and `QuerySet.groupBy(...).aggregate({...})`.
 *
 * ```ts
 * const { n, total } = yield* Artifact.filter({ suffix: ".csv" }).aggregate({ n: Agg.count(), total: Agg.sum("size") })
 * const bySuffix = yield* Artifact.filter().groupBy("suffix").aggregate({ n: Agg.count() })
 * ```
 *
 * @module
 */
import type { Model } from "../schema/model.js"
import type { PathValue } from "./types.js"

/** An aggregate function name. */
export type AggFn = "count" | "sum" | "avg" | "min" | "max"

/** One aggregate over a path (`count` may have none: `COUNT(*)`). */
export interface Aggregation<F extends AggFn = AggFn, K extends string | undefined = string | undefined> {
  readonly _tag: "Aggregation"
  readonly fn: F
  readonly path: K
  readonly distinct: boolean
}

const make = <F extends AggFn, K extends string | undefined>(fn: F, path: K, distinct = false): Aggregation<F, K> => ({
  _tag: "Aggregation",
  fn,
  path,
  distinct
})

/** Aggregate constructors. */
export const Agg = {
  /** Number of rows, or of non-null (optionally distinct) values of `path`. */
  count: <const K extends string | undefined = undefined>(path?: K, options?: { readonly distinct?: boolean }): Aggregation<"count", K> =>
    make("count", path as K, options?.distinct ?? false),
  /** Sum of a numeric field (null when no rows). */
  sum: <const K extends string>(path: K): Aggregation<"sum", K> => make("sum", path),
  /** Mean of a numeric field (null when no rows). */
  avg: <const K extends string>(path: K): Aggregation<"avg", K> => make("avg", path),
  /** Smallest value (text by code point). */
  min: <const K extends string>(path: K): Aggregation<"min", K> => make("min", path),
  /** Largest value (text by code point). */
  max: <const K extends string>(path: K): Aggregation<"max", K> => make("max", path)
} as const

/** The result type of an aggregate spec. */
export type AggregateResult<M extends Model, S> = {
  readonly [N in keyof S]: S[N] extends Aggregation<infer F, infer K>
    ? F extends "count"
      ? number
      : F extends "sum" | "avg"
        ? number | null
        : K extends string
          ? PathValue<M, K>
          : unknown
    : never
}
