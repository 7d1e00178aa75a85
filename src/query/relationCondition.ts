/**
 * Conditions through relations, compiled to `IN (SELECT …)` subqueries rather than joins: a
 * filter never duplicates rows, `Q.or` across relations needs no outer-join promotion, and a
 * negation keeps rows whose foreign key is NULL (Django's `exclude`). Keys of one keyword
 * object that go through the same relation share one subquery.
 *
 * @module
 */
import { Effect } from "effect"
import { column, ident, join, param, raw, sql, type Sql } from "../db/sql.js"
import type { Model } from "../schema/model.js"
import { attempt, type Compiling, type Ctx } from "./context.js"
import { COMPARATORS, type RELATION_LOOKUPS } from "./lookup.js"
import type { Step } from "./relations.js"
import { QuerySetTypeId } from "./types.js"
import { asBool, asList, isQuerySet, relationId } from "./values.js"

/** A lookup on a relation itself. */
export type RelationLookup = (typeof RELATION_LOOKUPS)[number]

/** A condition on a relation itself (`run`, `run__in`, `run__isnull`, `inputs: null`). */
export const relationSelf = (
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

/** Conditions through one relation (`run__transform__key`, …), as one subquery. */
export const relationGroup = (
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
    const inner = yield* ctx.spec(target, a, Object.fromEntries(entries), depth + 1, "any")
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
