/**
 * `QuerySet`: a lazy, immutable query over one registry, Django/LaminDB style.
 *
 * Building methods (`filter`, `exclude`, `orderBy`, `slice`, `values`, `distinct`, `search`)
 * return a new QuerySet and never touch the database; terminal methods (`toArray`, `first`,
 * `one`, `oneOrNone`, `count`, `exists`, `iterate`, `toTable`, `aggregate`) compile one SQL
 * statement for the connected dialect and run it. Every value is a bound parameter.
 *
 * ```ts
 * const recent = Artifact.filter({ suffix: ".csv", size__gt: 1000 }).orderBy("-created_at").slice(0, 10)
 * const rows = yield* recent.toArray()
 * const runs = yield* Run.filter({ params__learning_rate__lte: 0.01, transform__key: "train" }).count()
 * ```
 *
 * Defaults follow LaminDB: trashed (branch -1) and archived (branch 0) records are hidden unless
 * the query filters by `id`, `uid`, `hash` or `branch`; records come newest first (`-id`)
 * unless ordered.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Table } from "apache-arrow"
import { Chunk, Effect, Option, Stream } from "effect"
import { currentDialect, type Dialect } from "../db/dialect.js"
import { DoesNotExist, InvalidArgument, MultipleResultsFound, type IntegrityError, type StorageError } from "../errors.js"
import { sqlFailure } from "../db/failure.js"
import { decodeValue, type Row } from "../schema/codec.js"
import type { Model } from "../schema/model.js"
import { Agg, type AggregateResult, type Aggregation } from "./aggregate.js"
import { warnMissingKeys } from "./missingKeys.js"
import { observeQuery } from "./observe.js"
import { planPrefixes } from "./prefix.js"
import { Q, toNode, type QNode } from "./Q.js"
import { initialState, type QueryState, type SearchOptions } from "./state.js"
import { compileStatement, type Mode, type OutputColumn } from "./statement.js"
import type { TableOptions } from "./table.js"
import { QuerySetTypeId, type AnyQuerySet, type Condition, type FilterSpec, type OrderKey, type PathKey, type ValuesRow } from "./types.js"
import { show } from "./values.js"

export type { FilterSpec } from "./types.js"

/** Errors a query can fail with. */
export type QueryError = InvalidArgument | DoesNotExist | MultipleResultsFound | StorageError | IntegrityError

/** An effect that runs a query. */
export type QueryEffect<A> = Effect.Effect<A, QueryError, SqlClient.SqlClient>

const ID_COLUMN = "__lamina_id"

/** A lazy query over the registry `M`, yielding `A`s. */
export class QuerySet<out A, in out M extends Model = Model> implements AnyQuerySet {
  readonly [QuerySetTypeId]: QueryState

  /**
   * @param state what to query (see `initialState`)
   * @param decode turns a decoded row (field → value) into an `A`
   */
  constructor(
    readonly state: QueryState,
    readonly decode: (row: Row) => A
  ) {
    this[QuerySetTypeId] = state
  }

  /** A query over every record of `model` (trash and archive hidden). */
  static of<A, M extends Model>(model: M, decode: (row: Row) => A): QuerySet<A, M> {
    return new QuerySet<A, M>(initialState(model), decode)
  }

  /** The registry model. */
  get model(): M {
    return this.state.model as M
  }

  private with(patch: Partial<QueryState>): QuerySet<A, M> {
    return new QuerySet<A, M>({ ...this.state, ...patch }, this.decode)
  }

  private fail(message: string): QuerySet<A, M> {
    return this.state.error !== undefined ? this : this.with({ error: new InvalidArgument({ message }) })
  }

  /** Narrow by keyword objects and `Q` conditions, all combined with AND. */
  filter(...conditions: ReadonlyArray<Condition<M>>): QuerySet<A, M> {
    // (Through `unknown`: relating the generic spec type to `object` is costly for the checker.)
    const list = conditions as ReadonlyArray<unknown>
    for (const c of list)
      if (typeof c !== "object" || c === null || Array.isArray(c)) return this.fail(`filter() takes keyword objects or Q conditions, got ${show(c)}.`)
    return this.with({ where: [...this.state.where, ...list.map((c) => toNode(c as object))] })
  }

