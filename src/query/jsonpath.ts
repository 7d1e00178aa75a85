/**
 * JSON key paths (`params__preprocess__downsample` → `$.preprocess.downsample`) and the side
 * tables that index JSON fields (declared per registry: `jsonIndexes`).
 *
 * The canonical path text is SQLite's `json_tree` `fullkey` for JSON written canonically
 * (`JSON.stringify`): a key made of ASCII letters and digits that starts with a letter is
 * appended as `.key`, any other key as `."<JSON-escaped key>"`. The Postgres trigger builds the
 * same text, so one path string addresses a value on both backends.
 *
 * @module
 */

import type { JsonIndex, Model } from "../schema/model.js"

export { canonicalPath } from "../db/jsonPath.js"

/** The side table of `model.field`, if its declaration has one. */
export const jsonIndexOf = (model: Model, field: string): JsonIndex | undefined => model.jsonIndexes[field]

