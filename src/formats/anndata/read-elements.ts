/**
 * Decoding AnnData's on-disk specification (encoding-types of anndata ≥ 0.8) from any
 * {@link ElementSource}: `anndata`, `raw`, `array`, `csr_matrix`, `csc_matrix`, `dataframe`,
 * `categorical`, `string-array`, `string`, `numeric-scalar`, `nullable-integer`,
 * `nullable-boolean`, `dict`.
 *
 * @module
 */
import { Effect } from "effect"
import { Int16, Int32, Int8, type Table, type Vector } from "apache-arrow"
import { ValidationError } from "../../errors.js"
import { type ColumnSpec, dictionaryVector, validityOf } from "../table/arrow-build.js"
import { type AlignedValue, type AnnData, type Matrix, type UnsDict, type UnsValue, validateAnnData } from "./anndata.js"
import { vectorOfArray } from "./arrow-dtype.js"
import { DEFAULT_INDEX, ENCODING_KEY, INDEX_KEY } from "./dataframe-index.js"
import { DenseArray, type IntegerData, type NumericDType } from "./dense-array.js"
import { type Attrs, type ElementSource, joinPath, type StoreError } from "./element-store.js"
import { buildTable } from "../table/arrow-build.js"
import { SparseMatrix } from "./sparse-matrix.js"

/** Encoding types this module reads. */
export const KNOWN_ENCODINGS = [
  "anndata",
  "raw",
  "array",
  "csr_matrix",
  "csc_matrix",
  "dataframe",
  "categorical",
  "string-array",
  "string",
  "numeric-scalar",
  "nullable-integer",
  "nullable-boolean",
  "dict"
] as const

/** Encodings anndata defines that Lamina does not read (yet). */
const UNSUPPORTED_ENCODINGS = new Set(["rec-array", "awkward-array", "nullable-string-array"])

/** Any decoded element. */
export type Element = UnsValue | AnnData

const invalid = (src: ElementSource, path: string, message: string) =>
  new ValidationError({ message: `${src.name}: element ${path === "" ? "/" : path}: ${message}` })

/** The `encoding-type` attribute of a node, if it has one. */
export const encodingType = (attrs: Attrs): string | undefined => {
  const t = attrs["encoding-type"]
  return typeof t === "string" ? t : undefined
}

const attrStringArray = (value: Attrs[string]): string[] =>
  Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : []

const asInteger = (v: number | bigint | string | boolean): number => typeof v === "bigint" ? Number(v) : Number(v)

/** Reads a node's encoding, failing for unknown encoding-types. */
const encodingAt = (src: ElementSource, path: string) =>
  Effect.gen(function*() {
    const kind = yield* src.kind(path)
    if (kind === undefined) return yield* Effect.fail(invalid(src, path, "does not exist"))
    const attrs = yield* src.attrs(path)
    const type = encodingType(attrs)
    if (type !== undefined && !(KNOWN_ENCODINGS as ReadonlyArray<string>).includes(type)) {
      return yield* Effect.fail(invalid(
        src,
        path,
        UNSUPPORTED_ENCODINGS.has(type)
          ? `encoding-type "${type}" is not supported by Lamina`
          : `unknown encoding-type "${type}" (known: ${KNOWN_ENCODINGS.join(", ")})`
      ))
    }
    return { kind, attrs, type }
  })

/** Reads a CSR/CSC matrix group. */
export const readSparse = (src: ElementSource, path: string, attrs: Attrs, format: "csr" | "csc") =>
  Effect.gen(function*() {
    const shapeAttr = attrs["shape"]
    if (!Array.isArray(shapeAttr) || shapeAttr.length !== 2) {
      return yield* Effect.fail(invalid(src, path, `${format}_matrix needs a 2-element "shape" attribute`))
    }
    const shape: [number, number] = [asInteger(shapeAttr[0]), asInteger(shapeAttr[1])]
    const data = yield* src.read(joinPath(path, "data"))
    const indices = yield* src.read(joinPath(path, "indices"))
    const indptr = yield* src.read(joinPath(path, "indptr"))
    if (data.dtype === "string" || indices.dtype === "string" || indptr.dtype === "string") {
      return yield* Effect.fail(invalid(src, path, `${format}_matrix arrays must be numeric`))
    }
    return new SparseMatrix(
      format,
      shape,
      data.numeric,
      indices.numeric as IntegerData,
      indptr.numeric as IntegerData,
      data.dtype as NumericDType | "bool"
    )
  })

