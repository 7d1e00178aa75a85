/**
 * The Promise face of the Effect API, as types: `Promised<T>` maps what an Effect API returns
 * to what the Promise API returns — an `Effect` becomes a `Promise` of the (mapped) value, a
 * `Stream` an `AsyncIterable`, a `QuerySet` a {@link PromiseQuerySet}, and an object with
 * Effect-returning members (an `Artifact`, a pending artifact, a backed AnnData) the same object
 * with Promise-returning members. Plain data (records without methods, Arrow tables, typed
 * arrays, dates) stays as it is. The runtime side is `bridge.ts`; both follow the same rules, so
 * a registry added to the Effect API gets its Promise face without code here.
 *
 * @module
 */
import type { Table } from "apache-arrow"
import type { Effect, Either, Option, Scope, Stream } from "effect"
import type { AggregateResult, Aggregation } from "../query/aggregate.js"
import type { QuerySet } from "../query/QuerySet.js"
import type { SearchOptions } from "../query/state.js"
import type { TableOptions } from "../query/table.js"
import type { AnyQuerySet, Condition, OrderKey, PathKey, ValuesRow } from "../query/types.js"
import type { Artifact as EffectArtifact, PendingArtifact as EffectPendingArtifact } from "../registry/Artifact.js"
import type { Model } from "../schema/model.js"

/** Values that pass between the two APIs unchanged. */
type Data =
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined
  | Date
  | RegExp
  | Error
  | ArrayBuffer
  | ArrayBufferView
  | ReadonlyMap<unknown, unknown>
  | ReadonlySet<unknown>
  | Option.Option<unknown>
  | Either.Either<unknown, unknown>
  | PromiseLike<unknown>
  | Table

/** Whether `V` is an Effect-world value the bridge converts. */
type Convertible<V> = V extends Effect.Effect<infer _A, infer _E, infer _R>
  ? true
  : V extends Stream.Stream<infer _A, infer _E, infer _R>
    ? true
    : V extends QuerySet<infer _A, infer _M>
      ? true
      : false

/** Whether a member is, or returns, a convertible value. */
type Member<V> = V extends (...args: never) => infer R ? Convertible<R> : Convertible<V>
type Direct<T> = true extends { [K in keyof T]-?: Member<T[K]> }[keyof T] ? true : false
type Nested<T> = true extends { [K in keyof T]-?: T[K] extends Data ? false : T[K] extends object ? Direct<T[K]> : false }[keyof T] ? true : false

/** Whether an object has Effect-returning members (directly or one level down). */
export type NeedsBridge<T> = Direct<T> extends true ? true : Nested<T>

/**
 * What an opened resource (an `.h5ad` opened for partial reads) also offers in the Promise API:
 * `close()`, and `await using` closes it at the end of the block. Closing the connection closes
 * anything still open.
 */
export interface Closeable extends AsyncDisposable {
  /** Release the resource (idempotent). */
  readonly close: () => Promise<void>
}

/** An object's members in their Promise-API form. */
export type Bridged<T> = { readonly [K in keyof T]: Promised<T[K]> }

/**
 * A registered artifact, with Promise-returning methods: `load()`, `loadTable()`,
 * `loadAnnData()`, `openAnnData()` (closeable), `cache()`, `delete()`, `restore()`,
 * `recreatingRuns()`, `describe()`, and `versions` / `path` as Promises. (Named, so declarations and
 * messages show `Artifact` rather than its members.)
 */
export interface Artifact extends Bridged<EffectArtifact> {}

/** An artifact described but not yet saved: `await pending.save()` copies, hashes and registers it. */
export interface PendingArtifact extends Bridged<EffectPendingArtifact> {}

/** The Promise-API form of `T`. */
export type Promised<T> = T extends Data
  ? T
  : T extends EffectArtifact
    ? Artifact
    : T extends EffectPendingArtifact
      ? PendingArtifact
      : PromisedOther<T>

type PromisedOther<T> = T extends QuerySet<infer A, infer M>
    ? PromiseQuerySet<A, M>
    : T extends Effect.Effect<infer A, infer _E, infer R>
      ? Promise<Scope.Scope extends R ? Promised<A> & Closeable : Promised<A>>
      : T extends Stream.Stream<infer A, infer _E, infer _R>
        ? AsyncIterable<Promised<A>>
        : T extends (...args: infer P extends ReadonlyArray<unknown>) => infer R
          ? (...args: Accepting<P>) => Promised<R>
          : T extends ReadonlyArray<infer X>
            ? ReadonlyArray<Promised<X>>
            : T extends object
              ? NeedsBridge<T> extends true
                ? Bridged<T>
                : T
              : T

