/**
 * Parse Django-style filter keys: `field`, `field__lookup`, `relation__field__lookup`.
 *
 * @module
 */

/** Lookups understood by the compiler. */
export const LOOKUPS = ["exact", "startswith"] as const

/** A lookup name. */
export type Lookup = (typeof LOOKUPS)[number]

/** A parsed key: the path of names and the lookup at its end. */
export interface ParsedKey {
  readonly path: ReadonlyArray<string>
  readonly lookup: Lookup
}

/** Split `a__b__lookup` into its path and lookup (default `exact`). */
export const parseKey = (key: string): ParsedKey => {
  const parts = key.split("__")
  const last = parts[parts.length - 1]!
  if (parts.length > 1 && (LOOKUPS as ReadonlyArray<string>).includes(last))
    return { path: parts.slice(0, -1), lookup: last as Lookup }
  return { path: parts, lookup: "exact" }
}
