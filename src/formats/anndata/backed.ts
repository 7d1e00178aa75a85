/**
 * Backed AnnData: an open container whose elements are read only when asked for — slices of
 * `X` or a layer, some `obs`/`var` columns, one `uns` entry. Works over any
 * {@link ElementSource} (HDF5 via `openH5ad`, zarr via `openAnnDataZarr`).
 *
 * @module
 */
import { Effect } from "effect"
import { type Table } from "apache-arrow"
import { type InvalidArgument, ValidationError } from "../../errors.js"
import type { AlignedValue, AnnData, Matrix, UnsValue } from "./anndata.js"
import type { DType } from "./dense-array.js"
import { type ElementSource, joinPath, type StoreError } from "./element-store.js"
import {
  dataframeColumns,
  encodingType,
  readAnnData,
  readDataFrame,
  readDict,
  readElement,
  readMatrix
} from "./read-elements.js"
import { type Indexer, type MatrixLayout, sliceMatrix } from "./slicing.js"

/** A matrix left on disk. */
export interface BackedMatrix {
  /** Path of the element in the container (`X`, `layers/counts`, …). */
  readonly path: string
  readonly format: "dense" | "csr" | "csc"
  readonly shape: readonly [number, number]
  readonly dtype: DType
  /**
   * Reads `rows × cols` (each a {@link Range}, a list of positions, or `undefined` for all).
   * Fails with `InvalidArgument` when a selection is out of range.
   */
  readonly slice: (rows?: Indexer, cols?: Indexer) => Effect.Effect<Matrix, InvalidArgument | StoreError>
  /** Reads the whole matrix. */
  readonly read: () => Effect.Effect<Matrix, StoreError>
}

/** An AnnData container opened for partial reads. */
export interface BackedAnnData {
  /** The container (file or folder path). */
  readonly name: string
  /** `[n_obs, n_vars]`. */
  readonly shape: readonly [number, number]
  readonly X: BackedMatrix | undefined
  readonly layers: Readonly<Record<string, BackedMatrix>>
  /** Column names of `obs` / `var` (without the index). */
  readonly obsKeys: ReadonlyArray<string>
  readonly varKeys: ReadonlyArray<string>
  readonly obsmKeys: ReadonlyArray<string>
  readonly varmKeys: ReadonlyArray<string>
  readonly obspKeys: ReadonlyArray<string>
  readonly varpKeys: ReadonlyArray<string>
  readonly unsKeys: ReadonlyArray<string>
  /** `obs` with its index and the given columns (default all). */
  readonly obs: (columns?: ReadonlyArray<string>) => Effect.Effect<Table, StoreError>
  /** `var` with its index and the given columns (default all). */
  readonly var: (columns?: ReadonlyArray<string>) => Effect.Effect<Table, StoreError>
  readonly obsm: (key: string) => Effect.Effect<AlignedValue, StoreError>
  readonly varm: (key: string) => Effect.Effect<AlignedValue, StoreError>
  readonly obsp: (key: string) => Effect.Effect<BackedMatrix, StoreError>
  readonly varp: (key: string) => Effect.Effect<BackedMatrix, StoreError>
  /** One `uns` entry, or all of `uns` without a key. */
  readonly uns: (key?: string) => Effect.Effect<UnsValue, StoreError>
  /** Reads everything into memory. */
  readonly toMemory: () => Effect.Effect<AnnData, StoreError>
}

/** The layout of the matrix at `path` (dense array or CSR/CSC group). */
export const matrixLayout = (src: ElementSource, path: string): Effect.Effect<MatrixLayout, StoreError> =>
  Effect.gen(function*() {
    const kind = yield* src.kind(path)
    const attrs = kind === undefined ? {} : yield* src.attrs(path)
    const type = encodingType(attrs)
    if (kind === "array") {
      const info = yield* src.info(path)
      if (info.shape.length !== 2) {
        return yield* Effect.fail(new ValidationError({ message: `${src.name}: element ${path}: expected a 2-D matrix, got shape [${info.shape.join(", ")}]` }))
      }
      return { format: "dense" as const, shape: [info.shape[0], info.shape[1]] as const, dtype: info.dtype }
    }
    if (kind === "group" && (type === "csr_matrix" || type === "csc_matrix")) {
      const shape = attrs["shape"]
      const info = yield* src.info(joinPath(path, "data"))
      if (Array.isArray(shape) && shape.length === 2) {
        return {
          format: type === "csr_matrix" ? "csr" as const : "csc" as const,
          shape: [Number(shape[0]), Number(shape[1])] as const,
          dtype: info.dtype
        }
      }
    }
    return yield* Effect.fail(new ValidationError({
      message: `${src.name}: element ${path}: expected a matrix (array, csr_matrix or csc_matrix), found ${type ?? kind ?? "nothing"}`
    }))
  })

