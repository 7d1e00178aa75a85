/**
 * How `obs`/`var` (and any AnnData dataframe) keep their pandas index in an Arrow table: as a
 * string column, named like the index (anndata's `_index` attribute: the index name, or
 * `"_index"` when it has none), whose name is recorded in the schema metadata under
 * {@link INDEX_KEY}. Column encodings that Arrow types cannot tell apart (pandas' nullable
 * `Int64`/`boolean` without missing values) are kept in field metadata under {@link ENCODING_KEY}.
 * Building such a table is in dataframe-table.ts (it needs Arrow's builders; reading it here does not).
 *
 * @module
 */
import type { Table } from "apache-arrow"

/** Schema-metadata key naming the index column of an AnnData dataframe. */
export const INDEX_KEY = "anndata:index"

/** Field-metadata key recording an AnnData encoding-type (`nullable-integer`, `nullable-boolean`). */
export const ENCODING_KEY = "anndata:encoding-type"

/** The default index column name (anndata's `_index`). */
export const DEFAULT_INDEX = "_index"

/** The index column of a dataframe table: the recorded one, else a column named `_index`. */
export const indexColumnName = (table: Table): string | undefined => {
  const recorded = table.schema.metadata.get(INDEX_KEY)
  const names = table.schema.fields.map((f) => f.name)
  if (recorded !== undefined && names.includes(recorded)) return recorded
  return names.includes(DEFAULT_INDEX) ? DEFAULT_INDEX : undefined
}

/** The index values of a dataframe table, as strings (`"0"`, `"1"`, … when it has no index). */
export const indexValues = (table: Table): string[] => {
  const name = indexColumnName(table)
  if (name === undefined) return Array.from({ length: table.numRows }, (_, i) => String(i))
  const col = table.getChild(name)
  const out = new Array<string>(table.numRows)
  for (let i = 0; i < table.numRows; i++) {
    const v: unknown = col?.get(i)
    out[i] = v === null || v === undefined ? "" : String(v)
  }
  return out
}

/** The data columns of a dataframe table (every column but the index), in order. */
export const dataColumnNames = (table: Table): string[] => {
  const index = indexColumnName(table)
  return table.schema.fields.map((f) => f.name).filter((n) => n !== index)
}
