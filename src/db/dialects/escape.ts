/**
 * Escaping literal text: for LIKE and GLOB patterns, and as a Postgres string literal.
 *
 * @module
 */

/** Escape `%`, `_` and `\` so that LIKE matches `s` literally (with `ESCAPE '\'`). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => "\\" + c)

/** Escape `*`, `?` and `[` so that SQLite's GLOB matches `s` literally. */
export const escapeGlob = (s: string): string => s.replace(/[*?[]/g, (c) => `[${c}]`)

/**
 * `s` as a Postgres string literal, as the pg driver's `escapeLiteral` writes it (without its
 * leading space): quotes doubled; when `s` holds a backslash, an `E'…'` literal with backslashes
 * doubled, which reads the same whatever `standard_conforming_strings` says. Written here so the
 * dialect does not load the driver.
 */
export const pgStringLiteral = (s: string): string => {
  const quoted = s.replace(/'/g, "''")
  return s.includes("\\") ? `E'${quoted.replace(/\\/g, "\\\\")}'` : `'${quoted}'`
}