/** A {@link BackedMatrix} over the matrix at `path`. */
export const backedMatrix = (src: ElementSource, path: string): Effect.Effect<BackedMatrix, StoreError> =>
  Effect.map(matrixLayout(src, path), (layout) => ({
    path,
    ...layout,
    slice: (rows, cols) => sliceMatrix(src, path, layout, rows, cols),
    read: () => readMatrix(src, path)
  }))

const childrenOf = (src: ElementSource, path: string) =>
  Effect.flatMap(src.kind(path), (kind) => (kind === "group" ? src.children(path) : Effect.succeed([] as ReadonlyArray<string>)))

const indexLength = (src: ElementSource, path: string) =>
  Effect.gen(function*() {
    const attrs = yield* src.attrs(path)
    const index = typeof attrs["_index"] === "string" ? attrs["_index"] : "_index"
    const info = yield* src.info(joinPath(path, index))
    return info.shape[0] ?? 0
  })

/** Opens an AnnData container for partial reads (reads only metadata now). */
export const backedAnnData = (src: ElementSource): Effect.Effect<BackedAnnData, StoreError> =>
  Effect.gen(function*() {
    const nObs = yield* indexLength(src, "obs")
    const nVars = yield* indexLength(src, "var")
    const X = (yield* src.kind("X")) === undefined ? undefined : yield* backedMatrix(src, "X")
    const layerKeys = yield* childrenOf(src, "layers")
    const layers: Record<string, BackedMatrix> = {}
    for (const k of layerKeys) layers[k] = yield* backedMatrix(src, joinPath("layers", k))
    const missing = (what: string, key: string) =>
      Effect.fail(new ValidationError({ message: `${src.name}: ${what} has no key ${JSON.stringify(key)}` }))
    const keyed = <A>(group: string, keys: ReadonlyArray<string>, read: (p: string) => Effect.Effect<A, StoreError>) =>
      (key: string) => keys.includes(key) ? read(joinPath(group, key)) : missing(group, key)
    const obsmKeys = yield* childrenOf(src, "obsm")
    const varmKeys = yield* childrenOf(src, "varm")
    const obspKeys = yield* childrenOf(src, "obsp")
    const varpKeys = yield* childrenOf(src, "varp")
    const unsKeys = yield* childrenOf(src, "uns")
    const aligned = (p: string) =>
      Effect.flatMap(src.attrs(p), (attrs): Effect.Effect<AlignedValue, StoreError> =>
        encodingType(attrs) === "dataframe" ? readDataFrame(src, p) : readMatrix(src, p))
    return {
      name: src.name,
      shape: [nObs, nVars] as const,
      X,
      layers,
      obsKeys: yield* dataframeColumns(src, "obs"),
      varKeys: yield* dataframeColumns(src, "var"),
      obsmKeys,
      varmKeys,
      obspKeys,
      varpKeys,
      unsKeys,
      obs: (columns) => readDataFrame(src, "obs", columns),
      var: (columns) => readDataFrame(src, "var", columns),
      obsm: keyed("obsm", obsmKeys, aligned),
      varm: keyed("varm", varmKeys, aligned),
      obsp: keyed("obsp", obspKeys, (p) => backedMatrix(src, p)),
      varp: keyed("varp", varpKeys, (p) => backedMatrix(src, p)),
      uns: (key) =>
        key === undefined
          ? (unsKeys.length === 0 ? Effect.succeed({}) : readDict(src, "uns"))
          : keyed("uns", unsKeys, (p) => readElement(src, p))(key),
      toMemory: () => readAnnData(src)
    }
  })
