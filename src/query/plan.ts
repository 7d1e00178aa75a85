/**
 * Plans the statement compiler applies before it writes SQL: which fields the filters prove
 * non-NULL, whether the default branch filter applies, a comparison on the ordering JSON key
 * moved into the ordering join (so the side table's index delivers rows already sorted and
 * LIMIT stops early), and counts answered from a side table's index alone.
 *
 * @module
 */
import { column, ident, raw, sql, type Sql } from "../db/sql.js"
import { branchCondition, type Ctx } from "./context.js"
import { ABSORBABLE, jsonCondition, parseJsonKey } from "./jsonCondition.js"
import { canonicalPath, jsonIndexOf } from "./jsonpath.js"
import { keysIn, type QNode } from "./Q.js"
import { expandAlias } from "./relations.js"
import { and } from "./sql.js"
import type { QueryState } from "./state.js"

/** Fields that address records directly: with one of these, trash and archive stay visible. */
const DIRECT = new Set(["id", "uid", "hash", "branch"])

/** Plain fields that a top-level condition proves non-NULL (`key__startswith`, `size__gt`, `x__isnull: false`). */
export const nonNullFields = (state: QueryState): ReadonlySet<string> => {
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

/** True for a query with a LIMIT or an OFFSET. */
export const isSliced = (state: QueryState): boolean => state.limit !== undefined || state.offset > 0

/** True when no condition addresses records directly (so the default branch filter applies). */
export const needsBranchFilter = (state: QueryState): boolean =>
  "branch" in state.model.fields &&
  !state.where.some((node) => keysIn(node).some((k) => DIRECT.has(expandAlias(state.model, k.split("__"))[0]!)))

/** A top-level comparison on the JSON key the query is ordered by, moved into the ordering join. */
export interface Absorbed {
  readonly where: ReadonlyArray<QNode>
  readonly field: string
  readonly keys: ReadonlyArray<string>
  readonly lookup: "exact" | "gt" | "gte" | "lt" | "lte" | "range"
  readonly value: unknown
  readonly desc: boolean
}

/** The absorbable comparison, if the query has one. */
export const absorb = (state: QueryState): Absorbed | undefined => {
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
export const sideTableCount = (ctx: Ctx, state: QueryState): Sql | undefined => {
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
    const cond = jsonCondition(ctx.d, ctx.d.sideView(p), lookup as Parameters<typeof jsonCondition>[2], value, `${state.model.name}.filter(${field}__${keys.join("__")})`)
    const conds = [branchCondition(p, "main"), sql`${column(p, "key_path")} = ${canonicalPath(keys)}`, cond]
    if (inner !== undefined) conds.push(sql`${column(p, index.owner)} IN (${inner})`)
    inner = sql`SELECT ${column(p, index.owner)} FROM ${ident(index.table)} ${raw(p)} WHERE ${and(conds)}`
  }
  const q = ctx.nextAlias()
  return sql`SELECT COUNT(*) AS n FROM (${inner!}) ${raw(q)}`
}
