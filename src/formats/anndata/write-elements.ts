/**
 * Encoding AnnData into any {@link ElementSink}, following the on-disk specification that
 * anndata 0.8 writes and reads (encoding-types `anndata`, `raw`, `array`, `csr_matrix`,
 * `csc_matrix`, `dataframe`, `categorical`, `string-array`, `string`, `numeric-scalar`,
 * `nullable-integer`, `nullable-boolean`, `dict`).
 *
 * Dataframe columns map from Arrow types: dictionary → `categorical`; integers → `array`, or
 * `nullable-integer` when they have nulls or carry the `anndata:encoding-type` field metadata;
 * booleans likewise (`nullable-boolean`); floats → `array` (nulls become NaN); strings →
 * `string-array`, or `categorical` when they have nulls (anndata 0.8 has no nullable strings).
 *
 * @module
 */
import { Effect } from "effect"
import { DataType, type Field, Table, Vector } from "apache-arrow"
import { ValidationError } from "../../errors.js"
import type { AlignedValue, AnnData, Matrix, UnsDict, UnsValue } from "./anndata.js"
import { arrayOfVector, dtypeOfArrow, nullMaskOf } from "./arrow-dtype.js"
import { dataColumnNames, DEFAULT_INDEX, ENCODING_KEY, indexColumnName, indexValues } from "./dataframe-index.js"
import { DenseArray } from "./dense-array.js"
import { type Attrs, type ElementSink, joinPath, type StoreError } from "./element-store.js"
import { SparseMatrix } from "./sparse-matrix.js"

const enc = (type: string, version: string): Attrs => ({ "encoding-type": type, "encoding-version": version })

const ARRAY = enc("array", "0.2.0")
const STRING_ARRAY = enc("string-array", "0.2.0")
const DICT = enc("dict", "0.1.0")

const invalid = (sink: ElementSink, path: string, message: string) =>
  new ValidationError({ message: `${sink.name}: element ${path}: ${message}` })

/** Writes a dense array (`array` / `string-array`). */
const writeDense = (sink: ElementSink, path: string, array: DenseArray) =>
  sink.writeArray(path, array, array.dtype === "string" ? STRING_ARRAY : ARRAY)

/** Writes a CSR/CSC matrix group. */
const writeSparse = (sink: ElementSink, path: string, m: SparseMatrix) =>
  Effect.gen(function*() {
    yield* sink.createGroup(path, { ...enc(`${m.format}_matrix`, "0.1.0"), shape: [m.shape[0], m.shape[1]] })
    yield* sink.writeArray(joinPath(path, "data"), new DenseArray(m.dtype, m.data, [m.data.length]), {})
    yield* sink.writeArray(joinPath(path, "indices"), DenseArray.of(m.indices), {})
    yield* sink.writeArray(joinPath(path, "indptr"), DenseArray.of(m.indptr), {})
  })

/** Writes a dense or sparse matrix. */
export const writeMatrix = (sink: ElementSink, path: string, m: Matrix): Effect.Effect<void, StoreError> =>
  m instanceof SparseMatrix ? writeSparse(sink, path, m) : writeDense(sink, path, m)

/** Category codes (−1 = missing) of a dictionary vector, and its categories. */
const categoricalParts = (vector: Vector): { codes: DenseArray; categories: DenseArray } | undefined => {
  const type = vector.type
  if (!DataType.isDictionary(type)) return undefined
  const dictionaries = new Set(vector.data.map((d) => d.dictionary))
  const n = vector.length
  if (dictionaries.size <= 1) {
    const dict = vector.data[0]?.dictionary
    const nCats = dict?.length ?? 0
    const codes = nCats < 128 ? new Int8Array(n) : nCats < 32768 ? new Int16Array(n) : new Int32Array(n)
    let pos = 0
    for (const chunk of vector.data) {
      const idx = chunk.values as ArrayLike<number>
      for (let i = 0; i < chunk.length; i++) codes[pos + i] = chunk.getValid(i) ? Number(idx[i]) : -1
      pos += chunk.length
    }
    const dtype = dict === undefined ? "string" : dtypeOfArrow(dict.type)
    if (dtype === undefined) return undefined
    const categories = dict === undefined ? DenseArray.strings([]) : arrayOfVector(dict, dtype)
    return { codes: DenseArray.of(codes), categories }
  }
  // chunks with different dictionaries: re-encode from the values
  return categoricalFromValues(Array.from({ length: n }, (_, i) => {
    const v: unknown = vector.get(i)
    return v === null || v === undefined ? null : String(v)
  }))
}

