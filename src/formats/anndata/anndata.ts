/**
 * The AnnData value: an annotated `n_obs × n_vars` matrix with observation/variable tables and
 * aligned or unstructured extras, mirroring Python's `anndata.AnnData`.
 *
 * - `X`, `layers[k]`: `n_obs × n_vars` matrices (dense or CSR/CSC)
 * - `obs` / `var`: Arrow tables, one row per observation/variable, index kept as a named column
 *   (see `dataframe-index.ts`); categoricals are Arrow dictionary vectors
 * - `obsm[k]` / `varm[k]`: `n_obs × …` / `n_vars × …` matrices or dataframes
 * - `obsp[k]` / `varp[k]`: `n_obs × n_obs` / `n_vars × n_vars` matrices
 * - `uns`: nested dict of scalars, strings, arrays, tables
 *
 * @module
 */
import { Effect } from "effect"
import { type Table, type Vector } from "apache-arrow"
import { ValidationError } from "../../errors.js"
import { defaultDataframe } from "./dataframe-table.js"
import { DenseArray } from "./dense-array.js"
import { SparseMatrix } from "./sparse-matrix.js"

/** A dense or sparse matrix. */
export type Matrix = DenseArray | SparseMatrix

/** Values an aligned mapping (`obsm`, `varm`) may hold. */
export type AlignedValue = Matrix | Table

/** Scalars in `uns`. Numeric scalars read back as `number` (`bigint` past 2^53). */
export type UnsScalar = string | number | bigint | boolean

/**
 * A value in `uns`. Plain JS arrays are accepted when writing (strings, numbers or booleans) and
 * read back as {@link DenseArray}; a categorical or nullable array outside a dataframe reads as
 * an Arrow vector.
 */
export type UnsValue =
  | UnsScalar
  | DenseArray
  | SparseMatrix
  | Table
  | Vector
  | ReadonlyArray<string>
  | ReadonlyArray<number>
  | ReadonlyArray<boolean>
  | UnsDict

/** A nested dict in `uns`. */
export interface UnsDict {
  readonly [key: string]: UnsValue
}

/** `adata.raw`: a frozen earlier state of `X` and `var`. */
export interface AnnDataRaw {
  readonly X?: Matrix
  readonly var: Table
  readonly varm: Readonly<Record<string, AlignedValue>>
}

/** An AnnData object. */
export interface AnnData {
  readonly X?: Matrix
  readonly obs: Table
  readonly var: Table
  readonly obsm: Readonly<Record<string, AlignedValue>>
  readonly varm: Readonly<Record<string, AlignedValue>>
  readonly layers: Readonly<Record<string, Matrix>>
  readonly obsp: Readonly<Record<string, Matrix>>
  readonly varp: Readonly<Record<string, Matrix>>
  readonly uns: UnsDict
  readonly raw?: AnnDataRaw
}

/** What {@link makeAnnData} accepts: everything optional, like `anndata.AnnData(...)`. */
export interface AnnDataInit {
  readonly X?: Matrix
  readonly obs?: Table
  readonly var?: Table
  readonly obsm?: Readonly<Record<string, AlignedValue>>
  readonly varm?: Readonly<Record<string, AlignedValue>>
  readonly layers?: Readonly<Record<string, Matrix>>
  readonly obsp?: Readonly<Record<string, Matrix>>
  readonly varp?: Readonly<Record<string, Matrix>>
  readonly uns?: UnsDict
  readonly raw?: AnnDataRaw
}

/** `[rows, columns, …]` of a matrix or the `[rows, columns]` of a table. */
export const shapeOf = (value: AlignedValue): ReadonlyArray<number> =>
  value instanceof DenseArray || value instanceof SparseMatrix
    ? value.shape
    : [value.numRows, value.numCols]

/** `[n_obs, n_vars]`. */
export const annDataShape = (adata: AnnData): readonly [number, number] => [adata.obs.numRows, adata.var.numRows]

const fail = (source: string | undefined, element: string, message: string) =>
  new ValidationError({ message: `${source === undefined ? "" : `${source}: `}${element}: ${message}` })

const checkSparse = (m: SparseMatrix, element: string, source?: string): ValidationError | undefined => {
  const major = m.majorLength
  if (m.indptr.length !== major + 1) {
    return fail(source, element, `${m.format} indptr has ${m.indptr.length} entries, expected ${major + 1}`)
  }
  if (m.indices.length !== m.data.length) {
    return fail(source, element, `${m.format} indices (${m.indices.length}) and data (${m.data.length}) differ in length`)
  }
  const last = Number(m.indptr[major])
  if (last !== m.data.length) {
    return fail(source, element, `${m.format} indptr ends at ${last} but data has ${m.data.length} values`)
  }
  return undefined
}

