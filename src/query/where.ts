/**
 * The WHERE compiler: filter keys (`field__lookup`, relation paths, JSON key paths, resolver
 * keys) and `Q` trees into SQL over bound parameters, identically for SQLite and Postgres.
 *
 * Relations compile to `IN (SELECT …)` subqueries rather than joins, so a filter never
 * duplicates rows, `Q.or` across relations needs no outer-join promotion, and a negation keeps
 * rows whose foreign key is NULL (Django's `exclude`). Keys of one keyword object that go
 * through the same relation share one subquery: `{ input_artifacts__key: "a",
 * input_artifacts__size__gt: 5 }` means one artifact with both properties, like Django.
 *
 * JSON fields with a side table (`Run.params` → `lamina_run_param`) compile to index lookups on
 * that table; other JSON fields to `json_extract` (SQLite) / `#>` (Postgres) expressions with
 * the same semantics: a number compares as a number, a string as a string, `true` only matches
 * JSON `true`, and `__isnull: true` means the key is absent.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import { InvalidArgument, type DoesNotExist, type StorageError } from "../errors.js"
import type { FieldType } from "../schema/field.js"
import type { EnumKey, Model } from "../schema/model.js"
import { canonicalPath, jsonIndexOf } from "./jsonpath.js"
import { isLookup, isTransform, lookupsFor, ORDER_LOOKUPS, RELATION_LOOKUPS, TRANSFORMS, type Lookup, type Transform } from "./lookup.js"
import { isNoIndex, unwrapNoIndex } from "./prefix.js"
import { toNode, type QNode } from "./Q.js"
import { availableNames, didYouMean, expandAlias, stepOf, targetOf, type Step } from "./relations.js"
import { keyResolversOf } from "./resolver.js"
import { and, column, ident, join, not, or, param, raw, sql, type Bindable, type Sql } from "./sql.js"
import type { QueryState } from "./state.js"
import { QuerySetTypeId } from "./types.js"
import {
  asBool,
  asList,
  asPair,
  asText,
  checkRegex,
  encode,
  escapeGlob,
  escapeLike,
  invalid,
  isQuerySet,
  relationId,
  show,
  type ValueType
} from "./values.js"

/** Errors compiling a query can fail with. */
export type CompileError = InvalidArgument | DoesNotExist | StorageError

/** An effect of the compiler. */
export type Compiling<A> = Effect.Effect<A, CompileError, SqlClient.SqlClient>

/** Per-statement compiler state: the dialect and fresh table aliases. */
export interface Ctx {
  readonly dialect: Dialect
  readonly nextAlias: () => string
  /** Compile a QuerySet used as a subquery (wired by the statement compiler). */
  readonly subquery: (state: QueryState, expect: Model | undefined, label: string) => Compiling<Sql>
}

/** Run a throwing compiler step, turning its `InvalidArgument` into a typed failure. */
export const attempt = <A>(f: () => A): Effect.Effect<A, InvalidArgument> =>
  Effect.try({
    try: f,
    catch: (e) => {
      if (e instanceof InvalidArgument) return e
      throw e
    }
  })

const MAX_DEPTH = 16

/**
 * Which branches the records being filtered can be on: `main` when the statement keeps only
 * branch 1 (the default), else `any`. Side-table lookups use it to stay on their index.
 */
export type BranchScope = "main" | "any"

/** Lamina's branches: 1 main, 0 archive, -1 trash. */
export const BRANCHES = [-1, 0, 1] as const

/** The side-table condition for a branch scope. */
export const branchCondition = (alias: string, scope: BranchScope): Sql =>
  scope === "main" ? sql`${column(alias, "branch")} = 1` : sql`${column(alias, "branch")} IN (${raw(BRANCHES.join(", "))})`

/** The AND of `nodes` over `model` aliased as `alias`. */
export const compileWhere = (ctx: Ctx, model: Model, alias: string, nodes: ReadonlyArray<QNode>, scope: BranchScope = "any"): Compiling<Sql> =>
  Effect.map(
    Effect.forEach(nodes, (n) => compileNode(ctx, model, alias, n, 0, scope)),
    and
  )

