/**
 * Summaries of Arrow tables for `describe` and artifact metadata.
 *
 * @module
 */
import type { Table } from "apache-arrow"
// The predicates alone: the package root would load all of Arrow (see src/formats/table/arrow.ts).
import { DataType } from "apache-arrow/type"

/** One column of a {@link TableDescription}. */
export interface ColumnDescription {
  readonly name: string
  /** A short, stable type name: `int32`, `float64`, `bool`, `string`, `category[string]`, … */
  readonly type: string
}

/** What {@link describeTable} returns. */
export interface TableDescription {
  readonly n_observations: number
  readonly columns: ReadonlyArray<ColumnDescription>
}

/** A short, stable name for an Arrow type (numpy-like where there is an equivalent). */
export const arrowTypeName = (type: DataType): string => {
  if (DataType.isInt(type)) return `${type.isSigned ? "int" : "uint"}${type.bitWidth}`
  if (DataType.isFloat(type)) return ["float16", "float32", "float64"][type.precision] ?? "float"
  if (DataType.isBool(type)) return "bool"
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type)) return "string"
  if (DataType.isBinary(type) || DataType.isLargeBinary(type)) return "binary"
  if (DataType.isDictionary(type)) return `category[${arrowTypeName(type.dictionary)}]`
  if (DataType.isTimestamp(type)) return `timestamp[${["s", "ms", "us", "ns"][type.unit]}${type.timezone ? `, ${type.timezone}` : ""}]`
  if (DataType.isDate(type)) return "date"
  if (DataType.isNull(type)) return "null"
  return String(type).toLowerCase()
}

/** Row count and column names/types of a table. */
export const describeTable = (table: Table): TableDescription => ({
  n_observations: table.numRows,
  columns: table.schema.fields.map((f) => ({ name: f.name, type: arrowTypeName(f.type) }))
})
