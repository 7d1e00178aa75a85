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

export type { Encoding, OutputColumn } from "./columns.js"
import { sqlDialect, type SortType, type SqlDialect } from "../db/dialects/index.js"
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
import type { Encoding, OutputColumn } from "./columns.js"
import { absorb, isSliced, needsBranchFilter, nonNullFields, sideTableCount, type Absorbed } from "./plan.js"
import { orderTerm, Scope } from "./scope.js"
import { ABSORBABLE, attempt, branchCondition, compileSpec, compileWhere, jsonCondition, parseJsonKey, type BranchScope, type Compiling, type Ctx } from "./where.js"

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

/** A fresh compiler context. */
export const makeCtx = (dialect: Dialect): Ctx => {
  let n = 0
  const ctx: Ctx = {
    dialect,
    d: sqlDialect(dialect),
    nextAlias: () => `t${n++}`,
    subquery: (state, expect, label) => Effect.map(compileIn(ctx, state, { _tag: "Subquery", expect, label }), (s) => s.sql),
    spec: (model, alias, spec, depth, scope) => compileSpec(ctx, model, alias, spec, depth, scope)
  }
  return ctx
}

/** Compile `state` for `mode`. */
export const compileStatement = (dialect: Dialect, state: QueryState, mode: Mode): Compiling<Statement> => compileIn(makeCtx(dialect), state, mode)

const sliceClause = (d: SqlDialect, offset: number, limit: number | undefined): Sql => {
  if (limit !== undefined) return raw(` LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ""}`)
  if (offset > 0) return raw(d.offsetOnly(offset))
  return raw("")
}

const compileIn = (ctx: Ctx, state: QueryState, mode: Mode): Compiling<Statement> =>
  Effect.gen(function* () {
    if (state.error !== undefined) return yield* state.error
    const d = ctx.d
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
    const e = p.type === "str" && p.encoding === "field" ? scope.ctx.d.byCodePoint(p.expr) : p.expr
    select.push(sql`${e} AS ${ident(path)}`)
    columns.push({ name: path, type: p.type, encoding: p.encoding })
  }
  return { select: join(select, ", "), columns }
}

const orderClause = (scope: Scope, state: QueryState, absorbed: Absorbed | undefined, rank: Sql | undefined, branches: BranchScope): Compiling<Sql> =>
  attempt(() => {
    const d = scope.ctx.d
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
      const view = d.sideView(p)
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
  const d = scope.ctx.d
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
    const e = (agg.fn === "min" || agg.fn === "max") && p.type === "str" ? d.byCodePoint(arg) : arg
    const expr = agg.fn === "avg" ? d.avg(e) : sql`${raw(agg.fn.toUpperCase())}(${e})`
    select.push(sql`${expr} AS ${ident(name)}`)
    columns.push({ name, type: agg.fn === "count" ? "int" : agg.fn === "avg" ? "float" : p.type, encoding: "field" })
  }
  if (select.length === 0) return invalid("aggregate: pass at least one aggregate.")
  return { select, columns, groups, groupOrder }
}