const compileNode = (ctx: Ctx, model: Model, alias: string, node: QNode, depth: number, scope: BranchScope): Compiling<Sql> => {
  if (depth > MAX_DEPTH) return Effect.fail(new InvalidArgument({ message: "Filter nesting is too deep (a key resolver may be rewriting a key into itself)." }))
  switch (node._tag) {
    case "Spec":
      return compileSpec(ctx, model, alias, node.spec, depth, scope)
    case "And":
      return Effect.map(Effect.forEach(node.children, (c) => compileNode(ctx, model, alias, c, depth + 1, scope)), and)
    case "Or":
      return Effect.map(Effect.forEach(node.children, (c) => compileNode(ctx, model, alias, c, depth + 1, scope)), or)
    case "Not":
      return Effect.map(compileNode(ctx, model, alias, node.child, depth + 1, scope), not)
  }
}

/** The LaminDB message for keys that are neither fields nor features. */
export const unknownFieldError = (model: Model, names: ReadonlyArray<string>): InvalidArgument => {
  const available = availableNames(model)
  const hint = didYouMean(names, available).trim()
  return new InvalidArgument({
    message: `You can query either by available fields: ${available.join(", ")}\nOr fix invalid feature names: ${names.join(", ")}${hint === "" ? "" : `\n${hint}`}`
  })
}

const compileSpec = (ctx: Ctx, model: Model, alias: string, spec: Readonly<Record<string, unknown>>, depth: number, scope: BranchScope): Compiling<Sql> =>
  Effect.gen(function* () {
    const conditions: Array<Sql> = []
    const groups = new Map<string, { readonly step: Step; readonly target: Model; readonly entries: Array<readonly [string, unknown]> }>()
    const unknown: Array<string> = []
    for (const [key, value] of Object.entries(spec)) {
      if (value === undefined) continue
      const label = `${model.name}.filter(${key})`
      const rawParts = key.split("__")
      if (rawParts.some((p) => p === ""))
        return yield* new InvalidArgument({ message: `Invalid filter key ${show(key)}: names are separated by a double underscore, e.g. 'run__transform__key'.` })
      const parts = expandAlias(model, rawParts)
      const root = parts[0]!
      const type = model.fields[root]
      if (type !== undefined) {
        conditions.push(yield* fieldLeaf(ctx, model, alias, root, type, parts.slice(1), value, label, scope))
        continue
      }
      const computed = model.computed[root]
      if (computed !== undefined) {
        const expr = sql`(${computed.expr((name) => column(alias, name))})`
        conditions.push(yield* fieldLeaf(ctx, model, alias, root, computed.type, parts.slice(1), value, label, scope, expr))
        continue
      }
      const enumKey = model.enums[root]
      if (enumKey !== undefined) {
        const rewritten = yield* attempt(() => enumCondition(model, root, enumKey, parts.slice(1), value))
        conditions.push(yield* compileSpec(ctx, model, alias, rewritten, depth + 1, scope))
        continue
      }
      const step = stepOf(model, root)
      if (step !== undefined) {
        const target = yield* attempt(() => targetOf(step))
        const rest = parts.slice(1)
        const first = rest[0]
        if (rest.length === 0 || (rest.length === 1 && first !== undefined && isRelationLookup(first) && !(first in target.fields) && stepOf(target, first) === undefined)) {
          conditions.push(yield* relationSelf(ctx, model, alias, step, target, (first ?? "exact") as RelationLookup, value, label))
        } else {
          const group = groups.get(root) ?? { step, target, entries: [] }
          group.entries.push([rest.join("__"), value])
          groups.set(root, group)
        }
        continue
      }
      const resolved = yield* resolveKey(ctx, model, alias, key, rawParts, value, depth, scope)
      if (resolved !== undefined) conditions.push(resolved)
      else unknown.push(root)
    }
    if (unknown.length > 0) return yield* unknownFieldError(model, unknown)
    for (const group of groups.values()) conditions.push(yield* relationGroup(ctx, model, alias, group.step, group.target, group.entries, depth))
    return and(conditions)
  })

