/**
 * Canonical JSON key paths: SQLite's `json_tree` `fullkey` for JSON written canonically
 * (`JSON.stringify`). A key of ASCII letters and digits that starts with a letter is appended
 * as `.key`, any other key as `."<JSON-escaped key>"`. The Postgres side-table trigger builds
 * the same text, so one path string addresses a value on both backends.
 *
 * @module
 */

const SIMPLE = /^[A-Za-z][A-Za-z0-9]*$/

/** The canonical path of a sequence of object keys. */
export const canonicalPath = (keys: ReadonlyArray<string>): string =>
  "$" + keys.map((k) => (SIMPLE.test(k) ? `.${k}` : `.${JSON.stringify(k)}`)).join("")