  /** Drop records matching all of `conditions` (Django's `exclude`: NULLs count as not matching). */
  exclude(...conditions: ReadonlyArray<Condition<M>>): QuerySet<A, M> {
    const list = conditions as ReadonlyArray<unknown>
    if (list.length === 0) return this
    for (const c of list)
      if (typeof c !== "object" || c === null || Array.isArray(c)) return this.fail(`exclude() takes keyword objects or Q conditions, got ${show(c)}.`)
    return this.with({ where: [...this.state.where, { _tag: "Not", child: { _tag: "And", children: list.map((c) => toNode(c as object)) } }] })
  }

  /** Order by fields or paths; `-` for descending (`orderBy("-created_at", "key")`). Replaces earlier ordering. */
  orderBy(...keys: ReadonlyArray<OrderKey<M>>): QuerySet<A, M> {
    const bad = badFieldName(keys, ["-"])
    if (bad !== undefined) return this.fail(`orderBy() takes field names, got ${show(bad.value)}.`)
    return this.with({ order: keys })
  }

  /** Records `start` (inclusive) to `end` (exclusive), like `Array.prototype.slice` without negatives. */
  slice(start: number, end?: number): QuerySet<A, M> {
    if (!Number.isInteger(start) || start < 0 || (end !== undefined && (!Number.isInteger(end) || end < start)))
      return this.fail(`slice(${start}, ${end}) needs integers 0 <= start <= end (negative indexes are not supported).`)
    const offset = this.state.offset + start
    const available = this.state.limit === undefined ? undefined : Math.max(0, this.state.limit - start)
    const wanted = end === undefined ? undefined : end - start
    const limit = available === undefined ? wanted : wanted === undefined ? available : Math.min(available, wanted)
    return this.with({ offset, limit })
  }

  /** At most `n` records. */
  limit(n: number): QuerySet<A, M> {
    if (!Number.isInteger(n) || n < 0) return this.fail(`limit(${n}) needs a non-negative integer.`)
    return this.slice(0, n)
  }

  /** Skip `n` records. */
  offset(n: number): QuerySet<A, M> {
    if (!Number.isInteger(n) || n < 0) return this.fail(`offset(${n}) needs a non-negative integer.`)
    return this.slice(n)
  }

  /** Drop duplicate rows (meaningful with `values`). */
  distinct(): QuerySet<A, M> {
    return this.with({ distinct: true })
  }

  /** Plain objects with the selected fields and paths (`values("key", "run__transform__key")`). */
  values<const K extends PathKey<M>>(...paths: ReadonlyArray<K>): QuerySet<ValuesRow<M, K>, M> {
    // JavaScript callers can pass anything: a non-string would reach the compiler as a TypeError.
    const bad = badFieldName(paths)
    const error =
      paths.length === 0
        ? new InvalidArgument({ message: "values() needs at least one field." })
        : bad !== undefined
          ? new InvalidArgument({ message: `values() takes field names, got ${show(bad.value)}.` })
          : undefined
    if (error !== undefined) return new QuerySet<ValuesRow<M, K>, M>({ ...this.state, error: this.state.error ?? error }, (r) => r as ValuesRow<M, K>)
    return new QuerySet<ValuesRow<M, K>, M>({ ...this.state, projection: { _tag: "Values", paths } }, (row) => row as ValuesRow<M, K>)
  }

  /**
   * Ranked search over the registry's text fields (LaminDB's ranking; see `search.ts`):
   * at most 20 results unless `limit` says otherwise. Combines with filters.
   */
  search(text: string, options: SearchOptions = {}): QuerySet<A, M> {
    if (typeof text !== "string" || text.trim() === "")
      return this.fail(`search() needs a non-empty string, got ${show(text)}.`)
    const limit = options.limit ?? 20
    if (!Number.isInteger(limit) || limit < 0) return this.fail(`search(): limit must be a non-negative integer, got ${show(limit)}.`)
    return this.with({
      search: { text: text.trim(), fields: options.fields ?? this.model.searchFields, caseSensitive: options.caseSensitive ?? false }
    }).limit(limit)
  }

  /** The SQL this query runs for the current dialect (for debugging and EXPLAIN). */
  toSql(): QueryEffect<{ readonly text: string; readonly params: ReadonlyArray<unknown> }> {
    return Effect.flatMap(currentDialect, (d) => Effect.map(compileStatement(d, this.state, { _tag: "Rows" }), (s) => s.sql.render(d)))
  }

