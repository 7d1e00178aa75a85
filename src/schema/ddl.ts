/**
 * DDL derived from a model, for registries added after the first migrations: the table with
 * its columns, NOT NULL, defaults, uniqueness and foreign keys, and the link tables it declares.
 * (The migrations written before declarations existed stay as they are; a test checks that
 * every declaration matches the migrated schema.)
 *
 * @module
 */
import { columnTypes } from "../db/ddl.js"
import type { Dialect } from "../db/dialect.js"
import type { FieldDecl } from "./field.js"
import type { Model } from "./model.js"

const literal = (v: string | number | boolean): string =>
  typeof v === "string" ? `'${v.replace(/'/g, "''")}'` : typeof v === "boolean" ? (v ? "TRUE" : "FALSE") : String(v)

const columnType = (d: FieldDecl, dialect: Dialect): string => {
  const t = columnTypes(dialect)
  if (d.primary) return t.id
  switch (d.type) {
    case "int":
      return t.int
    case "float":
      return t.float
    case "str":
      return d.keyed ? t.key : t.text
    case "bool":
      return t.bool
    case "datetime":
      return t.ts
    case "json":
      return t.json
  }
}

/** `CREATE TABLE` for `model` and for the link tables it declares itself (`declared` links). */
export const createTableStatements = (model: Model, dialect: Dialect, declaredLinks: ReadonlyArray<string> = []): ReadonlyArray<string> => {
  const fkOf = new Map(Object.values(model.relations).map((r) => [r.column, r.target().table]))
  const columns = Object.entries(model.columns).map(([name, d]) => {
    const parts = [name, columnType(d, dialect)]
    if (!d.primary && !d.nullable) parts.push("NOT NULL")
    if (d.default !== undefined) parts.push(`DEFAULT ${literal(d.default)}`)
    if (d.unique) parts.push("UNIQUE")
    const ref = fkOf.get(name)
    if (ref !== undefined) parts.push(`REFERENCES ${ref}(id)`)
    return parts.join(" ")
  })
  const t = columnTypes(dialect)
  const links = declaredLinks.map((n) => {
    const l = model.links[n]
    if (l === undefined) throw new Error(`${model.name} has no link '${n}'.`)
    return `CREATE TABLE ${l.table} (
      id ${t.id},
      ${l.selfColumn} ${t.int} NOT NULL REFERENCES ${model.table}(id) ON DELETE CASCADE,
      ${l.otherColumn} ${t.int} NOT NULL REFERENCES ${l.target().table}(id) ON DELETE CASCADE,
      UNIQUE (${l.selfColumn}, ${l.otherColumn})
    )`
  })
  return [`CREATE TABLE ${model.table} (\n  ${columns.join(",\n  ")}\n)`, ...links]
}