/** An enum key (`status: "completed"`, `status__in: [...]`) as a condition on its integer field. */
const enumCondition = (model: Model, key: string, e: EnumKey, rest: ReadonlyArray<string>, value: unknown): Readonly<Record<string, unknown>> => {
  const code = (name: unknown): number => {
    const c = typeof name === "string" && Object.hasOwn(e.values, name) ? e.values[name] : undefined
    return c ?? invalid(`Invalid ${model.name} ${key} '${String(name)}'. Valid: ${Object.keys(e.values).join(", ")}`)
  }
  const lookup = rest.length === 0 ? "exact" : rest.length === 1 ? rest[0]! : rest.join("__")
  if (lookup === "exact") return { [e.field]: code(value) }
  if (lookup === "in" && Array.isArray(value)) return { [`${e.field}__in`]: value.map(code) }
  return invalid(`${model.name}.filter(${key}__${lookup}): use ${key} or ${key}__in with ${key} names.`)
}

/** Ask the registry's declared resolvers, then those registered at run time, about `key`. */
const resolveKey = (ctx: Ctx, model: Model, alias: string, key: string, parts: ReadonlyArray<string>, value: unknown, depth: number, scope: BranchScope) =>
  Effect.gen(function* () {
    for (const resolver of [...model.resolvers, ...keyResolversOf(model.name)]) {
      const answer = yield* resolver.resolve({ model, key, parts, root: parts[0]!, value, dialect: ctx.dialect, alias })
      if (answer === undefined) continue
      if (answer._tag === "Sql") return sql`(${answer.sql})`
      return yield* compileNode(ctx, model, alias, toNode(answer.condition), depth + 1, scope)
    }
    return undefined
  })

type RelationLookup = (typeof RELATION_LOOKUPS)[number]
const isRelationLookup = (s: string): s is RelationLookup => (RELATION_LOOKUPS as ReadonlyArray<string>).includes(s)

// ---------------------------------------------------------------------------------------------
// fields

