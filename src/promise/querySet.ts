/**
 * `PromiseQuerySet`: the Effect API's `QuerySet` with Promise terminals, for any registry.
 * Building methods wrap the new QuerySet; terminal methods run in the caller's run context
 * (see `runner.ts`) and convert records on the way out; `for await` streams keyset pages.
 *
 * @module
 */
import type { Stream } from "effect"
import type { QuerySet } from "../query/QuerySet.js"
import type { QueryState } from "../query/state.js"
import { QuerySetTypeId } from "../query/types.js"
import type { Model } from "../schema/model.js"
import type { Runner } from "./runner.js"
import type { PromiseQuerySet } from "./types.js"
import { effectWorld, EffectValue } from "./unwrap.js"

/** What a PromiseQuerySet needs of the connection's bridge (`bridge.ts`). */
export interface QueryBridge {
  readonly runner: Runner
  /** The Promise-API form of an Effect-world value. */
  readonly promised: (value: unknown) => unknown
  /** A stream as an async iterable of Promise-API values. */
  readonly iterable: (stream: Stream.Stream<unknown, unknown, never>) => AsyncIterable<unknown>
}

class PromiseQuerySetImpl<A, M extends Model> {
  constructor(
    readonly query: QuerySet<A, M>,
    private readonly bridge: QueryBridge
  ) {}

  get [EffectValue](): QuerySet<A, M> {
    return this.query
  }

  /** The query's state: a PromiseQuerySet is a subquery wherever a QuerySet is. */
  get [QuerySetTypeId](): QueryState {
    return this.query[QuerySetTypeId]
  }

  private next(query: QuerySet<A, M>): PromiseQuerySetImpl<A, M> {
    return new PromiseQuerySetImpl(query, this.bridge)
  }

  private args(conditions: ReadonlyArray<unknown>): Array<never> {
    return conditions.map(effectWorld) as Array<never>
  }

  filter(...conditions: ReadonlyArray<unknown>) {
    return this.next(this.query.filter(...this.args(conditions)))
  }
  exclude(...conditions: ReadonlyArray<unknown>) {
    return this.next(this.query.exclude(...this.args(conditions)))
  }
  orderBy(...keys: ReadonlyArray<never>) {
    return this.next(this.query.orderBy(...keys))
  }
  slice(start: number, end?: number) {
    return this.next(this.query.slice(start, end))
  }
  limit(n: number) {
    return this.next(this.query.limit(n))
  }
  offset(n: number) {
    return this.next(this.query.offset(n))
  }
  distinct() {
    return this.next(this.query.distinct())
  }
  values(...paths: ReadonlyArray<never>) {
    return new PromiseQuerySetImpl(this.query.values(...paths), this.bridge)
  }
  search(text: string, options?: Parameters<QuerySet<A, M>["search"]>[1]) {
    return this.next(this.query.search(text, options))
  }
  toArray() {
    return this.bridge.promised(this.query.toArray())
  }
  first() {
    return this.bridge.promised(this.query.first())
  }
  one() {
    return this.bridge.promised(this.query.one())
  }
  oneOrNone() {
    return this.bridge.promised(this.query.oneOrNone())
  }
  count() {
    return this.bridge.runner.run(this.query.count())
  }
  exists() {
    return this.bridge.runner.run(this.query.exists())
  }
  toSql() {
    return this.bridge.runner.run(this.query.toSql())
  }
  toTable(options?: Parameters<QuerySet<A, M>["toTable"]>[0]) {
    return this.bridge.runner.run(this.query.toTable(options))
  }
  aggregate(spec: never) {
    return this.bridge.runner.run(this.query.aggregate(spec))
  }
  groupBy(...paths: ReadonlyArray<never>) {
    const grouped = this.query.groupBy(...paths)
    const runner = this.bridge.runner
    return { aggregate: (spec: never) => runner.run(grouped.aggregate(spec)) }
  }
  iterate(options?: { readonly chunkSize?: number }) {
    return this.bridge.iterable(this.query.iterate(options) as Stream.Stream<unknown, unknown, never>)
  }
  [Symbol.asyncIterator]() {
    return this.iterate()[Symbol.asyncIterator]()
  }
}

/** The Promise form of `query`. */
export const makePromiseQuerySet = <A, M extends Model>(query: QuerySet<A, M>, bridge: QueryBridge): PromiseQuerySet<A, M> =>
  new PromiseQuerySetImpl(query, bridge) as unknown as PromiseQuerySet<A, M>
