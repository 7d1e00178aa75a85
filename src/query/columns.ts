/**
 * The columns a compiled statement selects, and how each decodes.
 *
 * @module
 */
import type { FieldType } from "../schema/field.js"

/** How a selected column decodes. */
export type Encoding =
  /** A field value: decode by field type. */
  | "field"
  /** A JSON value: text on SQLite, parsed on Postgres. */
  | "json"
  /** A JSON array built by the query (many-valued include). */
  | "list"

/** A selected column. */
export interface OutputColumn {
  readonly name: string
  readonly type: FieldType
  readonly encoding: Encoding
}
