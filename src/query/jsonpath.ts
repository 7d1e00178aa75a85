/**
 * JSON key paths (`params__preprocess__downsample` → `$.preprocess.downsample`) and the side
 * tables that index JSON fields.
 *
 * The canonical path text is SQLite's `json_tree` `fullkey` for JSON written canonically
 * (`JSON.stringify`): a key made of ASCII letters and digits that starts with a letter is
 * appended as `.key`, any other key as `."<JSON-escaped key>"`. The Postgres trigger builds the
 * same text, so one path string addresses a value on both backends.
 *
 * @module
 */

/** A side table holding one row per JSON node of a field (see migration 10). */
export interface JsonIndex {
  readonly table: string
  /** Column holding the owning record's id. */
  readonly owner: string
}

/** Side tables by `Model.field`. */
export const jsonIndexes: ReadonlyMap<string, JsonIndex> = new Map([["Run.params", { table: "lamina_run_param", owner: "run_id" }]])

/** The side table of `model.field`, if it has one. */
export const jsonIndexOf = (model: string, field: string): JsonIndex | undefined => jsonIndexes.get(`${model}.${field}`)

const SIMPLE = /^[A-Za-z][A-Za-z0-9]*$/

/** The canonical path of a sequence of object keys. */
export const canonicalPath = (keys: ReadonlyArray<string>): string =>
  "$" + keys.map((k) => (SIMPLE.test(k) ? `.${k}` : `.${JSON.stringify(k)}`)).join("")
