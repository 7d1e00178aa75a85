/**
 * {@link ElementSink} writing an HDF5 file through h5wasm's C API.
 *
 * Booleans are written with a placeholder datatype and recorded as {@link BoolTarget}s, to be
 * rewritten as h5py's boolean enum once the file is closed (see `bool-enum-patch.ts`).
 * Arrays larger than `contiguousLimitBytes` never go through the WASM heap whole: by default they
 * are created with zero rows and recorded as {@link DeferredArray}s, appended to the closed file
 * (see `append-large.ts`); with `largeArrays: "chunked"` they are written as chunked datasets,
 * `blockBytes` at a time.
 *
 * @module
 */
import { Effect } from "effect"
import type { ValidationError } from "../../../errors.js"
import { type DenseArray, type DType, itemSize, type NumericData, shapeSize } from "../dense-array.js"
import type { Attrs, AttrValue, ElementSink } from "../element-store.js"
import type { DeferredArray } from "./append-large.js"
import { type BoolTarget, placeholderDatatype } from "./bool-enum-patch.js"
import { type H5Module, h5try } from "./hdf5.js"

/** Options for writing HDF5 files. */
export interface H5WriteOptions {
  /** Arrays above this size bypass the WASM heap (default 64 MiB). */
  readonly contiguousLimitBytes?: number
  /**
   * How arrays above `contiguousLimitBytes` are written: `"append"` (default) appends their bytes
   * to the closed file as contiguous datasets, like h5py; `"chunked"` writes chunked datasets
   * through h5wasm, `blockBytes` at a time.
   */
  readonly largeArrays?: "append" | "chunked"
  /** Bytes moved through the WASM heap per write call for chunked arrays (default 16 MiB). */
  readonly blockBytes?: number
}

type WriteMetadata = Parameters<H5Module["create_dataset"]>[3]

/** HDF5 datatype description (h5wasm metadata) of a non-string dtype. */
const datatypeOf = (dtype: Exclude<DType, "string">) => {
  if (dtype === "bool") return placeholderDatatype
  const size = itemSize(dtype)
  return {
    type: dtype.startsWith("float") ? 1 : 0,
    size,
    signed: dtype.startsWith("int") || dtype.startsWith("float"),
    vlen: false,
    littleEndian: true
  }
}

const STRING_DATATYPE = { type: 3, size: 4, signed: false, vlen: true, littleEndian: true, cset: 1 }

const toH5Path = (path: string): string => (path === "" ? "/" : `/${path}`)

const bytesOf = (data: NumericData): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

/** Chunk shape for a chunked dataset: whole trailing dimensions, ~1 MiB per chunk. */
const chunkShape = (shape: ReadonlyArray<number>, size: number): number[] => {
  const target = 1 << 20
  const rowBytes = shapeSize(shape.slice(1)) * size
  if (rowBytes <= target || shape.length < 2) {
    return [Math.max(1, Math.min(shape[0], Math.floor(target / Math.max(rowBytes, 1)))), ...shape.slice(1)]
  }
  return [1, ...chunkShape(shape.slice(1), size)]
}

