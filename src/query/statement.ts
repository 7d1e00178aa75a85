/**
 * The statement compiler: a `QueryState` and what to do with it (rows, count, exists, a
 * subquery, a keyset page, aggregates) into one SQL statement.
 *
 * - Selected and ordered paths through forward relations (`run__transform__key`) become LEFT
 *   JOINs, so a missing relation yields NULL rather than dropping the row; many-valued paths
 *   (`input_of_runs__uid`, only in `include`) become one correlated JSON array per row.
 * - Ordering is deterministic and the same on both backends: NULL sorts as the smallest value,
 *   text by code point, and `id` breaks ties in the direction of the last key. The default
 *   order is `-id` (newest first).
 * - Ordering by a JSON key with a side table (`orderBy("-params__epochs")`) joins the side
 *   table; when a top-level filter compares the same key (`params__epochs__gt: 50`), that
 *   comparison moves into the join, so the index on `(key_path, kind, num_value, run_id)`
 *   delivers matching rows already sorted and `LIMIT` stops early.
 *
 * @module
 */
import { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import { InvalidArgument } from "../errors.js"
import type { FieldType } from "../schema/field.js"
import type { Model } from "../schema/model.js"
import { canonicalPath, jsonIndexOf } from "./jsonpath.js"
import { keysIn, type QNode } from "./Q.js"
import { didYouMean, expandAlias, stepOf, targetOf, type Step } from "./relations.js"
import { searchSql } from "./search.js"
import { and, column, ident, join, param, raw, sql, type Sql } from "./sql.js"
import type { QueryState } from "./state.js"
import { invalid } from "./values.js"
import {
  ABSORBABLE,
  attempt,
  branchCondition,
  compileWhere,
  jsonCondition,
  jsonView,
  parseJsonKey,
  sideView,
  type BranchScope,
  type Compiling,
  type Ctx
} from "./where.js"

/** How a selected column decodes. */
export type Encoding =
  /** A field value: decode by field type. */
  | "field"
  /** A JSON value: text on SQLite, parsed on Postgres. */
  | "json"
  /** A JSON array built by the query (many-valued include). */
  | "list"

/** A selected column. */
export interface OutputColumn {
  readonly name: string
  readonly type: FieldType
  readonly encoding: Encoding
}

/** A compiled statement and how to decode its columns. */
export interface Statement {
  readonly sql: Sql
  readonly columns: ReadonlyArray<OutputColumn>
}

/** An aggregate function over a path (`count` may have none). */
export interface AggregateSpec {
  readonly fn: "count" | "sum" | "avg" | "min" | "max"
  readonly path: string | undefined
  readonly distinct: boolean
}

/** What the statement does. */
export type Mode =
  | { readonly _tag: "Rows" }
  | { readonly _tag: "Count" }
  | { readonly _tag: "Exists" }
  | { readonly _tag: "Subquery"; readonly expect: Model | undefined; readonly label: string }
  | { readonly _tag: "Page"; readonly afterId: number | undefined; readonly size: number; readonly offset: number }
  | {
      readonly _tag: "Aggregate"
      readonly aggregates: ReadonlyArray<readonly [string, AggregateSpec]>
      readonly groupBy: ReadonlyArray<string>
      /** Internal: aggregate over these ids only (a sliced or searched query). */
      readonly within?: Sql
    }

/** True for a column declared NOT NULL (ordering it needs no NULLS clause on Postgres). */
const notNull = (model: Model, field: string): boolean => model.columns[field]?.nullable === false

/** Fields that address records directly: with one of these, trash and archive stay visible. */
const DIRECT = new Set(["id", "uid", "hash", "branch"])

/** A fresh compiler context. */
export const makeCtx = (dialect: Dialect): Ctx => {
  let n = 0
  const ctx: Ctx = {
    dialect,
    nextAlias: () => `t${n++}`,
    subquery: (state, expect, label) => Effect.map(compileIn(ctx, state, { _tag: "Subquery", expect, label }), (s) => s.sql)
  }
  return ctx
}

/** Compile `state` for `mode`. */
export const compileStatement = (dialect: Dialect, state: QueryState, mode: Mode): Compiling<Statement> => compileIn(makeCtx(dialect), state, mode)

interface PathExpr {
  readonly expr: Sql
  readonly type: FieldType
  readonly nullable: boolean
  readonly encoding: Encoding
}

/** The FROM clause of one statement: the main table and the joins paths need. */
class Scope {
  readonly joins: Array<Sql> = []
  private readonly joined = new Map<string, string>()
  constructor(
    readonly ctx: Ctx,
    readonly model: Model,
    readonly alias: string,
    /** Fields of the main model the filters prove non-NULL (ordering them needs no NULLS clause). */
    readonly nonNull: ReadonlySet<string> = new Set()
  ) {}

  /** Resolve a selectable path (throws `InvalidArgument`). */
  path(key: string, options: { readonly many: boolean }): PathExpr {
    const { ctx } = this
    const parts = key.split("__")
    if (parts.some((p) => p === "")) return invalid(`Invalid path ${JSON.stringify(key)}: names are separated by a double underscore.`)
    let model = this.model
    let alias = this.alias
    let nullable = false
    let walked = expandAlias(model, parts)
    const prefix: Array<string> = []
    while (walked.length > 1 && model.fields[walked[0]!] === undefined) {
      const name = walked[0]!
      const step = stepOf(model, name)
      if (step === undefined) return invalid(unknownPath(model, name, key))
      const target = targetOf(step)
      if (step._tag !== "Forward") {
        if (!options.many) return invalid(`'${key}' goes through the many-valued relation '${name}': use it in filters or in toTable({ include }).`)
        return this.many(alias, step, target, walked.slice(1), key)
      }
      prefix.push(name)
      const joinKey = prefix.join("__")
      let next = this.joined.get(joinKey)
      if (next === undefined) {
        next = ctx.nextAlias()
        this.joins.push(sql` LEFT JOIN ${ident(target.table)} ${raw(next)} ON ${column(next, "id")} = ${column(alias, step.relation.column)}`)
        this.joined.set(joinKey, next)
      }
      model = target
      alias = next
      nullable = true
      walked = walked.slice(1)
    }
    const field = walked[0]!
    const type = model.fields[field]
    const computed = model.computed[field]
    if (computed !== undefined && walked.length === 1) {
      const from = alias
      return { expr: sql`(${computed.expr((name) => column(from, name))})`, type: computed.type, nullable: true, encoding: "field" }
    }
    if (type === undefined) {
      const step = stepOf(model, field)
      if (walked.length === 1 && step?._tag === "Forward") return { expr: column(alias, step.relation.column), type: "int", nullable: true, encoding: "field" }
      return invalid(unknownPath(model, field, key))
    }
    if (walked.length === 1) return { expr: column(alias, field), type, nullable: nullable || !notNull(model, field), encoding: "field" }
    if (type !== "json") return invalid(`'${key}': ${model.name}.${field} is a ${type} field; only JSON fields have keys.`)
    const keys = walked.slice(1)
    const col = column(alias, field)
    const expr = ctx.dialect === "pg" ? sql`(${col} #> ARRAY[${join(keys.map(param), ", ")}]::text[])` : sql`(${col} -> ${canonicalPath(keys)})`
    return { expr, type: "json", nullable: true, encoding: "json" }
  }

  /** A many-valued path as one JSON array per row (ordered by the related id). */
  private many(alias: string, step: Step, target: Model, rest: ReadonlyArray<string>, key: string): PathExpr {
    const field = rest[0]!
    const type = target.fields[field]
    if (rest.length !== 1 || type === undefined || type === "json") return invalid(`'${key}': after a many-valued relation, name one field of ${target.name}.`)
    const r = this.ctx.nextAlias()
    const l = this.ctx.nextAlias()
    const self = column(alias, "id")
    const from =
      step._tag === "Link"
        ? sql`${ident(step.link.table)} ${raw(l)} JOIN ${ident(target.table)} ${raw(r)} ON ${column(r, "id")} = ${column(l, step.link.otherColumn)} WHERE ${column(l, step.link.selfColumn)} = ${self}`
        : step._tag === "Reverse"
          ? sql`${ident(target.table)} ${raw(r)} WHERE ${column(r, step.reverse.column)} = ${self}`
          : invalid(`'${key}' is not many-valued.`)
    const value = column(r, field)
    const expr =
      this.ctx.dialect === "pg"
        ? sql`(SELECT COALESCE(json_agg(${value} ORDER BY ${column(r, "id")}), '[]'::json) FROM ${from})`
        : sql`(SELECT json_group_array(v) FROM (SELECT ${value} AS v FROM ${from} ORDER BY ${column(r, "id")}))`
    return { expr, type, nullable: false, encoding: "list" }
  }

  /** ORDER BY terms for one key (throws `InvalidArgument`). */
  order(key: string): ReadonlyArray<Sql> {
    const desc = key.startsWith("-")
    const path = desc ? key.slice(1) : key
    const parts = path.split("__")
    const field = parts[0]!
    // A JSON key of the main model with a side table: join it.
    if (parts.length > 1 && this.model.fields[field] === "json") {
      const { keys } = parseJsonKey(parts.slice(1))
      const index = jsonIndexOf(this.model, field)
      const view =
        index === undefined
          ? jsonView(this.ctx.dialect, column(this.alias, field), keys)
          : (() => {
              const p = this.ctx.nextAlias()
              this.joins.push(
                sql` LEFT JOIN ${ident(index.table)} ${raw(p)} ON ${column(p, index.owner)} = ${column(this.alias, "id")} AND ${column(p, "key_path")} = ${canonicalPath(keys)}`
              )
              return sideView(this.ctx.dialect, p)
            })()
      return view.sort.map(([expr, type]) => orderTerm(this.ctx.dialect, expr, desc, false, type))
    }
    const p = this.path(path, { many: false })
    if (p.encoding === "json") return invalid(`orderBy('${key}'): order by a JSON key of ${this.model.name} itself.`)
    return [orderTerm(this.ctx.dialect, p.expr, desc, p.nullable && !this.nonNull.has(path), p.type)]
  }
}

const unknownPath = (model: Model, name: string, key: string): string => {
  const available = [...Object.keys(model.fields).filter((f) => !f.startsWith("_")), ...Object.keys(model.computed), ...Object.keys(model.relations)].sort()
  return `Unknown field '${name}' in '${key}'. Available fields of ${model.name}: ${available.join(", ")}.${didYouMean([name], available)}`
}

const orderTerm = (dialect: Dialect, expr: Sql, desc: boolean, nullable: boolean, type: FieldType): Sql => {
  const e = dialect === "pg" && type === "str" ? sql`${expr} COLLATE "C"` : expr
  const dir = desc ? " DESC" : ""
  // NULL sorts as the smallest value: SQLite's native order, explicit on Postgres.
  const nulls = dialect === "pg" && nullable ? (desc ? " NULLS LAST" : " NULLS FIRST") : ""
  return sql`${e}${raw(dir + nulls)}`
}

const sliceClause = (dialect: Dialect, offset: number, limit: number | undefined): Sql => {
  if (limit !== undefined) return raw(` LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ""}`)
  if (offset > 0) return raw(dialect === "pg" ? ` OFFSET ${offset}` : ` LIMIT -1 OFFSET ${offset}`)
  return raw("")
}

/** Plain fields that a top-level condition proves non-NULL (`key__startswith`, `size__gt`, `x__isnull: false`). */
const nonNullFields = (state: QueryState): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const node of state.where) {
    if (node._tag !== "Spec") continue
    for (const [key, value] of Object.entries(node.spec)) {
      const [field, lookup, more] = key.split("__")
      if (field === undefined || more !== undefined || state.model.fields[field] === undefined || state.model.fields[field] === "json") continue
      if (lookup === "isnull" ? value === false : value !== null && value !== undefined) out.add(field)
    }
  }
  return out
}

