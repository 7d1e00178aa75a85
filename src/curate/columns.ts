/**
 * What curation reads from Arrow columns: the type name as `describe` prints it, whether a type
 * fits a feature dtype (strictly, or with `coerce`), and a column's distinct non-null values —
 * taken from the dictionary of a dictionary-encoded column, so a million rows of ten thousand
 * categories cost one pass over the indices, not a million string decodes.
 *
 * @module
 */
import type { Vector } from "apache-arrow"
import { DataType } from "apache-arrow/type"
import { arrowTypeName } from "../formats/table/describe.js"
import type { Dtype } from "../registry/feature/dtype.js"

export { arrowTypeName }

const isText = (t: DataType): boolean => DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isUtf8View(t)

/** A column of strings, plain or dictionary-encoded. */
export const isStringColumn = (t: DataType): boolean => isText(t) || (DataType.isDictionary(t) && isText(t.dictionary))

/** How a column's type stands against a dtype: it fits, it fits only once converted (coerce), or not at all. */
export type Fit = "fits" | "coercible" | "no"

/** Whether Arrow type `t` fits feature dtype `d`. */
export const fitOf = (d: Dtype, t: DataType): Fit => {
  if (d._tag === "Cat") return isStringColumn(t) ? "fits" : "no"
  if (d._tag === "List") return DataType.isList(t) ? "fits" : "no"
  switch (d.name) {
    case "int":
      return DataType.isInt(t) ? "fits" : isStringColumn(t) ? "coercible" : "no"
    case "float":
      return DataType.isFloat(t) ? "fits" : DataType.isInt(t) || isStringColumn(t) ? "coercible" : "no"
    case "num":
      return DataType.isInt(t) || DataType.isFloat(t) ? "fits" : isStringColumn(t) ? "coercible" : "no"
    case "bool":
      return DataType.isBool(t) ? "fits" : isStringColumn(t) ? "coercible" : "no"
    case "str":
    case "path":
    case "url":
      return isStringColumn(t) ? "fits" : "no"
    case "date":
      return DataType.isDate(t) ? "fits" : isStringColumn(t) || DataType.isTimestamp(t) ? "coercible" : "no"
    case "datetime":
      return DataType.isTimestamp(t) || DataType.isDate(t) ? "fits" : isStringColumn(t) ? "coercible" : "no"
    case "dict":
      return DataType.isStruct(t) || DataType.isMap(t) || isStringColumn(t) ? "fits" : "no"
  }
}

/** The distinct non-null values of a string column, in first-seen order. */
export const distinctStrings = (column: Vector): ReadonlyArray<string> => {
  const seen = new Set<string>()
  if (DataType.isDictionary(column.type)) {
    for (const data of column.data) {
      const dict = data.dictionary
      if (dict === undefined) continue
      const used = new Uint8Array(dict.length)
      const indices = data.values as ArrayLike<number>
      const valid = data.nullBitmap
      for (let i = 0; i < data.length; i++) {
        if (valid !== undefined && valid !== null && valid.length > 0 && data.nullCount > 0) {
          const bit = data.offset + i
          if ((valid[bit >> 3]! & (1 << (bit & 7))) === 0) continue
        }
        used[Number(indices[i])] = 1
      }
      for (let j = 0; j < dict.length; j++) if (used[j] === 1) seen.add(String(dict.get(j)))
    }
    return [...seen]
  }
  for (const v of column) if (v !== null && v !== undefined) seen.add(String(v))
  return [...seen]
}

/** Distinct strings of a column that do not parse for a scalar dtype under coerce (at most `limit`). */
export const unparsable = (name: "int" | "float" | "num" | "bool" | "date" | "datetime", values: ReadonlyArray<string>, limit = 20): ReadonlyArray<string> => {
  const bad: Array<string> = []
  for (const v of values) {
    const t = v.trim()
    const ok =
      name === "bool"
        ? t === "true" || t === "false"
        : name === "date" || name === "datetime"
          ? !Number.isNaN(Date.parse(t))
          : t !== "" && Number.isFinite(Number(t)) && (name !== "int" || Number.isInteger(Number(t)))
    if (!ok) bad.push(v)
    if (bad.length >= limit) break
  }
  return bad
}
