/**
 * What the connected database says about a registry's table, to compare with its declaration.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { currentDialect } from "../../src/db/dialect.js"
import type { Model } from "../../src/schema/model.js"

/** Column name → nullable, as the database has it. */
export const tableColumns = (table: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const d = yield* currentDialect
    const out = new Map<string, boolean>()
    if (d === "sqlite") {
      const rows = yield* sql.unsafe<{ readonly name: string; readonly notnull: number; readonly pk: number }>(`PRAGMA table_info("${table}")`)
      for (const r of rows) out.set(r.name, Number(r.notnull) === 0 && Number(r.pk) === 0)
    } else {
      const rows = yield* sql<{ readonly column_name: string; readonly is_nullable: string }>`SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = ${table} AND table_schema = current_schema()`
      for (const r of rows) out.set(r.column_name, r.is_nullable === "YES")
    }
    return out
  })

/** Differences between a model's declared fields and its table ([] when they agree). */
export const driftOf = (model: Model) =>
  Effect.gen(function* () {
    const actual = yield* tableColumns(model.table)
    const problems: Array<string> = []
    if (actual.size === 0) return [`${model.name}: table ${model.table} does not exist`]
    for (const [name, decl] of Object.entries(model.columns)) {
      const nullable = actual.get(name)
      if (nullable === undefined) problems.push(`${model.name}.${name}: declared, but ${model.table} has no such column`)
      else if (nullable !== decl.nullable) problems.push(`${model.name}.${name}: declared ${decl.nullable ? "nullable" : "NOT NULL"}, the table says ${nullable ? "nullable" : "NOT NULL"}`)
    }
    for (const name of actual.keys()) if (!(name in model.columns)) problems.push(`${model.name}: ${model.table}.${name} is not declared`)
    for (const [name, link] of Object.entries(model.links)) {
      const cols = yield* tableColumns(link.table)
      for (const c of [link.selfColumn, link.otherColumn]) if (cols.get(c) !== false) problems.push(`${model.name}.${name}: ${link.table}.${c} missing or nullable`)
    }
    for (const [field, index] of Object.entries(model.jsonIndexes)) {
      const cols = yield* tableColumns(index.table)
      if (!cols.has(index.owner) || !cols.has("key_path")) problems.push(`${model.name}.${field}: side table ${index.table} lacks ${index.owner}/key_path`)
    }
    return problems
  })