const isSliced = (state: QueryState): boolean => state.limit !== undefined || state.offset > 0

/** True when no condition addresses records directly (so the default branch filter applies). */
const needsBranchFilter = (state: QueryState): boolean =>
  "branch" in state.model.fields &&
  !state.where.some((node) => keysIn(node).some((k) => DIRECT.has(expandAlias(state.model, k.split("__"))[0]!)))

/** A top-level comparison on the JSON key the query is ordered by, moved into the ordering join. */
interface Absorbed {
  readonly where: ReadonlyArray<QNode>
  readonly field: string
  readonly keys: ReadonlyArray<string>
  readonly lookup: "exact" | "gt" | "gte" | "lt" | "lte" | "range"
  readonly value: unknown
  readonly desc: boolean
}

const absorb = (state: QueryState): Absorbed | undefined => {
  const first = state.order[0]
  if (first === undefined || state.search !== undefined || state.distinct) return undefined
  const desc = first.startsWith("-")
  const parts = (desc ? first.slice(1) : first).split("__")
  const field = parts[0]!
  if (parts.length < 2 || state.model.fields[field] !== "json" || jsonIndexOf(state.model, field) === undefined) return undefined
  const target = canonicalPath(parseJsonKey(parts.slice(1)).keys)
  for (let i = 0; i < state.where.length; i++) {
    const node = state.where[i]!
    if (node._tag !== "Spec") continue
    for (const [key, value] of Object.entries(node.spec)) {
      const kp = key.split("__")
      if (kp[0] !== field || kp.length < 2) continue
      const { keys, lookup } = parseJsonKey(kp.slice(1))
      if (canonicalPath(keys) !== target || !ABSORBABLE.has(lookup)) continue
      const scalar = (v: unknown) => (typeof v === "number" && Number.isFinite(v)) || typeof v === "string"
      const ok = lookup === "range" ? Array.isArray(value) && value.length === 2 && value.every(scalar) && typeof value[0] === typeof value[1] : scalar(value)
      if (!ok) continue
      const rest = Object.fromEntries(Object.entries(node.spec).filter(([k]) => k !== key))
      const where = [...state.where.slice(0, i), { _tag: "Spec" as const, spec: rest }, ...state.where.slice(i + 1)]
      return { where, field, keys, lookup: lookup as Absorbed["lookup"], value, desc }
    }
  }
  return undefined
}

