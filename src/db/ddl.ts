/**
 * Column types per dialect, so each migration is written once for SQLite and Postgres. The
 * types themselves are part of each dialect object (`./dialects/`).
 *
 * @module
 */
import type { Dialect } from "./dialect.js"
import { sqlDialect, type ColumnTypes } from "./dialects/index.js"

export type { ColumnTypes } from "./dialects/index.js"

/** The column types of a dialect. */
export const columnTypes = (dialect: Dialect): ColumnTypes => sqlDialect(dialect).columnTypes

/** A link table: two cascading references, optional extra columns, one unique set, indexes. */
export interface LinkTableSpec {
  readonly table: string
  /** The owning side: `[column, referenced table]`. */
  readonly self: readonly [string, string]
  /** The linked side: `[column, referenced table]`. */
  readonly other: readonly [string, string]
  /** Column definitions after the two references (`position INTEGER NOT NULL`). */
  readonly extra?: ReadonlyArray<string>
  /** The unique column set (default: the two references). */
  readonly unique?: ReadonlyArray<string>
  /** Indexes as `[name suffix, columns]` (default: one on the other column, named after it). */
  readonly indexes?: ReadonlyArray<readonly [string, ReadonlyArray<string>]>
  /**
   * Indentation of the column lines and of the closing parenthesis. Existing migrations keep the
   * text they were first written with (applied migrations are never re-rendered differently).
   */
  readonly indent?: readonly [number, number]
}

/** `CREATE TABLE` and `CREATE INDEX` statements of a link table. */
export const linkTable = (dialect: Dialect, spec: LinkTableSpec): ReadonlyArray<string> => {
  const t = columnTypes(dialect)
  const [col, close] = spec.indent ?? [8, 6]
  const ind = " ".repeat(col)
  const ref = ([column, table]: readonly [string, string]) => `${column} ${t.int} NOT NULL REFERENCES ${table}(id) ON DELETE CASCADE`
  const lines = [`id ${t.id}`, ref(spec.self), ref(spec.other), ...(spec.extra ?? []), `UNIQUE (${(spec.unique ?? [spec.self[0], spec.other[0]]).join(", ")})`]
  const indexes = spec.indexes ?? [[spec.other[0], [spec.other[0]]]]
  return [
    `CREATE TABLE ${spec.table} (\n${ind}${lines.join(`,\n${ind}`)}\n${" ".repeat(close)})`,
    ...indexes.map(([name, columns]) => `CREATE INDEX ${spec.table}_${name} ON ${spec.table} (${columns.join(", ")})`)
  ]
}
