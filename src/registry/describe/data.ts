/**
 * Presenting an artifact's format metadata (its `_aux`, as `fromPath`, `fromTable` and
 * `fromAnnData` record it) as readable tree rows: format, shape, X layout, the columns of a
 * table or of `obs`/`var` one per line, the keys of layers, obsm, uns, … Other entries (a
 * user's own `aux`) are shown as they are.
 *
 * @module
 */
import type { TreeRow } from "./tree.js"

/** At most this many columns are listed; the rest are counted. */
const MAX_COLUMNS = 40

interface Column {
  readonly name: string
  readonly type: string
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const isColumn = (v: unknown): v is Column => isRecord(v) && typeof v["name"] === "string" && typeof v["type"] === "string"

const columnsOf = (v: unknown): ReadonlyArray<Column> | undefined => (Array.isArray(v) && v.every(isColumn) ? v : undefined)

const stringsOf = (v: unknown): ReadonlyArray<string> | undefined =>
  Array.isArray(v) && v.every((x): x is string => typeof x === "string") ? v : undefined

const numbersOf = (v: unknown): ReadonlyArray<number> | undefined =>
  Array.isArray(v) && v.every((x): x is number => typeof x === "number") ? v : undefined

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** One child row per column (name, type), the overflow counted. */
const columnRows = (columns: ReadonlyArray<Column>): ReadonlyArray<TreeRow> => {
  const shown = columns.slice(0, MAX_COLUMNS).map((c): TreeRow => [c.name, c.type])
  return columns.length > MAX_COLUMNS ? [...shown, [`… ${columns.length - MAX_COLUMNS} more`, ""]] : shown
}

const generic = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v))

/** The rows for one `_aux` entry. */
const entryRows = (key: string, value: unknown, annData: boolean): ReadonlyArray<TreeRow> => {
  switch (key) {
    case "shape": {
      const shape = numbersOf(value)
      if (shape === undefined) break
      return [["shape", `${shape.join(" × ")}${annData && shape.length === 2 ? " (n_obs × n_vars)" : ""}`]]
    }
    case "X": {
      if (!isRecord(value) || typeof value["format"] !== "string") break
      const layout = value["format"] === "dense" ? "dense" : `sparse ${value["format"]}`
      return [["X", `${layout}${typeof value["dtype"] === "string" ? ` ${value["dtype"]}` : ""}`]]
    }
    case "columns": {
      const columns = columnsOf(value)
      if (columns === undefined) break
      return [["columns", plural(columns.length, "column"), columnRows(columns)]]
    }
    case "obs":
    case "var": {
      if (!isRecord(value)) break
      const columns = columnsOf(value["columns"])
      if (columns === undefined || typeof value["n"] !== "number") break
      const what = `${plural(value["n"], "row")}, ${columns.length === 0 ? "index only" : plural(columns.length, "column")}`
      return [columns.length === 0 ? [key, what] : [key, what, columnRows(columns)]]
    }
    case "zarr":
      if (value === "array" || value === "group") return [["zarr", value]]
      break
    case "layers":
    case "obsm":
    case "varm":
    case "obsp":
    case "varp":
    case "uns":
    case "keys": {
      const keys = stringsOf(value)
      if (keys === undefined) break
      return [[key, keys.length === 0 ? "–" : keys.join(", ")]]
    }
  }
  return [[key, generic(value)]]
}

/** Tree rows for an artifact's `_aux`. */
export const dataRows = (aux: Readonly<Record<string, unknown>> | null, otype: string | null): ReadonlyArray<TreeRow> =>
  Object.entries(aux ?? {}).flatMap(([k, v]) => entryRows(k, v, otype === "AnnData"))