/**
 * `count()` of runs filtered only by params comparisons (the common "how many runs had
 * lr = 0.01"), answered from the side table's index alone: it holds each run's branch, and one
 * row per (run, key), so no run row has to be read. Undefined when the query has anything else.
 */
const sideTableCount = (ctx: Ctx, state: QueryState): Sql | undefined => {
  const leaves: Array<readonly [string, ReadonlyArray<string>, string, unknown]> = []
  const collect = (node: QNode): boolean => {
    if (node._tag === "And") return node.children.every(collect)
    if (node._tag !== "Spec") return false
    for (const [key, value] of Object.entries(node.spec)) {
      if (value === undefined) continue
      const parts = key.split("__")
      const field = parts[0]!
      if (parts.length < 2 || state.model.fields[field] !== "json" || jsonIndexOf(state.model, field) === undefined) return false
      const { keys, lookup } = parseJsonKey(parts.slice(1))
      if (lookup === "isnull" || (keys.length === 1 && keys[0] === "isnull")) return false
      leaves.push([field, keys, lookup, value])
    }
    return true
  }
  if (isSliced(state) || state.distinct || !state.where.every(collect) || leaves.length === 0) return undefined
  let inner: Sql | undefined
  for (const [field, keys, lookup, value] of [...leaves].reverse()) {
    const index = jsonIndexOf(state.model, field)!
    const p = ctx.nextAlias()
    const cond = jsonCondition(ctx.dialect, sideView(ctx.dialect, p), lookup as Parameters<typeof jsonCondition>[2], value, `${state.model.name}.filter(${field}__${keys.join("__")})`)
    const conds = [branchCondition(p, "main"), sql`${column(p, "key_path")} = ${canonicalPath(keys)}`, cond]
    if (inner !== undefined) conds.push(sql`${column(p, index.owner)} IN (${inner})`)
    inner = sql`SELECT ${column(p, index.owner)} FROM ${ident(index.table)} ${raw(p)} WHERE ${and(conds)}`
  }
  const q = ctx.nextAlias()
  return sql`SELECT COUNT(*) AS n FROM (${inner!}) ${raw(q)}`
}