/** A categorical over sorted unique strings (what pandas' `astype("category")` makes). */
const categoricalFromValues = (values: ReadonlyArray<string | null>) => {
  const cats = [...new Set(values.filter((v): v is string => v !== null))].sort()
  const pos = new Map(cats.map((c, i) => [c, i]))
  const codes = cats.length < 128 ? new Int8Array(values.length) : cats.length < 32768 ? new Int16Array(values.length) : new Int32Array(values.length)
  values.forEach((v, i) => (codes[i] = v === null ? -1 : pos.get(v) ?? -1))
  return { codes: DenseArray.of(codes), categories: DenseArray.strings(cats) }
}

const writeCategorical = (
  sink: ElementSink,
  path: string,
  parts: { codes: DenseArray; categories: DenseArray },
  ordered: boolean
) =>
  Effect.gen(function*() {
    yield* sink.createGroup(path, { ...enc("categorical", "0.2.0"), ordered })
    yield* writeDense(sink, joinPath(path, "codes"), parts.codes)
    yield* writeDense(sink, joinPath(path, "categories"), parts.categories)
  })

const writeNullable = (sink: ElementSink, path: string, type: "nullable-integer" | "nullable-boolean", values: DenseArray, mask: Uint8Array) =>
  Effect.gen(function*() {
    yield* sink.createGroup(path, enc(type, "0.1.0"))
    yield* writeDense(sink, joinPath(path, "values"), values)
    yield* writeDense(sink, joinPath(path, "mask"), DenseArray.bool(mask))
  })

/**
 * Writes one Arrow vector as a standalone element (a dataframe column, or a vector in `uns`).
 * `field` carries the encoding hint in its metadata.
 */
export const writeVector = (
  sink: ElementSink,
  path: string,
  vector: Vector,
  field?: Field
): Effect.Effect<void, StoreError> =>
  Effect.gen(function*() {
    const type = vector.type
    if (DataType.isDictionary(type)) {
      const parts = categoricalParts(vector)
      if (parts === undefined) {
        return yield* Effect.fail(invalid(sink, path, `categories of type ${String(type.dictionary)} are not supported`))
      }
      return yield* writeCategorical(sink, path, parts, type.isOrdered)
    }
    const dtype = dtypeOfArrow(type)
    if (dtype === undefined) {
      return yield* Effect.fail(invalid(
        sink,
        path,
        `Arrow type ${String(type)} cannot be stored in AnnData (use numbers, booleans, strings or dictionaries)`
      ))
    }
    const hint = field?.metadata.get(ENCODING_KEY)
    const mask = nullMaskOf(vector)
    if (dtype === "string") {
      if (mask === undefined) return yield* writeDense(sink, path, arrayOfVector(vector, "string"))
      const values = Array.from({ length: vector.length }, (_, i) => (mask[i] ? null : String(vector.get(i))))
      return yield* writeCategorical(sink, path, categoricalFromValues(values), false)
    }
    const values = arrayOfVector(vector, dtype)
    const nullable = dtype === "bool" ? "nullable-boolean" : dtype.startsWith("float") ? undefined : "nullable-integer"
    if (nullable !== undefined && (mask !== undefined || hint === nullable)) {
      return yield* writeNullable(sink, path, nullable, values, mask ?? new Uint8Array(vector.length))
    }
    return yield* writeDense(sink, path, values)
  })

/**
 * Writes an Arrow table as a `dataframe` group. The index column (see `dataframe-index.ts`) is
 * written as the index; a table without one gets the index `"0"…"n-1"`.
 */
export const writeDataFrame = (sink: ElementSink, path: string, table: Table): Effect.Effect<void, StoreError> =>
  Effect.gen(function*() {
    const indexName = indexColumnName(table) ?? DEFAULT_INDEX
    const columns = dataColumnNames(table)
    yield* sink.createGroup(path, { ...enc("dataframe", "0.2.0"), _index: indexName, "column-order": columns })
    yield* writeDense(sink, joinPath(path, indexName), DenseArray.strings(indexValues(table)))
    for (const name of columns) {
      const idx = table.schema.fields.findIndex((f) => f.name === name)
      const vector = table.getChildAt(idx)
      if (vector === null) continue
      yield* writeVector(sink, joinPath(path, name), vector, table.schema.fields[idx])
    }
  })