const fieldLeaf = (
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
    if (type === "json") return jsonLeaf(ctx, model, alias, field, rest, value, label, scope)
    const parsed = attempt(() => parseFieldLookup(model, field, type, rest))
    return Effect.flatMap(parsed, ({ transform, lookup }) => {
      // A prefix the planner found too broad for the index (prefix.ts): `+col` keeps SQLite off it.
      const unindexed = isNoIndex(value)
      const col = computed ?? (unindexed ? sql`+${column(alias, field)}` : column(alias, field))
      const expr = transform === undefined ? col : transformExpr(ctx.dialect, col, transform)
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

/** A timestamp transform in UTC (`year`, `week_day` …) as an integer expression (`date` as YYYY-MM-DD text). */
export const transformExpr = (dialect: Dialect, expr: Sql, transform: Transform): Sql => {
  if (dialect === "pg") {
    const utc = sql`(${expr} AT TIME ZONE 'UTC')`
    switch (transform) {
      case "date":
        return sql`to_char(${utc}, 'YYYY-MM-DD')`
      case "second":
        return sql`CAST(FLOOR(EXTRACT(SECOND FROM ${utc})) AS INTEGER)`
      case "week_day":
        return sql`(CAST(EXTRACT(DOW FROM ${utc}) AS INTEGER) + 1)`
      default:
        return sql`CAST(EXTRACT(${raw(transform.toUpperCase())} FROM ${utc}) AS INTEGER)`
    }
  }
  const f = (fmt: string) => sql`CAST(strftime('${raw(fmt)}', ${expr}) AS INTEGER)`
  switch (transform) {
    case "date":
      return sql`strftime('%Y-%m-%d', ${expr})`
    case "year":
      return f("%Y")
    case "month":
      return f("%m")
    case "day":
      return f("%d")
    case "week":
      return f("%V")
    case "week_day":
      return sql`(${f("%w")} + 1)`
    case "quarter":
      return sql`((${f("%m")} + 2) / 3)`
    case "hour":
      return f("%H")
    case "minute":
      return f("%M")
    case "second":
      return f("%S")
  }
}

/** Text comparison that orders by code point on both backends (Postgres: `COLLATE "C"`). */
const ordered = (dialect: Dialect, expr: Sql, type: ValueType): Sql =>
  dialect === "pg" && (type === "str" || type === "date") ? sql`${expr} COLLATE "C"` : expr

type Match = "exact" | "contains" | "startswith" | "endswith"

/** `expr` matches `text` literally (`contains`, `startswith`, …), case-sensitive or not. */
export const textMatch = (dialect: Dialect, expr: Sql, mode: Match, text: string, caseInsensitive: boolean): Sql => {
  const pre = mode === "contains" || mode === "endswith"
  const post = mode === "contains" || mode === "startswith"
  if (dialect === "sqlite" && !caseInsensitive) {
    // GLOB is case-sensitive and, for a prefix, uses the column's index.
    const g = (pre ? "*" : "") + escapeGlob(text) + (post ? "*" : "")
    return sql`${expr} GLOB ${g}`
  }
  const p = (pre ? "%" : "") + escapeLike(text) + (post ? "%" : "")
  // SQLite's LIKE ignores ASCII case; Postgres needs ILIKE for that.
  const op = dialect === "pg" && caseInsensitive ? "ILIKE" : "LIKE"
  return sql`${expr} ${raw(op)} ${p} ESCAPE '\\'`
}

/** `expr` matches a regular expression. */
export const regexMatch = (dialect: Dialect, expr: Sql, pattern: string, caseInsensitive: boolean): Sql =>
  dialect === "pg"
    ? sql`${expr} ${raw(caseInsensitive ? "~*" : "~")} ${pattern}`
    : caseInsensitive
      ? sql`lamina_iregexp(${pattern}, ${expr})`
      : sql`${expr} REGEXP ${pattern}`

const PATTERNS: Readonly<Partial<Record<Lookup, readonly [Match, boolean]>>> = {
  iexact: ["exact", true],
  contains: ["contains", false],
  icontains: ["contains", true],
  startswith: ["startswith", false],
  istartswith: ["startswith", true],
  endswith: ["endswith", false],
  iendswith: ["endswith", true]
}

const COMPARATORS: Readonly<Partial<Record<Lookup, string>>> = { gt: ">", gte: ">=", lt: "<", lte: "<=" }

/** One lookup on an expression of a known type. */
const compare = (ctx: Ctx, expr: Sql, type: ValueType, lookup: Lookup, value: unknown, label: string): Compiling<Sql> => {
  const d = ctx.dialect
  if (lookup === "in" && isQuerySet(value)) {
    return Effect.map(ctx.subquery(value[QuerySetTypeId], undefined, label), (sub) => sql`${expr} IN (${sub})`)
  }
  return attempt(() => {
    const enc = (v: unknown): Bindable => encode(type, v, d, label)
    const pattern = PATTERNS[lookup]
    if (pattern !== undefined) return textMatch(d, expr, pattern[0], asText(value, label), pattern[1])
    const cmp = COMPARATORS[lookup]
    if (cmp !== undefined) return sql`${ordered(d, expr, type)} ${raw(cmp)} ${enc(value)}`
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
        return sql`${ordered(d, expr, type)} BETWEEN ${enc(lo)} AND ${enc(hi)}`
      }
      case "regex":
      case "iregex":
        return regexMatch(d, expr, checkRegex(asText(value, label), label), lookup === "iregex")
      default:
        return invalid(`${label}: unsupported lookup '${lookup}'.`)
    }
  })
}

// ---------------------------------------------------------------------------------------------
// relations

const relationSelf = (
  ctx: Ctx,
  model: Model,
  alias: string,
  step: Step,
  target: Model,
  lookup: RelationLookup,
  value: unknown,
  label: string
): Compiling<Sql> =>
  Effect.gen(function* () {
    // A condition on the related record's id, expressed over `idExpr`.
    const onId = (idExpr: Sql): Compiling<Sql> => {
      if (isQuerySet(value) && (lookup === "in" || lookup === "exact"))
        return Effect.map(ctx.subquery(value[QuerySetTypeId], target, label), (sub) => sql`${idExpr} IN (${sub})`)
      return attempt(() => {
        switch (lookup) {
          case "exact":
            return value === null ? sql`${idExpr} IS NULL` : sql`${idExpr} = ${relationId(value, label)}`
          case "in": {
            const ids = asList(value, label).map((v) => relationId(v, label))
            return ids.length === 0 ? raw("1 = 0") : sql`${idExpr} IN (${join(ids.map(param), ", ")})`
          }
          case "isnull":
            return asBool(value, label) ? sql`${idExpr} IS NULL` : sql`${idExpr} IS NOT NULL`
          default:
            return sql`${idExpr} ${raw(COMPARATORS[lookup]!)} ${relationId(value, label)}`
        }
      })
    }
    const self = column(alias, "id")
    switch (step._tag) {
      case "Forward":
        return yield* onId(column(alias, step.relation.column))
      case "Link": {
        const l = ctx.nextAlias()
        const link = step.link
        const from = sql`${ident(link.table)} ${raw(l)}`
        if (lookup === "isnull" || (lookup === "exact" && value === null)) {
          const none = lookup === "exact" || asBool(value, label)
          const exists = sql`EXISTS (SELECT 1 FROM ${from} WHERE ${column(l, link.selfColumn)} = ${self})`
          return none ? sql`NOT ${exists}` : exists
        }
        const cond = yield* onId(column(l, link.otherColumn))
        return sql`${self} IN (SELECT ${column(l, link.selfColumn)} FROM ${from} WHERE ${cond})`
      }
      case "Reverse": {
        const r = ctx.nextAlias()
        const rev = step.reverse
        const from = sql`${ident(target.table)} ${raw(r)}`
        if (lookup === "isnull" || (lookup === "exact" && value === null)) {
          const none = lookup === "exact" || asBool(value, label)
          const exists = sql`EXISTS (SELECT 1 FROM ${from} WHERE ${column(r, rev.column)} = ${self})`
          return none ? sql`NOT ${exists}` : exists
        }
        const cond = yield* onId(column(r, "id"))
        return sql`${self} IN (SELECT ${column(r, rev.column)} FROM ${from} WHERE ${column(r, rev.column)} IS NOT NULL AND ${cond})`
      }
    }
  })

const relationGroup = (
  ctx: Ctx,
  model: Model,
  alias: string,
  step: Step,
  target: Model,
  entries: ReadonlyArray<readonly [string, unknown]>,
  depth: number
): Compiling<Sql> =>
  Effect.gen(function* () {
    const a = ctx.nextAlias()
    const inner = yield* compileSpec(ctx, target, a, Object.fromEntries(entries), depth + 1, "any")
    const targetTable = sql`${ident(target.table)} ${raw(a)}`
    switch (step._tag) {
      case "Forward":
        return sql`${column(alias, step.relation.column)} IN (SELECT ${column(a, "id")} FROM ${targetTable} WHERE ${inner})`
      case "Link": {
        const l = ctx.nextAlias()
        const link = step.link
        return sql`${column(alias, "id")} IN (SELECT ${column(l, link.selfColumn)} FROM ${ident(link.table)} ${raw(l)} JOIN ${targetTable} ON ${column(a, "id")} = ${column(l, link.otherColumn)} WHERE ${inner})`
      }
      case "Reverse": {
        const col = column(a, step.reverse.column)
        return sql`${column(alias, "id")} IN (SELECT ${col} FROM ${targetTable} WHERE ${col} IS NOT NULL AND ${inner})`
      }
    }
  })

// ---------------------------------------------------------------------------------------------
// JSON

/** How the comparisons read a JSON value: its kind, number and text, and how it sorts. */
export interface JsonView {
  /** 'num' | 'text' | 'bool' | 'null' | 'object' | 'array' (NULL when the key is absent). */
  readonly kind: Sql
  /** The number (booleans as 1/0) when the kind is num or bool. */
  readonly num: Sql
  /** The string when the kind is text. */
  readonly text: Sql
  /**
   * Sort keys, ascending: absent/null/objects first, then numbers (and booleans as 1/0), then
   * strings by code point.
   */
  readonly sort: ReadonlyArray<readonly [Sql, FieldType]>
}

/** Split `keys…[__lookup]` of a JSON field. */
export const parseJsonKey = (rest: ReadonlyArray<string>): { readonly keys: ReadonlyArray<string>; readonly lookup: Lookup } => {
  const last = rest[rest.length - 1]!
  if (rest.length >= 2 && isLookup(last)) return { keys: rest.slice(0, -1), lookup: last }
  return { keys: rest, lookup: "exact" }
}

/** Expressions reading a key path of a JSON column (no side table). */
export const jsonView = (dialect: Dialect, col: Sql, keys: ReadonlyArray<string>): JsonView => {
  if (dialect === "pg") {
    const j = sql`(${col} #> ARRAY[${join(keys.map(param), ", ")}]::text[])`
    const num = sql`(CASE jsonb_typeof(${j}) WHEN 'number' THEN (${j} #>> '{}')::float8 WHEN 'boolean' THEN (CASE WHEN ${j} = 'true'::jsonb THEN 1 ELSE 0 END) END)`
    const text = sql`(CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${j} #>> '{}' END)`
    return {
      kind: sql`(CASE jsonb_typeof(${j}) WHEN 'number' THEN 'num' WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'bool' ELSE jsonb_typeof(${j}) END)`,
      num,
      text,
      sort: pgSort(num, text)
    }
  }
  const path = canonicalPath(keys)
  const t = sql`json_type(${col}, ${path})`
  return {
    kind: sql`(CASE ${t} WHEN 'integer' THEN 'num' WHEN 'real' THEN 'num' WHEN 'true' THEN 'bool' WHEN 'false' THEN 'bool' ELSE ${t} END)`,
    num: sql`(CASE WHEN ${t} IN ('integer', 'real', 'true', 'false') THEN json_extract(${col}, ${path}) END)`,
    text: sql`(CASE WHEN ${t} = 'text' THEN json_extract(${col}, ${path}) END)`,
    // SQLite sorts NULL < numbers < text by itself.
    sort: [[sql`(CASE WHEN ${t} IN ('object', 'array') THEN NULL ELSE json_extract(${col}, ${path}) END)`, "json"]]
  }
}

const pgSort = (num: Sql, text: Sql): ReadonlyArray<readonly [Sql, FieldType]> => [
  [sql`(CASE WHEN ${num} IS NOT NULL THEN 1 WHEN ${text} IS NOT NULL THEN 2 ELSE 0 END)`, "int"],
  [num, "float"],
  [text, "str"]
]

/**
 * The side table's columns as a `JsonView`. SQLite keeps one dynamically typed `value` column
 * (numbers and strings; one index serves both); Postgres has `num_value` and `text_value`.
 */
export const sideView = (dialect: Dialect, alias: string): JsonView => {
  const kind = column(alias, "kind")
  if (dialect === "pg") {
    const num = column(alias, "num_value")
    const text = column(alias, "text_value")
    return { kind, num, text, sort: pgSort(num, text) }
  }
  const value = column(alias, "value")
  return { kind, num: value, text: value, sort: [[value, "json"]] }
}

const jsonLeaf = (ctx: Ctx, model: Model, alias: string, field: string, rest: ReadonlyArray<string>, value: unknown, label: string, scope: BranchScope): Compiling<Sql> =>
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
          ? sql`${jsonView(ctx.dialect, col, keys).kind} IS NOT NULL`
          : (() => {
              const p = ctx.nextAlias()
              return sql`EXISTS (SELECT 1 FROM ${ident(index.table)} ${raw(p)} WHERE ${column(p, index.owner)} = ${column(alias, "id")} AND ${column(p, "key_path")} = ${canonicalPath(keys)})`
            })()
      return asBool(value, label) ? sql`NOT ${present}` : present
    }
    if (index === undefined) return jsonCondition(ctx.dialect, jsonView(ctx.dialect, col, keys), lookup, value, label)
    const p = ctx.nextAlias()
    const cond = jsonCondition(ctx.dialect, sideView(ctx.dialect, p), lookup, value, label)
    return sql`${column(alias, "id")} IN (SELECT ${column(p, index.owner)} FROM ${ident(index.table)} ${raw(p)} WHERE ${branchCondition(p, scope)} AND ${column(p, "key_path")} = ${canonicalPath(keys)} AND ${cond})`
  })

const kindIs = (view: JsonView, kind: "num" | "text" | "bool" | "null") => sql`${view.kind} = '${raw(kind)}'`

/** A lookup on a JSON value: numbers compare as numbers, strings as strings, booleans only with booleans. */
export const jsonCondition = (dialect: Dialect, view: JsonView, lookup: Lookup, value: unknown, label: string): Sql => {
  const text = dialect === "pg" ? sql`${view.text} COLLATE "C"` : view.text
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
  if (pattern !== undefined) return sql`(${kindIs(view, "text")} AND ${textMatch(dialect, view.text, pattern[0], asText(value, label), pattern[1])})`
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
      return sql`(${kindIs(view, "text")} AND ${regexMatch(dialect, view.text, checkRegex(asText(value, label), label), lookup === "iregex")})`
    default:
      return invalid(`${label}: unsupported lookup '${lookup}' on a JSON key.`)
  }
}

/** Lookups that can ride on an ordering join of the same JSON key (see the statement compiler). */
export const ABSORBABLE = new Set<Lookup>(["exact", "gt", "gte", "lt", "lte", "range"])