const compileIn = (ctx: Ctx, state: QueryState, mode: Mode): Compiling<Statement> =>
  Effect.gen(function* () {
    if (state.error !== undefined) return yield* state.error
    const d = ctx.dialect
    const model = state.model
    const alias = ctx.nextAlias()
    const from_ = new Scope(ctx, model, alias, nonNullFields(state))
    const from = sql`${ident(model.table)} ${raw(alias)}`
    const sliced = isSliced(state)

    // Count/exists/aggregates over a slice, a distinct projection or a search: wrap the rows.
    if ((mode._tag === "Count" || mode._tag === "Exists") && (sliced || state.distinct || state.search !== undefined)) {
      const inner = yield* compileIn(ctx, state, { _tag: "Rows" })
      const q = ctx.nextAlias()
      const body = mode._tag === "Count" ? sql`SELECT COUNT(*) AS n FROM (${inner.sql}) ${raw(q)}` : sql`SELECT 1 AS x FROM (${inner.sql}) ${raw(q)} LIMIT 1`
      return { sql: body, columns: [] }
    }
    if (mode._tag === "Aggregate" && mode.within === undefined && (sliced || state.search !== undefined)) {
      const ids = yield* compileIn(ctx, { ...state, projection: { _tag: "Records" }, distinct: false }, { _tag: "Subquery", expect: model, label: "aggregate" })
      const base: QueryState = { ...state, where: [], order: [], offset: 0, limit: undefined, search: undefined, distinct: false }
      return yield* compileIn(ctx, base, { ...mode, within: ids.sql })
    }

    const within = mode._tag === "Aggregate" ? mode.within : undefined
    const scope: BranchScope = within === undefined && needsBranchFilter(state) ? "main" : "any"
    if (mode._tag === "Count" && scope === "main" && state.search === undefined) {
      const fast = yield* attempt(() => sideTableCount(ctx, state))
      if (fast !== undefined) return { sql: fast, columns: [] }
    }
    const absorbed = mode._tag === "Rows" || mode._tag === "Subquery" ? absorb(state) : undefined
    const whereNodes = absorbed?.where ?? state.where
    const conditions: Array<Sql> = [yield* compileWhere(ctx, model, alias, whereNodes, scope)]
    if (within !== undefined) conditions.push(sql`${column(alias, "id")} IN (${within})`)
    else if (scope === "main") conditions.push(sql`${column(alias, "branch")} = 1`)
    let rank: Sql | undefined
    if (state.search !== undefined) {
      const s = yield* attempt(() => searchSql(d, model, alias, state.search!))
      conditions.push(s.filter)
      rank = s.rank
    }
    if (mode._tag === "Page" && mode.afterId !== undefined) conditions.push(sql`${column(alias, "id")} > ${mode.afterId}`)
    const where = and(conditions)

    switch (mode._tag) {
      case "Count":
        return { sql: sql`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`, columns: [] }
      case "Exists":
        return { sql: sql`SELECT 1 AS x FROM ${from} WHERE ${where} LIMIT 1`, columns: [] }
      case "Aggregate": {
        const built = yield* attempt(() => aggregateSelect(from_, mode))
        const groupBy = built.groups.length > 0 ? sql` GROUP BY ${join(built.groups, ", ")}` : raw("")
        const orderBy = built.groupOrder.length > 0 ? sql` ORDER BY ${join(built.groupOrder, ", ")}` : raw("")
        return {
          sql: sql`SELECT ${join(built.select, ", ")} FROM ${from}${join(from_.joins, "")} WHERE ${where}${groupBy}${orderBy}`,
          columns: built.columns
        }
      }
      case "Page": {
        if (state.order.some((k) => k !== "id" && k !== "-id"))
          return yield* new InvalidArgument({ message: "iterate() pages by id: drop orderBy(...) or use toArray()." })
        const { select, columns } = yield* attempt(() => projection(from_, state))
        return {
          sql: sql`SELECT ${column(alias, "id")} AS "__lamina_id", ${select} FROM ${from}${join(from_.joins, "")} WHERE ${where} ORDER BY ${column(alias, "id")}${sliceClause(d, mode.offset, mode.size)}`,
          columns: [{ name: "__lamina_id", type: "int", encoding: "field" }, ...columns]
        }
      }
      case "Subquery": {
        let select: Sql
        if (state.projection._tag === "Values") {
          if (state.projection.paths.length !== 1)
            return yield* new InvalidArgument({ message: `${mode.label}: a QuerySet used as a value must select one field (values("id")), not ${state.projection.paths.length}.` })
          select = (yield* attempt(() => from_.path(state.projection._tag === "Values" ? state.projection.paths[0]! : "id", { many: false }))).expr
        } else {
          if (mode.expect !== undefined && mode.expect.name !== model.name)
            return yield* new InvalidArgument({ message: `${mode.label} expects a QuerySet of ${mode.expect.name}, got one of ${model.name}.` })
          select = column(alias, "id")
        }
        const orderBy = sliced ? yield* orderClause(from_, state, absorbed, rank, scope) : raw("")
        return { sql: sql`SELECT ${select} FROM ${from}${join(from_.joins, "")} WHERE ${where}${orderBy}${sliceClause(d, state.offset, state.limit)}`, columns: [] }
      }
      case "Rows": {
        const { select, columns } = yield* attempt(() => projection(from_, state))
        const orderBy = yield* orderClause(from_, state, absorbed, rank, scope)
        const distinct = state.distinct ? raw("DISTINCT ") : raw("")
        return {
          sql: sql`SELECT ${distinct}${select} FROM ${from}${join(from_.joins, "")} WHERE ${where}${orderBy}${sliceClause(d, state.offset, state.limit)}`,
          columns
        }
      }
    }
  })

