/**
 * Escaping literal text for LIKE and GLOB patterns.
 *
 * @module
 */

/** Escape `%`, `_` and `\` so that LIKE matches `s` literally (with `ESCAPE '\'`). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => "\\" + c)

/** Escape `*`, `?` and `[` so that SQLite's GLOB matches `s` literally. */
export const escapeGlob = (s: string): string => s.replace(/[*?[]/g, (c) => `[${c}]`)
