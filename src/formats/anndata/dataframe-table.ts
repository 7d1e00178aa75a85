/**
 * Building an AnnData dataframe table: an index column recorded in the schema metadata (see
 * dataframe-index.ts), then the data columns.
 *
 * @module
 */
import type { Table } from "apache-arrow"
import { buildTable, type ColumnSpec, utf8Vector } from "../table/arrow-build.js"
import { DEFAULT_INDEX, INDEX_KEY } from "./dataframe-index.js"

/**
 * A dataframe table with the given index values (first column, named `name`) and data columns.
 */
export const dataframeTable = (
  index: ReadonlyArray<string>,
  columns: ReadonlyArray<ColumnSpec> = [],
  name: string = DEFAULT_INDEX
): Table =>
  buildTable(
    [{ name, vector: utf8Vector(index) }, ...columns],
    new Map([[INDEX_KEY, name]]),
    index.length
  )

/** A table with only an index `"0"…"n-1"` (what anndata makes when no names are given). */
export const defaultDataframe = (n: number): Table =>
  dataframeTable(Array.from({ length: n }, (_, i) => String(i)))
