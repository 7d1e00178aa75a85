/**
 * `toTable()`: query results as an Apache Arrow table with LaminDB's `to_dataframe` columns.
 *
 * Columns (LaminDB's `get_basic_field_names`): `id` (LaminDB's index) and `uid` first, then the
 * record's own fields except private (`_…`) ones and `updated_at`, then `version_tag`,
 * `is_latest`, `is_locked`, `created_at`, then the foreign-key ids and `branch`. With `include`,
 * only the first three columns and included own fields are kept, and the included paths follow
 * them. Many-valued includes are `List` columns.
 *
 * Arrow types: int → Int64, float → Float64, str → Utf8, bool → Bool, datetime →
 * Timestamp(ms, UTC), json → Utf8 (JSON text).
 *
 * @module
 */
import {
  Bool,
  Field,
  Float64,
  Int64,
  List,
  Table,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector
} from "apache-arrow"
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import type { Row } from "../schema/codec.js"
import type { FieldType } from "../schema/field.js"
import type { ExpandedColumn, Model, TableExpansion } from "../schema/model.js"
import { keysIn, Q, toNode } from "./Q.js"
import type { QueryState } from "./state.js"
import type { OutputColumn } from "./statement.js"
import type { PathKey } from "./types.js"

/** Options of `toTable`. */
export interface TableOptions<M extends Model = Model> {
  /**
   * Related fields to add as columns (`run__transform__key`, `created_by__handle`,
   * `input_of_runs__uid`), and names of the registry's declared expansions (`"features"`: one
   * column per feature).
   */
  readonly include?: ReadonlyArray<PathKey<M> | (string & {})>
  /** At most this many rows (default 100, LaminDB's); `null` for all. Ignored when the query is sliced. */
  readonly limit?: number | null
}

const MOVED_LAST = ["version_tag", "is_latest", "is_locked", "created_at"]

/** LaminDB's basic columns for `model`. */
export const basicColumns = (model: Model): ReadonlyArray<string> => {
  const fks = new Set([...Object.values(model.relations).map((r) => r.column), "branch"])
  const own = Object.keys(model.fields).filter((f) => !fks.has(f) && !f.startsWith("_") && f !== "updated_at" && f !== "id" && f !== "uid")
  const ordered = [...own.filter((f) => !MOVED_LAST.includes(f)), ...MOVED_LAST.filter((f) => own.includes(f))]
  const fkCols = Object.keys(model.fields).filter((f) => fks.has(f))
  return ["id", ...("uid" in model.fields ? ["uid"] : []), ...ordered, ...fkCols]
}

/** The declared expansions `include` asks for (`"features"`), in order. */
export const expansionsOf = (model: Model, options: TableOptions): ReadonlyArray<TableExpansion> =>
  (options.include ?? []).filter((p) => Object.hasOwn(model.expansions, p)).map((p) => model.expansions[p]!)

/** The query `toTable` runs: a projection of LaminDB's columns and the includes. */
export const tableProjection = (state: QueryState, options: TableOptions): Effect.Effect<QueryState, InvalidArgument> =>
  Effect.suspend(() => {
    const include = (options.include ?? []).filter((p) => !Object.hasOwn(state.model.expansions, p))
    const limit = options.limit === undefined ? 100 : options.limit
    if (limit !== null && (!Number.isInteger(limit) || limit < 0))
      return Effect.fail(new InvalidArgument({ message: `toTable(): limit must be a non-negative integer or null, got ${String(limit)}.` }))
    const basic = basicColumns(state.model)
    let paths: Array<string>
    if (include.length === 0 && (options.include ?? []).length === 0) paths = [...basic]
    else {
      const head = basic.slice(0, 3)
      const extraOwn = basic.slice(3).filter((f) => include.includes(f))
      paths = [...head, ...include.filter((p) => !head.includes(p) && !extraOwn.includes(p)), ...extraOwn]
    }
    let where = state.where
    const hidden = state.model.hidden
    if (hidden !== undefined && !where.some((n) => keysIn(n).some((k) => k.split("__")[0] === hidden.field)))
      where = [...where, toNode(Q.or({ [`${hidden.field}__isnull`]: true }, Q.not({ [`${hidden.field}__startswith`]: hidden.prefix })))]
    const sliced = state.limit !== undefined || state.offset > 0
    return Effect.succeed({
      ...state,
      where,
      projection: { _tag: "Values" as const, paths },
      limit: sliced || limit === null ? state.limit : limit
    })
  })

const arrowType = (type: FieldType): DataType => {
  switch (type) {
    case "int":
      return new Int64()
    case "float":
      return new Float64()
    case "bool":
      return new Bool()
    case "datetime":
      return new TimestampMillisecond("UTC")
    case "str":
    case "json":
      return new Utf8()
  }
}

const arrowValue = (type: FieldType, v: unknown): unknown => {
  if (v === null || v === undefined) return null
  switch (type) {
    case "int":
      return BigInt(Math.trunc(Number(v)))
    case "json":
      return JSON.stringify(v)
    case "datetime":
      return v instanceof Date ? v : new Date(String(v))
    default:
      return v
  }
}

/** Build the Arrow table from decoded rows, then the expanded columns (renamed `<name> (feature)` if a column has their name). */
export const tableFromRows = (columns: ReadonlyArray<OutputColumn>, rows: ReadonlyArray<Row>, expanded: ReadonlyArray<ExpandedColumn> = []): Table => {
  const vectors: Record<string, Vector> = {}
  for (const c of columns) {
    const type = c.encoding === "json" ? "json" : c.type
    if (c.encoding === "list") {
      const inner = arrowType(type)
      const values = rows.map((r) => (Array.isArray(r[c.name]) ? (r[c.name] as ReadonlyArray<unknown>).map((x) => arrowValue(type, x)) : null))
      vectors[c.name] = vectorFromArray(values, new List(new Field("item", inner, true)))
    } else {
      vectors[c.name] = vectorFromArray(
        rows.map((r) => arrowValue(type, r[c.name])),
        arrowType(type)
      )
    }
  }
  for (const e of expanded) {
    const name = e.name in vectors ? `${e.name} (feature)` : e.name
    const inner = arrowType(e.type)
    vectors[name] = e.list
      ? vectorFromArray(
          e.values.map((v) => (Array.isArray(v) ? v.map((x) => arrowValue(e.type, x)) : v === null || v === undefined ? null : [arrowValue(e.type, v)])),
          new List(new Field("item", inner, true))
        )
      : vectorFromArray(e.values.map((v) => arrowValue(e.type, v)), inner)
  }
  return new Table(vectors)
}
