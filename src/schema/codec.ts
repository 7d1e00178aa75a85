/**
 * Row codecs derived from a model: raw SQLite/Postgres values to JS values and back, and the
 * record type a model's rows decode to.
 *
 * @module
 */
import type { FieldType, ValueOf } from "./field.js"
import type { Model } from "./model.js"

/** A decoded row: field name → value. */
export type Row = Record<string, unknown>

/** The record type of a model: each declared field with its decoded type. */
export type RecordOf<M extends Model> = { readonly [K in keyof M["columns"]]: ValueOf<M["columns"][K]> }

/** Decode one raw value (SQLite or Postgres) of a field type. */
export const decodeValue = (type: FieldType, v: unknown): unknown => {
  if (v === null || v === undefined) return null
  switch (type) {
    case "bool":
      return v === true || v === 1 || v === "1" || v === "t"
    case "datetime":
      return v instanceof Date ? v : new Date(String(v))
    case "json":
      return typeof v === "string" ? JSON.parse(v) : v
    case "int":
    case "float":
      return typeof v === "number" ? v : Number(v)
    case "str":
      return String(v)
  }
}

/** Decode a raw row (SQLite or Postgres) into JS values per the model's field types. */
export const decodeRow = (model: Model, raw: Record<string, unknown>): Row => {
  const out: Row = {}
  for (const [name, type] of Object.entries(model.fields)) out[name] = decodeValue(type, raw[name])
  return out
}

/** Encode a JS value for a bound parameter: booleans as 0/1, dates as ISO, JSON as text. */
export const encodeValue = (type: FieldType, v: unknown): string | number | null => {
  if (v === null || v === undefined) return null
  switch (type) {
    case "bool":
      return v ? 1 : 0
    case "datetime":
      return v instanceof Date ? v.toISOString() : String(v)
    case "json":
      return JSON.stringify(v)
    case "int":
    case "float":
      return Number(v)
    case "str":
      return String(v)
  }
}

/** Encode the given fields of a row for an insert or update; an undeclared field is a bug. */
export const encodeRow = (model: Model, values: Row): Record<string, string | number | null> => {
  const out: Record<string, string | number | null> = {}
  for (const [k, v] of Object.entries(values)) {
    const type = model.fields[k]
    if (type === undefined) throw new Error(`${model.name} has no field '${k}'`)
    out[k] = encodeValue(type, v)
  }
  return out
}
