/**
 * Conditions on fields: `field__lookup` and `field__transform__lookup` (timestamps), values
 * encoded per field type, pattern and comparison lookups through the dialect object.
 *
 * @module
 */
import { Effect } from "effect"
import { raw, sql, join, param, column, type Bindable, type Sql } from "../db/sql.js"
import type { FieldType } from "../schema/field.js"
import type { Model } from "../schema/model.js"
import { attempt, type BranchScope, type Compiling, type Ctx } from "./context.js"
import { COMPARATORS, isLookup, isTransform, lookupsFor, ORDER_LOOKUPS, PATTERNS, TRANSFORMS, type Lookup, type Transform } from "./lookup.js"
import { isNoIndex, unwrapNoIndex } from "./prefix.js"
import { QuerySetTypeId } from "./types.js"
import { asBool, asList, asPair, asText, checkRegex, encode, invalid, isQuerySet, type ValueType } from "./values.js"

/** A condition on a field (a column, or a computed expression): `field[__transform][__lookup]`. */
export const fieldLeaf = (
  ctx: Ctx,
  model: Model,
  alias: string,
  field: string,
  type: FieldType,
  rest: ReadonlyArray<string>,
  value: unknown,
  label: string,
  scope: BranchScope,
  /** The field's expression, when it is computed rather than a column. */
  computed?: Sql
): Compiling<Sql> =>
  Effect.suspend(() => {
    const parsed = attempt(() => parseFieldLookup(model, field, type, rest))
    return Effect.flatMap(parsed, ({ transform, lookup }) => {
      // A prefix the planner found too broad for the index (prefix.ts): `+col` keeps SQLite off it.
      const unindexed = isNoIndex(value)
      const col = computed ?? (unindexed ? sql`+${column(alias, field)}` : column(alias, field))
      const expr = transform === undefined ? col : ctx.d.transform(col, transform)
      const valueType: ValueType = transform === undefined ? type : transform === "date" ? "date" : "int"
      return compare(ctx, expr, valueType, lookup, unindexed ? unwrapNoIndex(value) : value, label)
    })
  })

const parseFieldLookup = (model: Model, field: string, type: FieldType, rest: ReadonlyArray<string>): { readonly transform?: Transform; readonly lookup: Lookup } => {
  const valid = lookupsFor(type)
  const fail = (bad: string): never =>
    invalid(
      `Unsupported lookup '${bad}' for ${model.name}.${field} (${type}). Valid lookups: ${valid.join(", ")}` +
        (type === "datetime" ? `; transforms: ${TRANSFORMS.join(", ")} (e.g. ${field}__year__gte)` : "")
    )
  if (rest.length === 0) return { lookup: "exact" }
  const [a, b] = rest
  if (rest.length === 1) {
    if (type === "datetime" && isTransform(a!)) return { transform: a, lookup: "exact" }
    if (isLookup(a!) && valid.includes(a)) return { lookup: a }
    return fail(a!)
  }
  if (rest.length === 2 && type === "datetime" && isTransform(a!)) {
    if (isLookup(b!) && (ORDER_LOOKUPS as ReadonlyArray<string>).includes(b)) return { transform: a, lookup: b }
    return fail(b!)
  }
  return fail(rest.join("__"))
}

/** Text comparison that orders by code point on both backends. */
const ordered = (ctx: Ctx, expr: Sql, type: ValueType): Sql => (type === "str" || type === "date" ? ctx.d.byCodePoint(expr) : expr)

/** One lookup on an expression of a known type. */
export const compare = (ctx: Ctx, expr: Sql, type: ValueType, lookup: Lookup, value: unknown, label: string): Compiling<Sql> => {
  const d = ctx.d
  if (lookup === "in" && isQuerySet(value)) {
    return Effect.map(ctx.subquery(value[QuerySetTypeId], undefined, label), (sub) => sql`${expr} IN (${sub})`)
  }
  return attempt(() => {
    const enc = (v: unknown): Bindable => encode(type, v, d, label)
    const pattern = PATTERNS[lookup]
    if (pattern !== undefined) return d.textMatch(expr, pattern[0], asText(value, label), pattern[1])
    const cmp = COMPARATORS[lookup]
    if (cmp !== undefined) return sql`${ordered(ctx, expr, type)} ${raw(cmp)} ${enc(value)}`
    switch (lookup) {
      case "exact":
        return value === null ? sql`${expr} IS NULL` : sql`${expr} = ${enc(value)}`
      case "isnull":
        return asBool(value, label) ? sql`${expr} IS NULL` : sql`${expr} IS NOT NULL`
      case "in": {
        const list = asList(value, label)
        return list.length === 0 ? raw("1 = 0") : sql`${expr} IN (${join(list.map((v) => param(enc(v))), ", ")})`
      }
      case "range": {
        const [lo, hi] = asPair(value, label)
        return sql`${ordered(ctx, expr, type)} BETWEEN ${enc(lo)} AND ${enc(hi)}`
      }
      case "regex":
      case "iregex":
        return d.regexMatch(expr, checkRegex(asText(value, label), label), lookup === "iregex")
      default:
        return invalid(`${label}: unsupported lookup '${lookup}'.`)
    }
  })
}