/** Reads a dense array or a CSR/CSC matrix. */
export const readMatrix = (src: ElementSource, path: string): Effect.Effect<Matrix, StoreError> =>
  Effect.gen(function*() {
    const { kind, attrs, type } = yield* encodingAt(src, path)
    if (type === "csr_matrix" || type === "csc_matrix") return yield* readSparse(src, path, attrs, type === "csr_matrix" ? "csr" : "csc")
    if (kind === "array") return yield* src.read(path)
    return yield* Effect.fail(invalid(src, path, `expected a matrix, found encoding-type ${type ?? "(none)"}`))
  })

const codesIndexType = (dtype: string) => dtype === "int8" ? new Int8() : dtype === "int16" ? new Int16() : new Int32()

/** Reads a `categorical` group as an Arrow dictionary vector (code -1 → null). */
const readCategorical = (src: ElementSource, path: string, attrs: Attrs) =>
  Effect.gen(function*() {
    const codes = yield* src.read(joinPath(path, "codes"))
    const categories = yield* src.read(joinPath(path, "categories"))
    if (codes.dtype === "string" || codes.dtype === "bool" || codes.dtype === "float32" || codes.dtype === "float64") {
      return yield* Effect.fail(invalid(src, path, `categorical codes must be integers, got ${codes.dtype}`))
    }
    const ordered = attrs["ordered"]
    const indexType = codesIndexType(codes.dtype)
    let data = codes.numeric
    if (!(data instanceof Int8Array || data instanceof Int16Array || data instanceof Int32Array)) {
      data = Int32Array.from(data as ArrayLike<number>, Number)
    }
    return dictionaryVector(
      indexType,
      data as Int32Array,
      vectorOfArray(categories),
      ordered === true || ordered === 1
    ) as Vector
  })

/** Reads a `nullable-integer` / `nullable-boolean` group as an Arrow vector with nulls. */
const readNullable = (src: ElementSource, path: string) =>
  Effect.gen(function*() {
    const values = yield* src.read(joinPath(path, "values"))
    const mask = yield* src.read(joinPath(path, "mask"))
    if (mask.dtype === "string") return yield* Effect.fail(invalid(src, path, "mask must be boolean"))
    const m = mask.numeric
    return vectorOfArray(values, validityOf(values.size, (i) => m[i] !== 0 && m[i] !== 0n))
  })

/** Reads one dataframe column as an Arrow vector plus field metadata. */
const readColumn = (src: ElementSource, path: string, name: string): Effect.Effect<ColumnSpec, StoreError> =>
  Effect.gen(function*() {
    const { kind, attrs, type } = yield* encodingAt(src, path)
    if (kind === "array") {
      const arr = yield* src.read(path)
      if (arr.ndim !== 1) return yield* Effect.fail(invalid(src, path, `dataframe columns must be 1-D, got shape [${arr.shape.join(", ")}]`))
      return { name, vector: vectorOfArray(arr) }
    }
    switch (type) {
      case "categorical":
        return { name, vector: yield* readCategorical(src, path, attrs) }
      case "nullable-integer":
      case "nullable-boolean":
        return { name, vector: yield* readNullable(src, path), metadata: new Map([[ENCODING_KEY, type]]) }
      default:
        return yield* Effect.fail(invalid(src, path, `cannot be a dataframe column (encoding-type ${type ?? "(none)"})`))
    }
  })

/** Column names of a `dataframe` group (its `column-order`), without the index. */
export const dataframeColumns = (src: ElementSource, path: string): Effect.Effect<ReadonlyArray<string>, StoreError> =>
  Effect.map(src.attrs(path), (attrs) => attrStringArray(attrs["column-order"]))

/**
 * Reads a `dataframe` group as an Arrow table whose first column is the index (named by the
 * `_index` attribute, recorded under `anndata:index` in the schema metadata).
 *
 * @param columns - read only these columns (default: all, in `column-order`)
 */
export const readDataFrame = (
  src: ElementSource,
  path: string,
  columns?: ReadonlyArray<string>
): Effect.Effect<Table, StoreError> =>
  Effect.gen(function*() {
    const { attrs, type, kind } = yield* encodingAt(src, path)
    if (kind !== "group" || (type !== undefined && type !== "dataframe")) {
      return yield* Effect.fail(invalid(src, path, `expected a dataframe, found encoding-type ${type ?? kind}`))
    }
    const indexName = typeof attrs["_index"] === "string" ? attrs["_index"] : DEFAULT_INDEX
    const order = attrStringArray(attrs["column-order"])
    const wanted = columns ?? order
    const missing = wanted.filter((c) => !order.includes(c))
    if (missing.length > 0) {
      return yield* Effect.fail(invalid(src, path, `has no column ${missing.map((c) => JSON.stringify(c)).join(", ")} (columns: ${order.join(", ")})`))
    }
    const index = yield* src.read(joinPath(path, indexName))
    const indexStrings = index.dtype === "string"
      ? index.strings
      : Array.from({ length: index.size }, (_, i) => String(index.at(i)))
    const specs: ColumnSpec[] = [{ name: indexName, vector: vectorOfArray(DenseArray.strings(indexStrings)) }]
    for (const name of wanted) {
      const col = yield* readColumn(src, joinPath(path, name), name)
      if (col.vector.length !== indexStrings.length) {
        return yield* Effect.fail(invalid(src, joinPath(path, name), `has ${col.vector.length} values but the index has ${indexStrings.length}`))
      }
      specs.push(col)
    }
    return buildTable(specs, new Map([[INDEX_KEY, indexName]]), indexStrings.length)
  })

