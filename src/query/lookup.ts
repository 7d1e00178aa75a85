/**
 * Django-style lookups: the names after `__` at the end of a filter key
 * (`size__gt`, `key__istartswith`, `created_at__year__gte`), which field types accept which,
 * and the timestamp transforms (`year`, `month`, …) that may precede a lookup.
 *
 * @module
 */
import type { MatchMode } from "../db/dialects/index.js"
import type { FieldType } from "../schema/field.js"

/** Every lookup the compiler understands. */
export const LOOKUPS = [
  "exact",
  "iexact",
  "contains",
  "icontains",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "in",
  "gt",
  "gte",
  "lt",
  "lte",
  "range",
  "isnull",
  "regex",
  "iregex"
] as const

/** A lookup name. */
export type Lookup = (typeof LOOKUPS)[number]

/** Timestamp transforms: `created_at__year=2025`, `created_at__hour__gte=12` (UTC). */
export const TRANSFORMS = ["date", "year", "month", "day", "week", "week_day", "quarter", "hour", "minute", "second"] as const

/** A timestamp transform name. */
export type Transform = (typeof TRANSFORMS)[number]

/** Lookups on text. */
export const TEXT_LOOKUPS = LOOKUPS

/** Lookups on numbers, timestamps and transformed timestamps. */
export const ORDER_LOOKUPS = ["exact", "in", "gt", "gte", "lt", "lte", "range", "isnull"] as const

/** Lookups on booleans. */
export const BOOL_LOOKUPS = ["exact", "in", "isnull"] as const

/** Lookups on a relation itself (`run`, `run__in`, `run__isnull`). */
export const RELATION_LOOKUPS = ["exact", "in", "isnull", "gt", "gte", "lt", "lte"] as const

/** The lookups a field type accepts. */
export const lookupsFor = (type: FieldType): ReadonlyArray<Lookup> => {
  switch (type) {
    case "str":
      return TEXT_LOOKUPS
    case "int":
    case "float":
    case "datetime":
      return ORDER_LOOKUPS
    case "bool":
      return BOOL_LOOKUPS
    case "json":
      return TEXT_LOOKUPS
  }
}

/** True for a lookup name. */
export const isLookup = (s: string): s is Lookup => (LOOKUPS as ReadonlyArray<string>).includes(s)

/** True for a transform name. */
export const isTransform = (s: string): s is Transform => (TRANSFORMS as ReadonlyArray<string>).includes(s)

/** Lookups that compare text patterns. */
export const PATTERN_LOOKUPS = new Set<Lookup>(["iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex"])

/** Pattern lookups: how they anchor, and whether they ignore case. */
export const PATTERNS: Readonly<Partial<Record<Lookup, readonly [MatchMode, boolean]>>> = {
  iexact: ["exact", true],
  contains: ["contains", false],
  icontains: ["contains", true],
  startswith: ["startswith", false],
  istartswith: ["startswith", true],
  endswith: ["endswith", false],
  iendswith: ["endswith", true]
}

/** Comparison lookups and their operators. */
export const COMPARATORS: Readonly<Partial<Record<Lookup, string>>> = { gt: ">", gte: ">=", lt: "<", lte: "<=" }
