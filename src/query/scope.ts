/**
 * The FROM side of one statement: selected and ordered paths through forward relations become
 * LEFT JOINs (a missing relation yields NULL rather than dropping the row), many-valued paths
 * one JSON array per row, JSON keys with a side table an ordering join; ordering is the same on
 * both backends (NULL smallest, text by code point).
 *
 * @module
 */
import type { SortType, SqlDialect } from "../db/dialects/index.js"
import { column, ident, raw, sql, type Sql } from "../db/sql.js"
import type { FieldType } from "../schema/field.js"
import type { Model } from "../schema/model.js"
import type { Encoding } from "./columns.js"
import type { Ctx } from "./context.js"
import { parseJsonKey } from "./jsonCondition.js"
import { canonicalPath, jsonIndexOf } from "./jsonpath.js"
import { didYouMean, expandAlias, stepOf, targetOf, type Step } from "./relations.js"
import { invalid } from "./values.js"

/** True for a column declared NOT NULL (ordering it needs no NULLS clause on Postgres). */
const notNull = (model: Model, field: string): boolean => model.columns[field]?.nullable === false

/** A selectable path compiled to an expression. */
export interface PathExpr {
  readonly expr: Sql
  readonly type: FieldType
  readonly nullable: boolean
  readonly encoding: Encoding
}

/** The FROM clause of one statement: the main table and the joins paths need. */
export class Scope {
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
    const expr = ctx.d.jsonValue(col, keys)
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
    const expr = this.ctx.d.jsonArray(column(r, field), from, column(r, "id"))
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
          ? this.ctx.d.jsonView(column(this.alias, field), keys)
          : (() => {
              const p = this.ctx.nextAlias()
              this.joins.push(
                sql` LEFT JOIN ${ident(index.table)} ${raw(p)} ON ${column(p, index.owner)} = ${column(this.alias, "id")} AND ${column(p, "key_path")} = ${canonicalPath(keys)}`
              )
              return this.ctx.d.sideView(p)
            })()
      return view.sort.map(([expr, type]) => orderTerm(this.ctx.d, expr, desc, false, type))
    }
    const p = this.path(path, { many: false })
    if (p.encoding === "json") return invalid(`orderBy('${key}'): order by a JSON key of ${this.model.name} itself.`)
    return [orderTerm(this.ctx.d, p.expr, desc, p.nullable && !this.nonNull.has(path), p.type)]
  }
}

const unknownPath = (model: Model, name: string, key: string): string => {
  const available = [...Object.keys(model.fields).filter((f) => !f.startsWith("_")), ...Object.keys(model.computed), ...Object.keys(model.relations)].sort()
  return `Unknown field '${name}' in '${key}'. Available fields of ${model.name}: ${available.join(", ")}.${didYouMean([name], available)}`
}

/** One ORDER BY term: text by code point, NULL as the smallest value, on both backends. */
export const orderTerm = (d: SqlDialect, expr: Sql, desc: boolean, nullable: boolean, type: FieldType | SortType): Sql => {
  const e = type === "str" ? d.byCodePoint(expr) : expr
  return sql`${e}${raw((desc ? " DESC" : "") + d.nullsSmallest(desc, nullable))}`
}