const scalarOf = (arr: DenseArray): UnsValue => {
  const v = arr.at(0)
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v
  return v
}

/** Reads any element: matrices, dataframes, dicts, scalars, categoricals, nullables. */
export const readElement = (src: ElementSource, path: string): Effect.Effect<UnsValue, StoreError> =>
  Effect.gen(function*() {
    const { kind, attrs, type } = yield* encodingAt(src, path)
    switch (type) {
      case "csr_matrix":
      case "csc_matrix":
        return yield* readSparse(src, path, attrs, type === "csr_matrix" ? "csr" : "csc")
      case "dataframe":
        return yield* readDataFrame(src, path)
      case "categorical":
        return yield* readCategorical(src, path, attrs)
      case "nullable-integer":
      case "nullable-boolean":
        return yield* readNullable(src, path)
      case "anndata":
      case "raw":
        return yield* Effect.fail(invalid(src, path, `a nested ${type} cannot be read as a value`))
      default:
        break
    }
    if (kind === "group") return yield* readDict(src, path)
    const arr = yield* src.read(path)
    if (type === "string" || type === "numeric-scalar" || (type === undefined && arr.ndim === 0)) {
      if (arr.size !== 1) return yield* Effect.fail(invalid(src, path, `${type ?? "scalar"} must hold one value`))
      return scalarOf(arr)
    }
    return arr
  })

/** Reads a `dict` group (or a plain group) recursively. */
export const readDict = (src: ElementSource, path: string): Effect.Effect<UnsDict, StoreError> =>
  Effect.gen(function*() {
    const out: Record<string, UnsValue> = {}
    for (const key of yield* src.children(path)) out[key] = yield* readElement(src, joinPath(path, key))
    return out
  })

const readAligned = (src: ElementSource, path: string): Effect.Effect<Record<string, AlignedValue>, StoreError> =>
  Effect.gen(function*() {
    const out: Record<string, AlignedValue> = {}
    if ((yield* src.kind(path)) === undefined) return out
    for (const key of yield* src.children(path)) {
      const child = joinPath(path, key)
      const enc = encodingType(yield* src.attrs(child))
      out[key] = enc === "dataframe" ? yield* readDataFrame(src, child) : yield* readMatrix(src, child)
    }
    return out
  })

const readMatrices = (src: ElementSource, path: string): Effect.Effect<Record<string, Matrix>, StoreError> =>
  Effect.gen(function*() {
    const out: Record<string, Matrix> = {}
    if ((yield* src.kind(path)) === undefined) return out
    for (const key of yield* src.children(path)) out[key] = yield* readMatrix(src, joinPath(path, key))
    return out
  })

/** Reads a whole AnnData container and validates it. */
export const readAnnData = (src: ElementSource): Effect.Effect<AnnData, StoreError> =>
  Effect.gen(function*() {
    const { type } = yield* encodingAt(src, "")
    if (type !== undefined && type !== "anndata") {
      return yield* Effect.fail(invalid(src, "", `expected encoding-type "anndata", found "${type}"`))
    }
    const has = (p: string) => Effect.map(src.kind(p), (k) => k !== undefined)
    const X = (yield* has("X")) ? yield* readMatrix(src, "X") : undefined
    const obs = yield* readDataFrame(src, "obs")
    const var_ = yield* readDataFrame(src, "var")
    let raw: AnnData["raw"]
    if (yield* has("raw")) {
      raw = {
        ...((yield* has("raw/X")) ? { X: yield* readMatrix(src, "raw/X") } : {}),
        var: yield* readDataFrame(src, "raw/var"),
        varm: yield* readAligned(src, "raw/varm")
      }
    }
    const adata: AnnData = {
      ...(X === undefined ? {} : { X }),
      obs,
      var: var_,
      obsm: yield* readAligned(src, "obsm"),
      varm: yield* readAligned(src, "varm"),
      layers: yield* readMatrices(src, "layers"),
      obsp: yield* readMatrices(src, "obsp"),
      varp: yield* readMatrices(src, "varp"),
      uns: (yield* has("uns")) ? yield* readDict(src, "uns") : {},
      ...(raw === undefined ? {} : { raw })
    }
    return yield* validateAnnData(adata, src.name)
  })
