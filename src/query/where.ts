/**
 * The WHERE compiler: filter keys and `Q` trees into SQL over bound parameters, identically for
 * SQLite and Postgres. A key's root decides how it compiles: a field (`./fieldCondition.ts`),
 * a JSON field's key path (`./jsonCondition.ts`), a computed field, an enum key, a relation,
 * link or reverse relation (`./relationCondition.ts`), or — for a root that is none of these —
 * the registry's declared key resolvers, before the unknown-key error.
 *
 * @module
 */
import { Effect } from "effect"
import { column, sql, type Sql } from "../db/sql.js"
import { InvalidArgument } from "../errors.js"
import type { EnumKey, Model } from "../schema/model.js"
import { attempt, type BranchScope, type Compiling, type Ctx } from "./context.js"
import { fieldLeaf } from "./fieldCondition.js"
import { jsonLeaf } from "./jsonCondition.js"
import { RELATION_LOOKUPS } from "./lookup.js"
import { toNode, type QNode } from "./Q.js"
import { relationGroup, relationSelf, type RelationLookup } from "./relationCondition.js"
import { availableNames, didYouMean, expandAlias, stepOf, targetOf, type Step } from "./relations.js"
import { keyResolversOf } from "./resolver.js"
import { and, not, or } from "./sql.js"
import { invalid, show } from "./values.js"

export { attempt, BRANCHES, branchCondition, type BranchScope, type CompileError, type Compiling, type Ctx } from "./context.js"
export { ABSORBABLE, jsonCondition, parseJsonKey } from "./jsonCondition.js"

const MAX_DEPTH = 16

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

/** The AND of one keyword object's keys over `model`. */
export const compileSpec = (ctx: Ctx, model: Model, alias: string, spec: Readonly<Record<string, unknown>>, depth: number, scope: BranchScope): Compiling<Sql> =>
  Effect.gen(function* () {
    const conditions: Array<Sql> = []
    const groups = new Map<string, { readonly step: Step; readonly target: Model; readonly entries: Array<readonly [string, unknown]> }>()
    const unknown: Array<string> = []
    for (const [key, value] of Object.entries(spec)) {
      // An unset variable must not silently widen the query (or a `get`) to every record.
      if (value === undefined)
        return yield* new InvalidArgument({
          message: `${model.name} query: '${key}' is undefined. Pass a value (null matches records without one), or leave the key out to match any.`
        })
      const label = `${model.name}.filter(${key})`
      const rawParts = key.split("__")
      if (rawParts.some((p) => p === ""))
        return yield* new InvalidArgument({ message: `Invalid filter key ${show(key)}: names are separated by a double underscore, e.g. 'run__transform__key'.` })
      const parts = expandAlias(model, rawParts)
      const root = parts[0]!
      const type = model.fields[root]
      if (type !== undefined) {
        conditions.push(
          yield* type === "json"
            ? jsonLeaf(ctx, model, alias, root, parts.slice(1), value, label, scope)
            : fieldLeaf(ctx, model, alias, root, type, parts.slice(1), value, label, scope)
        )
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

const isRelationLookup = (s: string): s is RelationLookup => (RELATION_LOOKUPS as ReadonlyArray<string>).includes(s)