const checkMatrix = (
  value: AlignedValue,
  element: string,
  expected: ReadonlyArray<number | undefined>,
  names: ReadonlyArray<string>,
  source?: string
): ValidationError | undefined => {
  if (value instanceof SparseMatrix) {
    const bad = checkSparse(value, element, source)
    if (bad !== undefined) return bad
  }
  const shape = shapeOf(value)
  if (value instanceof DenseArray && expected.length === 2 && names[1] !== "" && shape.length !== 2) {
    return fail(source, element, `must be 2-dimensional, got shape [${shape.join(", ")}]`)
  }
  for (let d = 0; d < expected.length; d++) {
    const want = expected[d]
    if (want === undefined) continue
    if (shape[d] !== want) {
      return fail(
        source,
        element,
        `has ${shape[d] ?? 0} ${d === 0 ? "rows" : "columns"} but ${names[d]} has ${want}; ` +
          `they must match (shape [${shape.join(", ")}])`
      )
    }
  }
  return undefined
}

/**
 * Checks that every element is aligned: `X` and layers are `n_obs × n_vars`, `obsm`/`varm`
 * have `n_obs`/`n_vars` rows, `obsp`/`varp` are square, sparse matrices are consistent.
 * Fails with a {@link ValidationError} naming the element (and `source`, e.g. the file).
 */
export const validateAnnData = (adata: AnnData, source?: string): Effect.Effect<AnnData, ValidationError> => {
  const nObs = adata.obs.numRows
  const nVars = adata.var.numRows
  const checks: Array<ValidationError | undefined> = []
  if (adata.X !== undefined) {
    const shape = shapeOf(adata.X)
    if (shape.length !== 2) checks.push(fail(source, "X", `must be 2-dimensional, got shape [${shape.join(", ")}]`))
    else if (shape[0] !== nObs) {
      checks.push(fail(source, "obs", `has ${nObs} rows but X has ${shape[0]} rows; the length of obs must match the rows of X`))
    } else if (shape[1] !== nVars) {
      checks.push(fail(source, "var", `has ${nVars} rows but X has ${shape[1]} columns; the length of var must match the columns of X`))
    } else if (adata.X instanceof SparseMatrix) checks.push(checkSparse(adata.X, "X", source))
  }
  const obsVar = ["obs (n_obs)", "var (n_vars)"]
  for (const [k, v] of Object.entries(adata.layers)) checks.push(checkMatrix(v, `layers/${k}`, [nObs, nVars], obsVar, source))
  for (const [k, v] of Object.entries(adata.obsm)) checks.push(checkMatrix(v, `obsm/${k}`, [nObs], ["obs (n_obs)", ""], source))
  for (const [k, v] of Object.entries(adata.varm)) checks.push(checkMatrix(v, `varm/${k}`, [nVars], ["var (n_vars)", ""], source))
  for (const [k, v] of Object.entries(adata.obsp)) checks.push(checkMatrix(v, `obsp/${k}`, [nObs, nObs], ["obs (n_obs)", "obs (n_obs)"], source))
  for (const [k, v] of Object.entries(adata.varp)) checks.push(checkMatrix(v, `varp/${k}`, [nVars, nVars], ["var (n_vars)", "var (n_vars)"], source))
  if (adata.raw !== undefined && adata.raw.X !== undefined) {
    checks.push(checkMatrix(adata.raw.X, "raw/X", [nObs, adata.raw.var.numRows], ["obs (n_obs)", "raw/var"], source))
  }
  const first = checks.find((c) => c !== undefined)
  return first === undefined ? Effect.succeed(adata) : Effect.fail(first)
}

/**
 * Builds and validates an AnnData like `anndata.AnnData(X, obs, var, …)`: missing `obs`/`var`
 * get an index `"0"…"n-1"` sized from `X`, missing mappings are empty.
 */
export const makeAnnData = (init: AnnDataInit): Effect.Effect<AnnData, ValidationError> => {
  const xShape = init.X === undefined ? undefined : shapeOf(init.X)
  const nObs = init.obs?.numRows ?? xShape?.[0] ?? 0
  const nVars = init.var?.numRows ?? xShape?.[1] ?? 0
  const adata: AnnData = {
    ...(init.X === undefined ? {} : { X: init.X }),
    obs: init.obs ?? defaultDataframe(nObs),
    var: init.var ?? defaultDataframe(nVars),
    obsm: init.obsm ?? {},
    varm: init.varm ?? {},
    layers: init.layers ?? {},
    obsp: init.obsp ?? {},
    varp: init.varp ?? {},
    uns: init.uns ?? {},
    ...(init.raw === undefined ? {} : { raw: init.raw })
  }
  return validateAnnData(adata)
}
