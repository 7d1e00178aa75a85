/**
 * Encoding filter values into bound parameters, per field type and dialect, with
 * `InvalidArgument`s that name the key when a value has the wrong type.
 *
 * - timestamps are compared as UTC ISO-8601 text on SQLite (how they are stored) and as
 *   TIMESTAMPTZ on Postgres (the server parses the same ISO text);
 * - booleans as the dialect binds them (0/1 on SQLite, true/false on Postgres);
 * - a record (anything with a numeric `id`) stands for its id.
 *
 * @module
 */
import type { SqlDialect } from "../db/dialects/index.js"
import { InvalidArgument } from "../errors.js"
import type { FieldType } from "../schema/field.js"
import type { Bindable } from "./sql.js"
import { QuerySetTypeId, type AnyQuerySet } from "./types.js"

/** The type of a compared expression: a field type, a `date` (YYYY-MM-DD), or a transform's integer. */
export type ValueType = FieldType | "date"

/** Fail with an `InvalidArgument` (thrown inside the compiler, caught at its boundary). */
export const invalid = (message: string): never => {
  throw new InvalidArgument({ message })
}

const show = (v: unknown): string => {
  // An invalid Date's toISOString throws a RangeError: the message must survive printing it.
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString()
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

/** True for a QuerySet passed as a value (a subquery). */
export const isQuerySet = (v: unknown): v is AnyQuerySet => typeof v === "object" && v !== null && QuerySetTypeId in v

/** The id a relation value stands for: a number or a record with a numeric `id`. */
export const relationId = (v: unknown, label: string): number => {
  if (typeof v === "number" && Number.isInteger(v)) return v
  if (typeof v === "object" && v !== null && "id" in v) {
    const id = (v as { readonly id: unknown }).id
    if (typeof id === "number" && Number.isInteger(id)) return id
  }
  return invalid(`${label} expects a record or an integer id, got ${show(v)}.`)
}

const toDate = (v: unknown, label: string): Date => {
  const d = v instanceof Date ? v : typeof v === "string" || typeof v === "number" ? new Date(v) : undefined
  if (d === undefined || Number.isNaN(d.getTime())) return invalid(`${label} expects a date or an ISO-8601 timestamp, got ${show(v)}.`)
  return d
}

/** Encode one value for comparison with an expression of type `type`. */
export const encode = (type: ValueType, v: unknown, dialect: SqlDialect, label: string): Bindable => {
  switch (type) {
    case "int":
    case "float": {
      const n = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN
      if (!Number.isFinite(n)) return invalid(`${label} expects a number, got ${show(v)}.`)
      return n
    }
    case "str":
      if (typeof v === "string") return v
      if (typeof v === "number" || typeof v === "boolean") return String(v)
      return invalid(`${label} expects a string, got ${show(v)}.`)
    case "bool": {
      const b = v === true || v === 1 ? true : v === false || v === 0 ? false : undefined
      if (b === undefined) return invalid(`${label} expects a boolean, got ${show(v)}.`)
      return dialect.bool(b)
    }
    case "datetime":
      return toDate(v, label).toISOString()
    case "date":
      if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v
      return toDate(v, label).toISOString().slice(0, 10)
    case "json":
      return invalid(`${label}: compare keys inside a JSON field (e.g. ${label}__<key>), not the whole document.`)
  }
}

export { escapeGlob, escapeLike } from "../db/dialects/escape.js"

/** Escape regular-expression syntax so a pattern matches `s` literally (valid for JS and Postgres AREs). */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, (c) => "\\" + c)

/** Validate a user regular expression (JS syntax; the common subset behaves the same on Postgres). */
export const checkRegex = (pattern: string, label: string): string => {
  try {
    new RegExp(pattern)
  } catch (e) {
    invalid(`${label}: invalid regular expression ${show(pattern)} (${e instanceof Error ? e.message : String(e)}).`)
  }
  return pattern
}

/** `value` as a list (for `__in`), with nulls dropped like Django does. */
export const asList = (v: unknown, label: string): ReadonlyArray<unknown> => {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined)
  if (v instanceof Set) return [...v].filter((x) => x !== null && x !== undefined)
  return invalid(`${label} expects an array or a QuerySet, got ${show(v)}.`)
}

/** `value` as a `[low, high]` pair (for `__range`). */
export const asPair = (v: unknown, label: string): readonly [unknown, unknown] => {
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]]
  return invalid(`${label} expects a [low, high] pair, got ${show(v)}.`)
}

/** `value` as a boolean (for `__isnull`). */
export const asBool = (v: unknown, label: string): boolean => {
  if (typeof v === "boolean") return v
  return invalid(`${label} expects true or false, got ${show(v)}.`)
}

/** `value` as a string (for pattern lookups). */
export const asText = (v: unknown, label: string): string => {
  if (typeof v === "string") return v
  if (typeof v === "number") return String(v)
  return invalid(`${label} expects a string, got ${show(v)}.`)
}

export { show }
