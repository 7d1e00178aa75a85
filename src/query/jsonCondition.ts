/**
 * Conditions on JSON key paths (`params__preprocess__downsample`). A field with a declared side
 * table (`Run.params` → `lamina_run_param`) compiles to index lookups on that table; other JSON
 * fields to the dialect's JSON expressions, with the same semantics: a number compares as a
 * number, a string as a string, `true` only matches JSON `true`, and `__isnull: true` means
 * the key is absent.
 *
 * @module
 */
import type { JsonView, SqlDialect } from "../db/dialects/index.js"
import { column, ident, join, param, raw, sql, type Sql } from "../db/sql.js"
import type { Model } from "../schema/model.js"
import { attempt, branchCondition, type BranchScope, type Compiling, type Ctx } from "./context.js"
import { canonicalPath, jsonIndexOf } from "./jsonpath.js"
import { COMPARATORS, isLookup, PATTERNS, type Lookup } from "./lookup.js"
import { or } from "./sql.js"
import { asBool, asList, asPair, asText, checkRegex, invalid, show } from "./values.js"

/** Split `keys…[__lookup]` of a JSON field. */
export const parseJsonKey = (rest: ReadonlyArray<string>): { readonly keys: ReadonlyArray<string>; readonly lookup: Lookup } => {
  const last = rest[rest.length - 1]!
  if (rest.length >= 2 && isLookup(last)) return { keys: rest.slice(0, -1), lookup: last }
  return { keys: rest, lookup: "exact" }
}

/** A condition on a key path of a JSON field: through its side table when declared, else JSON expressions. */
export const jsonLeaf = (ctx: Ctx, model: Model, alias: string, field: string, rest: ReadonlyArray<string>, value: unknown, label: string, scope: BranchScope): Compiling<Sql> =>
  attempt(() => {
    const col = column(alias, field)
    if (rest.length === 0) {
      if (value === null) return sql`${col} IS NULL`
      return invalid(`${label}: compare keys inside a JSON field (e.g. ${field}__<key>), not the whole document.`)
    }
    if (rest.length === 1 && rest[0] === "isnull") return asBool(value, label) ? sql`${col} IS NULL` : sql`${col} IS NOT NULL`
    const { keys, lookup } = parseJsonKey(rest)
    const index = jsonIndexOf(model, field)
    if (lookup === "isnull") {
      const present =
        index === undefined
          ? sql`${ctx.d.jsonView(col, keys).kind} IS NOT NULL`
          : (() => {
              const p = ctx.nextAlias()
              return sql`EXISTS (SELECT 1 FROM ${ident(index.table)} ${raw(p)} WHERE ${column(p, index.owner)} = ${column(alias, "id")} AND ${column(p, "key_path")} = ${canonicalPath(keys)})`
            })()
      return asBool(value, label) ? sql`NOT ${present}` : present
    }
    if (index === undefined) return jsonCondition(ctx.d, ctx.d.jsonView(col, keys), lookup, value, label)
    const p = ctx.nextAlias()
    const cond = jsonCondition(ctx.d, ctx.d.sideView(p), lookup, value, label)
    return sql`${column(alias, "id")} IN (SELECT ${column(p, index.owner)} FROM ${ident(index.table)} ${raw(p)} WHERE ${branchCondition(p, scope)} AND ${column(p, "key_path")} = ${canonicalPath(keys)} AND ${cond})`
  })

const kindIs = (view: JsonView, kind: "num" | "text" | "bool" | "null") => sql`${view.kind} = '${raw(kind)}'`

/** A lookup on a JSON value: numbers compare as numbers, strings as strings, booleans only with booleans. */
export const jsonCondition = (d: SqlDialect, view: JsonView, lookup: Lookup, value: unknown, label: string): Sql => {
  const text = d.byCodePoint(view.text)
  const scalar = (v: unknown, op: string): Sql => {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return invalid(`${label} expects a finite number, got ${show(v)}.`)
      return sql`(${kindIs(view, "num")} AND ${view.num} ${raw(op)} ${v})`
    }
    if (typeof v === "string") return sql`(${kindIs(view, "text")} AND ${text} ${raw(op)} ${v})`
    if (typeof v === "boolean" && op === "=") return sql`(${kindIs(view, "bool")} AND ${view.num} = ${v ? 1 : 0})`
    if (v === null && op === "=") return kindIs(view, "null")
    return invalid(`${label}: compare JSON values with a number, a string${op === "=" ? ", a boolean or null" : ""}; got ${show(v)}.`)
  }
  const pattern = PATTERNS[lookup]
  if (pattern !== undefined) return sql`(${kindIs(view, "text")} AND ${d.textMatch(view.text, pattern[0], asText(value, label), pattern[1])})`
  const cmp = COMPARATORS[lookup]
  if (cmp !== undefined) return scalar(value, cmp)
  switch (lookup) {
    case "exact":
      return scalar(value, "=")
    case "in": {
      const list = asList(value, label)
      const nums = list.filter((v): v is number => typeof v === "number")
      const strs = list.filter((v): v is string => typeof v === "string")
      const bools = list.filter((v): v is boolean => typeof v === "boolean")
      if (nums.length + strs.length + bools.length !== list.length) return invalid(`${label} expects numbers, strings or booleans, got ${show(value)}.`)
      return or([
        nums.length > 0 ? sql`(${kindIs(view, "num")} AND ${view.num} IN (${join(nums.map(param), ", ")}))` : raw(""),
        strs.length > 0 ? sql`(${kindIs(view, "text")} AND ${view.text} IN (${join(strs.map(param), ", ")}))` : raw(""),
        bools.length > 0 ? sql`(${kindIs(view, "bool")} AND ${view.num} IN (${join(bools.map((b) => param(b ? 1 : 0)), ", ")}))` : raw("")
      ])
    }
    case "range": {
      const [lo, hi] = asPair(value, label)
      if (typeof lo === "number" && typeof hi === "number") return sql`(${kindIs(view, "num")} AND ${view.num} BETWEEN ${lo} AND ${hi})`
      if (typeof lo === "string" && typeof hi === "string") return sql`(${kindIs(view, "text")} AND ${text} BETWEEN ${lo} AND ${hi})`
      return invalid(`${label} expects two numbers or two strings, got ${show(value)}.`)
    }
    case "regex":
    case "iregex":
      return sql`(${kindIs(view, "text")} AND ${d.regexMatch(view.text, checkRegex(asText(value, label), label), lookup === "iregex")})`
    default:
      return invalid(`${label}: unsupported lookup '${lookup}' on a JSON key.`)
  }
}

/** Lookups that can ride on an ordering join of the same JSON key (see the statement compiler). */
export const ABSORBABLE = new Set<Lookup>(["exact", "gt", "gte", "lt", "lte", "range"])