/** A parameter of an Effect API function: its own type, or its Promise-API form. */
export type Accept<X> = X extends Data ? X : X | Promised<X>

/** Parameters of an Effect API function as the Promise API takes them. */
export type Accepting<P extends ReadonlyArray<unknown>> = { [I in keyof P]: Accept<P[I]> }

/**
 * A lazy, immutable query (the Effect API's `QuerySet`) whose terminal methods return Promises.
 * Build with `filter`, `exclude`, `orderBy`, `slice`…; run with `toArray()`, `first()`, `count()`…;
 * or `for await (const record of query)`, which fetches keyset pages of 1,000 so memory stays
 * flat at any size. Like a `QuerySet`, it can be a subquery (`id__in: lm.Artifact.filter(…).values("id")`).
 */
export interface PromiseQuerySet<A, M extends Model = Model> extends AsyncIterable<Promised<A>>, AnyQuerySet {
  /** The Effect `QuerySet` underneath (for the Effect API, e.g. inside `lm.runPromise`). */
  readonly query: QuerySet<A, M>
  /** Narrow by keyword objects and `Q` conditions, all combined with AND. */
  filter(...conditions: ReadonlyArray<Condition<M>>): PromiseQuerySet<A, M>
  /** Drop records matching all of `conditions`. */
  exclude(...conditions: ReadonlyArray<Condition<M>>): PromiseQuerySet<A, M>
  /** Order by fields or paths; `-` for descending. */
  orderBy(...keys: ReadonlyArray<OrderKey<M>>): PromiseQuerySet<A, M>
  /** Records `start` (inclusive) to `end` (exclusive). */
  slice(start: number, end?: number): PromiseQuerySet<A, M>
  /** At most `n` records. */
  limit(n: number): PromiseQuerySet<A, M>
  /** Skip `n` records. */
  offset(n: number): PromiseQuerySet<A, M>
  /** Drop duplicate rows (meaningful with `values`). */
  distinct(): PromiseQuerySet<A, M>
  /** Plain objects with the selected fields and paths. */
  values<const K extends PathKey<M>>(...paths: ReadonlyArray<K>): PromiseQuerySet<ValuesRow<M, K>, M>
  /** Ranked search over the registry's text fields (20 results unless `limit`). */
  search(text: string, options?: SearchOptions): PromiseQuerySet<A, M>
  /** Every matching record (newest first unless ordered). */
  toArray(): Promise<ReadonlyArray<Promised<A>>>
  /** The first record, or `undefined`. */
  first(): Promise<Promised<A> | undefined>
  /** Exactly one record; rejects with `DoesNotExist` / `MultipleResultsFound` otherwise. */
  one(): Promise<Promised<A>>
  /** The record, `undefined` when none matches; rejects with `MultipleResultsFound` when several do. */
  oneOrNone(): Promise<Promised<A> | undefined>
  /** Number of matching records. */
  count(): Promise<number>
  /** Whether any record matches. */
  exists(): Promise<boolean>
  /** The SQL this query runs on the connected dialect. */
  toSql(): Promise<{ readonly text: string; readonly params: ReadonlyArray<unknown> }>
  /** An Arrow table with LaminDB's `to_dataframe` columns. */
  toTable(options?: TableOptions<M>): Promise<Table>
  /** Aggregates over the matching records (`{ n: Agg.count(), total: Agg.sum("size") }`). */
  aggregate<const S extends Readonly<Record<string, Aggregation<"count" | "sum" | "avg" | "min" | "max", PathKey<M> | undefined>>>>(spec: S): Promise<AggregateResult<M, S>>
  /** Group by fields or paths, then `.aggregate({...})` per group. */
  groupBy<const G extends PathKey<M>>(
    ...paths: ReadonlyArray<G>
  ): {
    aggregate<const S extends Readonly<Record<string, Aggregation<"count" | "sum" | "avg" | "min" | "max", PathKey<M> | undefined>>>>(
      spec: S
    ): Promise<ReadonlyArray<ValuesRow<M, G> & AggregateResult<M, S>>>
  }
  /** Every matching record, fetched `chunkSize` (default 1,000) at a time by keyset pages. */
  iterate(options?: { readonly chunkSize?: number }): AsyncIterable<Promised<A>>
}