const projection = (scope: Scope, state: QueryState): { readonly select: Sql; readonly columns: ReadonlyArray<OutputColumn> } => {
  if (state.projection._tag === "Records") {
    const fields = Object.entries(scope.model.fields)
    return {
      select: join(
        fields.map(([f]) => column(scope.alias, f)),
        ", "
      ),
      columns: fields.map(([name, type]) => ({ name, type, encoding: "field" as const }))
    }
  }
  const columns: Array<OutputColumn> = []
  const select: Array<Sql> = []
  for (const path of state.projection.paths) {
    const p = scope.path(path, { many: true })
    // Text by code point on Postgres, so DISTINCT … ORDER BY "path" sorts like SQLite.
    const e = scope.ctx.dialect === "pg" && p.type === "str" && p.encoding === "field" ? sql`${p.expr} COLLATE "C"` : p.expr
    select.push(sql`${e} AS ${ident(path)}`)
    columns.push({ name: path, type: p.type, encoding: p.encoding })
  }
  return { select: join(select, ", "), columns }
}

const orderClause = (scope: Scope, state: QueryState, absorbed: Absorbed | undefined, rank: Sql | undefined, branches: BranchScope): Compiling<Sql> =>
  attempt(() => {
    const d = scope.ctx.dialect
    const terms: Array<Sql> = []
    if (rank !== undefined) terms.push(sql`${rank} DESC`)
    let keys = state.order
    if (state.distinct) {
      const paths = state.projection._tag === "Values" ? state.projection.paths : undefined
      if (paths === undefined) return raw("")
      for (const k of keys) {
        const p = k.startsWith("-") ? k.slice(1) : k
        if (!paths.includes(p)) return invalid(`orderBy('${k}') with distinct(): order by one of the selected fields (${paths.join(", ")}).`)
      }
      if (keys.length === 0) keys = paths
      // Order by the selected columns themselves (Postgres requires it with DISTINCT).
      for (const k of keys) terms.push(orderTerm(d, ident(k.startsWith("-") ? k.slice(1) : k), k.startsWith("-"), true, "int"))
      return sql` ORDER BY ${join(terms, ", ")}`
    }
    let tiebreakDesc = true
    let tiebreak: Sql = column(scope.alias, "id")
    if (absorbed !== undefined) {
      const index = jsonIndexOf(scope.model, absorbed.field)!
      const p = scope.ctx.nextAlias()
      const view = sideView(d, p)
      const cond = jsonCondition(d, view, absorbed.lookup, absorbed.value, `${scope.model.name}.filter(${absorbed.field})`)
      scope.joins.push(
        sql` JOIN ${ident(index.table)} ${raw(p)} ON ${column(p, index.owner)} = ${column(scope.alias, "id")} AND ${branchCondition(p, branches)} AND ${column(p, "key_path")} = ${canonicalPath(absorbed.keys)} AND ${cond}`
      )
      const numeric = typeof (Array.isArray(absorbed.value) ? absorbed.value[0] : absorbed.value) === "number"
      terms.push(orderTerm(d, numeric ? view.num : view.text, absorbed.desc, false, numeric ? "float" : "str"))
      tiebreak = column(p, index.owner)
      tiebreakDesc = absorbed.desc
      keys = keys.slice(1)
    }
    for (const k of keys) terms.push(...scope.order(k))
    const last = keys[keys.length - 1]
    if (last !== undefined) tiebreakDesc = last.startsWith("-")
    else if (absorbed === undefined && rank === undefined && state.order.length === 0) tiebreakDesc = true
    if (last !== "id" && last !== "-id") terms.push(sql`${tiebreak}${raw(tiebreakDesc ? " DESC" : "")}`)
    return sql` ORDER BY ${join(terms, ", ")}`
  })