  private run(mode: Mode): QueryEffect<{ readonly rows: ReadonlyArray<Record<string, unknown>>; readonly columns: ReadonlyArray<OutputColumn>; readonly dialect: Dialect }> {
    const state = this.state
    return Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const dialect = yield* currentDialect
      const wanted = mode._tag === "Rows" && state.limit !== undefined ? state.offset + state.limit : undefined
      const planned = yield* planPrefixes(dialect, state, wanted)
      const statement = yield* compileStatement(dialect, planned, mode)
      const { text, params } = statement.sql.render(dialect)
      const rows = yield* sql.unsafe<Record<string, unknown>>(text, params).pipe(Effect.mapError(sqlFailure(`Querying ${state.model.name}`)))
      yield* observeQuery(() => ({
        model: state.model.name,
        what: `${describeState(state)}${mode._tag === "Count" ? " (count)" : mode._tag === "Exists" ? " (exists)" : state.projection._tag === "Values" ? " (values)" : ""}`,
        text,
        params,
        rows,
        records: mode._tag === "Rows" && state.projection._tag === "Records"
      }))
      const empty = mode._tag === "Count" ? Number(rows[0]?.["n"] ?? 0) === 0 : (mode._tag === "Rows" || mode._tag === "Exists") && rows.length === 0
      if (empty) yield* warnMissingKeys(state)
      return { rows, columns: statement.columns, dialect }
    })
  }

  private decodeRows(rows: ReadonlyArray<Record<string, unknown>>, columns: ReadonlyArray<OutputColumn>, dialect: Dialect): ReadonlyArray<A> {
    return rows.map((raw) => this.decode(decodeColumns(raw, columns)))
  }

  /** Every matching record (newest first unless ordered). */
  toArray(): QueryEffect<ReadonlyArray<A>> {
    return Effect.map(this.run({ _tag: "Rows" }), ({ rows, columns, dialect }) => this.decodeRows(rows, columns, dialect))
  }

  /** The first record, or `undefined`. */
  first(): QueryEffect<A | undefined> {
    return Effect.map(this.slice(0, 1).toArray(), (rows) => rows[0])
  }

  /** Exactly one record, else `DoesNotExist` / `MultipleResultsFound`. */
  one(): QueryEffect<A> {
    return Effect.flatMap(this.slice(0, 2).toArray(), (rows): Effect.Effect<A, DoesNotExist | MultipleResultsFound> => {
      if (rows.length === 0) return Effect.fail(new DoesNotExist({ registry: this.model.name, message: `No ${this.model.name} matches ${this.describe()}.` }))
      if (rows.length > 1)
        return Effect.fail(
          new MultipleResultsFound({
            registry: this.model.name,
            count: rows.length,
            message: `Several ${this.model.name} records match ${this.describe()}: narrow the filter.`
          })
        )
      return Effect.succeed(rows[0]!)
    })
  }

  /** At most one record: it, or `undefined`; `MultipleResultsFound` when several match. */
  oneOrNone(): QueryEffect<A | undefined> {
    return Effect.catchTag(this.one() as QueryEffect<A | undefined>, "DoesNotExist", () => Effect.succeed(undefined))
  }

  /** Number of matching records (respects `slice` and `distinct`). */
  count(): QueryEffect<number> {
    return Effect.map(this.run({ _tag: "Count" }), ({ rows }) => Number(rows[0]?.["n"] ?? 0))
  }

  /** Whether any record matches. */
  exists(): QueryEffect<boolean> {
    return Effect.map(this.run({ _tag: "Exists" }), ({ rows }) => rows.length > 0)
  }

  /**
   * Stream every matching record, fetched `chunkSize` at a time by keyset pagination on `id`
   * (ascending), so memory stays flat at any size on both backends. Respects `slice`.
   */
  iterate(options: { readonly chunkSize?: number } = {}): Stream.Stream<A, QueryError, SqlClient.SqlClient> {
    const size = options.chunkSize ?? 1000
    if (!Number.isInteger(size) || size <= 0) return Stream.fail(new InvalidArgument({ message: `iterate(): chunkSize must be a positive integer, got ${show(size)}.` }))
    const total = this.state.limit
    const unsliced: QueryState = { ...this.state, limit: undefined, offset: 0 }
    const first = this.state.offset
    let planned: QueryState | undefined
    interface Cursor {
      readonly afterId: number | undefined
      readonly taken: number
    }
    return Stream.paginateChunkEffect<Cursor, A, QueryError, SqlClient.SqlClient>({ afterId: undefined, taken: 0 }, (cursor) =>
      Effect.gen(this, function* () {
        const want = total === undefined ? size : Math.min(size, total - cursor.taken)
        if (want <= 0) return [Chunk.empty<A>(), Option.none<Cursor>()] as const
        const sql = yield* SqlClient.SqlClient
        const dialect = yield* currentDialect
        if (planned === undefined) planned = yield* planPrefixes(dialect, unsliced, first + size)
        const state = planned
        const statement = yield* compileStatement(dialect, state, { _tag: "Page", afterId: cursor.afterId, size: want, offset: cursor.afterId === undefined ? first : 0 })
        const { text, params } = statement.sql.render(dialect)
        const rows = yield* sql.unsafe<Record<string, unknown>>(text, params).pipe(Effect.mapError(sqlFailure(`Querying ${state.model.name}`)))
        yield* observeQuery(() => ({ model: state.model.name, what: `${describeState(state)} (iterate)`, text, params, rows, records: state.projection._tag === "Records" }))
        const items = this.decodeRows(rows, statement.columns.filter((c) => c.name !== ID_COLUMN), dialect)
        const taken = cursor.taken + rows.length
        const lastId = rows.length > 0 ? Number(rows[rows.length - 1]![ID_COLUMN]) : undefined
        const done = rows.length < want || (total !== undefined && taken >= total)
        return [Chunk.fromIterable(items), done ? Option.none<Cursor>() : Option.some({ afterId: lastId, taken })] as const
      })
    )
  }

  /**
   * An Apache Arrow table with LaminDB's `to_dataframe` columns (`id` first, then `uid`, the
   * record's fields, `is_latest`/`is_locked`/`created_at`, then foreign-key ids), plus `include`
   * paths (`run__transform__key`, many-valued ones as lists). Like LaminDB: newest first and at
   * most 100 rows unless the query is ordered/sliced or `limit` says otherwise (`limit: null`
   * for all); artifacts with a `__lamindb…`/`__lamina…` kind are hidden unless `kind` is filtered.
   */
  toTable(options: TableOptions<M> = {}): QueryEffect<Table> {
    return Effect.gen(this, function* () {
      // Loaded on first use: apache-arrow costs ~100 ms of start-up that other queries never need.
      const { expansionsOf, tableFromRows, tableProjection } = yield* Effect.promise(() => import("./table.js"))
      const prepared = yield* tableProjection(this.state, options)
      const { rows, columns, dialect } = yield* new QuerySet<Row, M>(prepared, (r) => r).run({ _tag: "Rows" })
      const decoded = rows.map((r) => decodeColumns(r, columns))
      const ids = decoded.map((r) => Number(r.id))
      const expanded = yield* Effect.forEach(expansionsOf(this.state.model, options), (e) => e.columns(this.state.model, ids))
      return tableFromRows(columns, decoded, expanded.flat())
    })
  }

  /** Aggregates over the matching records (`{ n: Agg.count(), total: Agg.sum("size") }`). */
  aggregate<const S extends Readonly<Record<string, Aggregation<"count" | "sum" | "avg" | "min" | "max", PathKey<M> | undefined>>>>(
    spec: S
  ): QueryEffect<AggregateResult<M, S>> {
    return Effect.map(this.groupBy().aggregate(spec), (rows) => rows[0] as AggregateResult<M, S>)
  }

  /** Group by fields or paths, then `.aggregate({...})` per group (groups ordered ascending). */
  groupBy<const G extends PathKey<M>>(...paths: ReadonlyArray<G>): GroupedQuerySet<M, G> {
    const bad = badFieldName(paths)
    if (bad !== undefined && this.state.error === undefined)
      return new GroupedQuerySet<M, G>({ ...this.state, error: new InvalidArgument({ message: `groupBy() takes field names, got ${show(bad.value)}.` }) }, paths)
    return new GroupedQuerySet<M, G>(this.state, paths)
  }

  /** The filters as text, for error messages. */
  private describe(): string {
    return describeFilters(this.state)
  }
}

