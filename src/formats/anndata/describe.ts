/**
 * Summaries of AnnData containers, read from metadata only (no matrix data).
 *
 * @module
 */
import { Effect } from "effect"
import type { ColumnDescription } from "../table/describe.js"
import { type BackedAnnData, matrixLayout } from "./backed.js"
import { type ElementSource, joinPath, type StoreError } from "./element-store.js"
import { encodingType } from "./read-elements.js"

/** A dataframe (`obs`, `var`) summary. */
export interface DataFrameSummary {
  readonly n: number
  readonly columns: ReadonlyArray<ColumnDescription>
}

/** What {@link describeAnnData} returns. */
export interface AnnDataSummary {
  /** `[n_obs, n_vars]`. */
  readonly shape: readonly [number, number]
  readonly X?: { readonly format: "dense" | "csr" | "csc"; readonly dtype: string }
  readonly obs: DataFrameSummary
  readonly var: DataFrameSummary
  readonly layers: ReadonlyArray<string>
  readonly obsm: ReadonlyArray<string>
  readonly varm: ReadonlyArray<string>
  readonly obsp: ReadonlyArray<string>
  readonly varp: ReadonlyArray<string>
  readonly uns: ReadonlyArray<string>
}

/** The type name of one stored dataframe column (`float64`, `category[string]`, `nullable[int64]`…). */
const columnType = (src: ElementSource, path: string): Effect.Effect<string, StoreError> =>
  Effect.gen(function*() {
    const kind = yield* src.kind(path)
    if (kind === "array") return (yield* src.info(path)).dtype
    const type = encodingType(yield* src.attrs(path))
    if (type === "categorical") return `category[${(yield* src.info(joinPath(path, "categories"))).dtype}]`
    if (type === "nullable-integer" || type === "nullable-boolean") {
      return `nullable[${(yield* src.info(joinPath(path, "values"))).dtype}]`
    }
    return type ?? "unknown"
  })

const summarizeDataFrame = (src: ElementSource, path: string, n: number, columns: ReadonlyArray<string>) =>
  Effect.map(
    Effect.forEach(columns, (name) => Effect.map(columnType(src, joinPath(path, name)), (type) => ({ name, type }))),
    (cols): DataFrameSummary => ({ n, columns: cols })
  )

/** Summarizes an opened AnnData container: shape, X layout, obs/var columns and types, keys. */
export const describeAnnData = (src: ElementSource, backed: BackedAnnData): Effect.Effect<AnnDataSummary, StoreError> =>
  Effect.gen(function*() {
    const X = backed.X === undefined ? undefined : yield* matrixLayout(src, "X")
    return {
      shape: backed.shape,
      ...(X === undefined ? {} : { X: { format: X.format, dtype: X.dtype } }),
      obs: yield* summarizeDataFrame(src, "obs", backed.shape[0], backed.obsKeys),
      var: yield* summarizeDataFrame(src, "var", backed.shape[1], backed.varKeys),
      layers: Object.keys(backed.layers),
      obsm: backed.obsmKeys,
      varm: backed.varmKeys,
      obsp: backed.obspKeys,
      varp: backed.varpKeys,
      uns: backed.unsKeys
    }
  })