const aggregateSelect = (scope: Scope, mode: Extract<Mode, { readonly _tag: "Aggregate" }>) => {
  const d = scope.ctx.dialect
  const select: Array<Sql> = []
  const columns: Array<OutputColumn> = []
  const groups: Array<Sql> = []
  const groupOrder: Array<Sql> = []
  for (const path of mode.groupBy) {
    const p = scope.path(path, { many: false })
    select.push(sql`${p.expr} AS ${ident(path)}`)
    columns.push({ name: path, type: p.type, encoding: p.encoding })
    groups.push(p.expr)
    groupOrder.push(orderTerm(d, p.expr, false, p.nullable, p.type))
  }
  for (const [name, agg] of mode.aggregates) {
    if (agg.fn === "count" && agg.path === undefined) {
      select.push(sql`COUNT(*) AS ${ident(name)}`)
      columns.push({ name, type: "int", encoding: "field" })
      continue
    }
    if (agg.path === undefined) return invalid(`aggregate '${name}': ${agg.fn} needs a field.`)
    const p = scope.path(agg.path, { many: false })
    if ((agg.fn === "sum" || agg.fn === "avg") && p.type !== "int" && p.type !== "float")
      return invalid(`aggregate '${name}': ${agg.fn} needs a numeric field; '${agg.path}' is ${p.type}.`)
    if (p.type === "json") return invalid(`aggregate '${name}': aggregate a field, not the JSON path '${agg.path}'.`)
    const arg = agg.distinct ? sql`DISTINCT ${p.expr}` : p.expr
    const e = (agg.fn === "min" || agg.fn === "max") && d === "pg" && p.type === "str" ? sql`${arg} COLLATE "C"` : arg
    const fn = agg.fn.toUpperCase()
    const expr = agg.fn === "avg" && d === "pg" ? sql`CAST(AVG(${e}) AS DOUBLE PRECISION)` : sql`${raw(fn)}(${e})`
    select.push(sql`${expr} AS ${ident(name)}`)
    columns.push({ name, type: agg.fn === "count" ? "int" : agg.fn === "avg" ? "float" : p.type, encoding: "field" })
  }
  if (select.length === 0) return invalid("aggregate: pass at least one aggregate.")
  return { select, columns, groups, groupOrder }
}