/** A QuerySet grouped by paths, awaiting `aggregate`. */
export class GroupedQuerySet<in out M extends Model, in out G extends string> {
  constructor(
    readonly state: QueryState,
    readonly groupBy: ReadonlyArray<G>
  ) {}

  /** One row per group: the group values and the aggregates. */
  aggregate<const S extends Readonly<Record<string, Aggregation<"count" | "sum" | "avg" | "min" | "max", PathKey<M> | undefined>>>>(
    spec: S
  ): QueryEffect<ReadonlyArray<ValuesRow<M, G> & AggregateResult<M, S>>> {
    const state = this.state
    const groupBy = this.groupBy
    return Effect.gen(function* () {
      // JavaScript callers can pass anything: check the spec's shape before reading it.
      if (typeof spec !== "object" || spec === null || Array.isArray(spec))
        return yield* new InvalidArgument({ message: `aggregate() takes an object of aggregates, e.g. { n: Agg.count(), total: Agg.sum("size") }; got ${show(spec)}.` })
      for (const [name, agg] of Object.entries(spec)) {
        const problem = aggregationProblem(agg)
        if (problem !== undefined) return yield* new InvalidArgument({ message: `aggregate '${name}' ${problem}` })
      }
      const entries = Object.entries(spec).map(([name, agg]) => [name, { fn: agg.fn, path: agg.path, distinct: agg.distinct }] as const)
      for (const [name] of entries)
        if (groupBy.includes(name as G)) return yield* new InvalidArgument({ message: `aggregate: '${name}' is both a group and an aggregate name.` })
      const sql = yield* SqlClient.SqlClient
      const dialect = yield* currentDialect
      const statement = yield* compileStatement(dialect, state, { _tag: "Aggregate", aggregates: entries, groupBy })
      const { text, params } = statement.sql.render(dialect)
      const rows = yield* sql.unsafe<Record<string, unknown>>(text, params).pipe(Effect.mapError(sqlFailure(`Aggregating ${state.model.name}`)))
      yield* observeQuery(() => ({ model: state.model.name, what: `${describeState(state)} (aggregate)`, text, params, rows, records: false }))
      return rows.map((r) => {
        const out = decodeColumns(r, statement.columns)
        for (const [name, agg] of entries) if (agg.fn === "count") out[name] = Number(out[name] ?? 0)
        return out as ValuesRow<M, G> & AggregateResult<M, S>
      })
    })
  }
}