const writeScalar = (sink: ElementSink, path: string, value: string | number | bigint | boolean) => {
  if (typeof value === "string") return sink.writeArray(path, DenseArray.strings([value], []), enc("string", "0.2.0"))
  const attrs = enc("numeric-scalar", "0.2.0")
  if (typeof value === "boolean") return sink.writeArray(path, DenseArray.bool([value], []), attrs)
  if (typeof value === "bigint") return sink.writeArray(path, DenseArray.of(BigInt64Array.of(value), []), attrs)
  return sink.writeArray(
    path,
    Number.isSafeInteger(value) ? DenseArray.of(BigInt64Array.of(BigInt(value)), []) : DenseArray.of(Float64Array.of(value), []),
    attrs
  )
}

const denseOfJsArray = (values: ReadonlyArray<unknown>): DenseArray | undefined => {
  if (values.every((v) => typeof v === "string")) return DenseArray.strings(values as string[])
  if (values.every((v) => typeof v === "boolean")) return DenseArray.bool(values as boolean[])
  if (values.every((v) => typeof v === "number")) {
    const nums = values as number[]
    return nums.every(Number.isSafeInteger)
      ? DenseArray.of(BigInt64Array.from(nums, BigInt))
      : DenseArray.of(Float64Array.from(nums))
  }
  return undefined
}

/** Writes any `uns` value (recursively for dicts). */
export const writeElement = (sink: ElementSink, path: string, value: UnsValue): Effect.Effect<void, StoreError> =>
  Effect.suspend((): Effect.Effect<void, StoreError> => {
    if (value === null || value === undefined) {
      return Effect.fail(invalid(sink, path, "is null; AnnData files cannot store null values"))
    }
    if (typeof value === "string" || typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
      return writeScalar(sink, path, value)
    }
    if (value instanceof DenseArray) return writeDense(sink, path, value)
    if (value instanceof SparseMatrix) return writeSparse(sink, path, value)
    if (value instanceof Table) return writeDataFrame(sink, path, value)
    if (value instanceof Vector) return writeVector(sink, path, value)
    if (Array.isArray(value)) {
      const dense = denseOfJsArray(value)
      return dense === undefined
        ? Effect.fail(invalid(sink, path, "arrays must hold only strings, only numbers or only booleans"))
        : writeDense(sink, path, dense)
    }
    return writeDict(sink, path, value as UnsDict)
  })

/** Writes a `dict` group. */
export const writeDict = (sink: ElementSink, path: string, dict: UnsDict): Effect.Effect<void, StoreError> =>
  Effect.gen(function*() {
    yield* sink.createGroup(path, DICT)
    for (const [key, value] of Object.entries(dict)) yield* writeElement(sink, joinPath(path, key), value)
  })

const writeAligned = (sink: ElementSink, path: string, mapping: Readonly<Record<string, AlignedValue>>) =>
  Effect.gen(function*() {
    yield* sink.createGroup(path, DICT)
    for (const [key, value] of Object.entries(mapping)) {
      const p = joinPath(path, key)
      yield* value instanceof Table ? writeDataFrame(sink, p, value) : writeMatrix(sink, p, value)
    }
  })

/** Writes a whole AnnData (the caller validates it first). */
export const writeAnnData = (sink: ElementSink, adata: AnnData): Effect.Effect<void, StoreError> =>
  Effect.gen(function*() {
    yield* sink.createGroup("", enc("anndata", "0.1.0"))
    if (adata.X !== undefined) yield* writeMatrix(sink, "X", adata.X)
    yield* writeDataFrame(sink, "obs", adata.obs)
    yield* writeDataFrame(sink, "var", adata.var)
    yield* writeAligned(sink, "obsm", adata.obsm)
    yield* writeAligned(sink, "varm", adata.varm)
    yield* writeAligned(sink, "layers", adata.layers)
    yield* writeAligned(sink, "obsp", adata.obsp)
    yield* writeAligned(sink, "varp", adata.varp)
    yield* writeDict(sink, "uns", adata.uns)
    if (adata.raw !== undefined) {
      yield* sink.createGroup("raw", enc("raw", "0.1.0"))
      if (adata.raw.X !== undefined) yield* writeMatrix(sink, "raw/X", adata.raw.X)
      yield* writeDataFrame(sink, "raw/var", adata.raw.var)
      yield* writeAligned(sink, "raw/varm", adata.raw.varm)
    }
  })