/** Creates an h5wasm sink over an open, writable file. `name` is used in error messages. */
export const h5Sink = (
  M: H5Module,
  fid: bigint,
  name: string,
  boolTargets: BoolTarget[],
  deferred: DeferredArray[],
  options: H5WriteOptions = {}
): ElementSink => {
  const contiguousLimit = options.contiguousLimitBytes ?? 64 * 1024 * 1024
  const blockBytes = Math.max(1, options.blockBytes ?? 16 * 1024 * 1024)

  const withHeap = <A>(bytes: Uint8Array, f: (ptr: number) => A): A => {
    const ptr = M._malloc(Math.max(bytes.length, 8))
    if (ptr === 0) throw new Error(`cannot allocate ${bytes.length} bytes in the WASM heap`)
    try {
      M.HEAPU8.set(bytes, ptr)
      return f(ptr)
    } finally {
      M._free(ptr)
    }
  }

  const meta = (datatype: object, shape: ReadonlyArray<number>, extra: object = {}): WriteMetadata =>
    ({
      ...datatype,
      shape: shape.map(BigInt),
      maxshape: shape.map(BigInt),
      chunks: null,
      compression: 0,
      compression_opts: [],
      track_order: false,
      ...extra
    }) as unknown as WriteMetadata

  const writeAttr = (h5path: string, key: string, value: AttrValue): void => {
    if (value === null) return
    if (typeof value === "string") {
      M.create_vlen_str_attribute(fid, h5path, key, [value], meta(STRING_DATATYPE, []))
      return
    }
    if (typeof value === "boolean" || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "boolean"))) {
      const bools = typeof value === "boolean" ? [value] : (value as boolean[])
      const shape = typeof value === "boolean" ? [] : [bools.length]
      withHeap(Uint8Array.from(bools, (b) => (b ? 1 : 0)), (ptr) =>
        M.create_attribute(fid, h5path, key, BigInt(ptr), meta(placeholderDatatype, shape)))
      boolTargets.push({ path: h5path, attribute: key })
      return
    }
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) {
      M.create_vlen_str_attribute(fid, h5path, key, [...(value as string[])], meta(STRING_DATATYPE, [value.length]))
      return
    }
    const nums = typeof value === "number" || typeof value === "bigint" ? [value] : (value as ReadonlyArray<number>)
    const shape = typeof value === "number" || typeof value === "bigint" ? [] : [nums.length]
    const ints = nums.length > 0 && nums.every((v) => typeof v === "bigint" || Number.isSafeInteger(v))
    const data = ints ? BigInt64Array.from(nums, (v) => BigInt(v)) : Float64Array.from(nums, Number)
    withHeap(bytesOf(data), (ptr) =>
      M.create_attribute(fid, h5path, key, BigInt(ptr), meta(datatypeOf(ints ? "int64" : "float64"), shape)))
  }

  const writeAttrs = (h5path: string, attrs: Attrs): void => {
    for (const [k, v] of Object.entries(attrs)) writeAttr(h5path, k, v)
  }

  const writeNumeric = (h5path: string, array: DenseArray): void => {
    const dtype = array.dtype as Exclude<DType, "string">
    const datatype = datatypeOf(dtype)
    const bytes = bytesOf(array.numeric)
    const shape = array.shape
    if (bytes.length <= contiguousLimit || shape.length === 0 || dtype === "bool") {
      withHeap(bytes, (ptr) => M.create_dataset(fid, h5path, BigInt(ptr), meta(datatype, shape)))
      if (dtype === "bool") boolTargets.push({ path: h5path })
      return
    }
    const size = itemSize(dtype)
    const empty = [0, ...shape.slice(1)]
    if ((options.largeArrays ?? "append") === "append") {
      withHeap(new Uint8Array(8), (ptr) => M.create_dataset(fid, h5path, BigInt(ptr), meta(datatype, empty)))
      deferred.push({ path: h5path, shape, bytes })
      return
    }
    withHeap(new Uint8Array(8), (ptr) =>
      M.create_dataset(fid, h5path, BigInt(ptr), meta(datatype, empty, { maxshape: shape.map(BigInt), chunks: chunkShape(shape, size).map(BigInt) })))
    M.resize_dataset(fid, h5path, shape.map(BigInt))
    const rowBytes = shapeSize(shape.slice(1)) * size
    const rowsPer = Math.max(1, Math.floor(blockBytes / Math.max(rowBytes, 1)))
    const ptr = M._malloc(rowsPer * rowBytes)
    if (ptr === 0) throw new Error(`cannot allocate ${rowsPer * rowBytes} bytes in the WASM heap`)
    try {
      for (let r = 0; r < shape[0]; r += rowsPer) {
        const k = Math.min(rowsPer, shape[0] - r)
        M.HEAPU8.set(bytes.subarray(r * rowBytes, (r + k) * rowBytes), ptr)
        const count = [k, ...shape.slice(1)].map(BigInt)
        const offset = [r, ...shape.slice(1).map(() => 0)].map(BigInt)
        M.set_dataset_data(fid, h5path, count, offset, count.map(() => 1n), BigInt(ptr))
      }
    } finally {
      M._free(ptr)
    }
  }

  return {
    name,
    createGroup: (path, attrs) =>
      h5try(name, path, "create the group", () => {
        const p = toH5Path(path)
        if (path !== "") M.create_group(fid, p, false)
        writeAttrs(p, attrs)
      }),
    writeArray: (path, array, attrs) =>
      h5try(name, path, "write the dataset", () => {
        const p = toH5Path(path)
        if (array.dtype === "string") {
          M.create_vlen_str_dataset(fid, p, [...array.strings], meta(STRING_DATATYPE, array.shape))
        } else {
          writeNumeric(p, array)
        }
        writeAttrs(p, attrs)
      })
  }
}

/** Opens (truncating) a file for writing with h5py's default format bounds (earliest … v110). */
export const createH5File = (M: H5Module, path: string, displayName: string): Effect.Effect<bigint, ValidationError> =>
  h5try(displayName, "", "create the file", () =>
    M.open(path, M.H5F_ACC_TRUNC, false, M.H5F_LIBVER_EARLIEST, M.H5F_LIBVER_V110))