/** The first key that is not a non-empty string (nor one of `reserved`), if any. */
const badFieldName = (keys: ReadonlyArray<unknown>, reserved: ReadonlyArray<string> = []): { readonly value: unknown } | undefined => {
  const at = keys.findIndex((k) => typeof k !== "string" || k === "" || reserved.includes(k))
  return at === -1 ? undefined : { value: keys[at] }
}

const AGG_FNS: ReadonlyArray<unknown> = ["count", "sum", "avg", "min", "max"]

/** Why `agg` is not an `Agg.…(…)` value, or `undefined` when it is one. */
const aggregationProblem = (agg: unknown): string | undefined => {
  const shape = "must be Agg.count(), Agg.sum(field), Agg.avg(field), Agg.min(field) or Agg.max(field)"
  if (typeof agg !== "object" || agg === null || !("_tag" in agg) || agg._tag !== "Aggregation" || !("fn" in agg) || !AGG_FNS.includes(agg.fn))
    return `${shape}, got ${show(agg)}.`
  const path = "path" in agg ? agg.path : undefined
  if (path === undefined ? agg.fn !== "count" : typeof path !== "string" || path === "") return `${shape}: the field must be a field name, got ${show(path)}.`
  return undefined
}

const describeNode = (node: QNode): string => {
  switch (node._tag) {
    case "Spec":
      return show(node.spec)
    case "And":
      return `(${node.children.map(describeNode).join(" AND ")})`
    case "Or":
      return `(${node.children.map(describeNode).join(" OR ")})`
    case "Not":
      return `NOT ${describeNode(node.child)}`
  }
}

/** Decode a raw row by its output columns. */
export const decodeColumns = (raw: Record<string, unknown>, columns: ReadonlyArray<OutputColumn>): Row => {
  const out: Row = {}
  for (const c of columns) {
    const v = raw[c.name]
    if (c.encoding === "field") out[c.name] = decodeValue(c.type, v)
    else if (v === null || v === undefined) out[c.name] = c.encoding === "list" ? [] : null
    else {
      // JSON arrives as text from both dialects (db/postgres.ts keeps json/jsonb unparsed).
      const parsed: unknown = typeof v === "string" ? JSON.parse(v) : v
      out[c.name] = c.encoding === "list" && Array.isArray(parsed) ? parsed.map((x) => decodeValue(c.type, x)) : parsed
    }
  }
  return out
}

export { Agg, Q }

/** The filters of `state` as text, for error messages. */
const describeFilters = (state: QueryState): string => {
  const parts = state.where.map(describeNode)
  return parts.length === 0 ? "the query" : parts.join(" AND ")
}

/** The query as a caller wrote it, roughly: `Artifact.filter(key__startswith: "raw/")`. */
const describeState = (state: QueryState): string =>
  `${state.model.name}.${state.where.length === 0 ? "all()" : `filter(${describeFilters(state)})`}${state.search !== undefined ? `.search(${JSON.stringify(state.search.text)})` : ""}`
