/**
 * What `describeFile` returns, in a module of its own: Lamina's root types name it, and this
 * module imports no format library (so a consumer's strict build never reaches zarrita's
 * declarations through it).
 *
 * @module
 */
import type { AnnDataSummary, DataFrameSummary } from "./anndata/describe.js"
import type { FormatName } from "./format-of.js"
import type { ColumnDescription } from "./table/describe.js"

/** What `describeFile` returns. */
export interface FileDescription {
  readonly otype: "DataFrame" | "AnnData" | "array" | "group"
  readonly format: FormatName
  /** `"dataset"` for tables and AnnData (LaminDB's artifact kind). */
  readonly kind?: "dataset"
  /** Rows of a table, `n_obs` of an AnnData. */
  readonly n_observations?: number
  /** Array shape, or `[n_obs, n_vars]`. */
  readonly shape?: ReadonlyArray<number>
  /** Element type of an array. */
  readonly dtype?: string
  /** Columns of a table. */
  readonly columns?: ReadonlyArray<ColumnDescription>
  readonly obs?: DataFrameSummary
  readonly var?: DataFrameSummary
  /** Everything else about an AnnData (X layout, keys of layers, obsm, …, uns). */
  readonly anndata?: AnnDataSummary
  /** Children of a zarr group. */
  readonly keys?: ReadonlyArray<string>
}
