/**
 * {@link ElementSource} over an HDF5 file opened with h5wasm.
 *
 * Contiguous, uncompressed little-endian numeric datasets (what h5py and anndata write for dense
 * arrays and sparse components) are read straight from the file into the output array (see
 * `contiguous.ts`). Everything else goes through h5wasm's C API (`get_dataset_data` into a WASM
 * buffer, one copy out) in blocks of at most `chunkBytes`, so the WASM heap (capped at 2 GiB,
 * never shrinking) stays small whatever the size of the file or the selection. Attributes are
 * read through the C API too, with zeroed buffers (see `readAttr`).
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect, type Scope } from "effect"
import { StorageError, ValidationError } from "../../../errors.js"
import { errorText } from "../../atomic.js"
import { allocate, DenseArray, type DType, itemSize, type NumericData, shapeSize } from "../dense-array.js"
import type { ArrayInfo, Attrs, AttrValue, ElementSource, NodeKind, Region } from "../element-store.js"
import { type ContiguousExtent, contiguousExtent, readInto } from "./contiguous.js"
import { checkHdf5File, type H5Module, h5module, h5try } from "./hdf5.js"

/** Default upper bound on the bytes one h5wasm read call moves through the WASM heap. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024

/** Options for reading HDF5 files. */
export interface H5ReadOptions {
  /** Largest block, in bytes, read through the WASM heap in one call (default 64 MiB). */
  readonly chunkBytes?: number
  /**
   * Read contiguous, uncompressed numeric datasets straight from the file instead of through
   * h5wasm (default `true`; same bytes, one copy fewer).
   */
  readonly direct?: boolean
}

/** An open HDF5 file. */
export interface H5File {
  readonly module: H5Module
  readonly fid: bigint
  readonly path: string
  /** A plain file descriptor for direct reads of contiguous datasets. */
  readonly fd: number
}

type H5Metadata = ReturnType<H5Module["get_dataset_metadata"]>

const H5T_INTEGER = 0, H5T_FLOAT = 1, H5T_STRING = 3, H5T_ENUM = 8

/** Whether an HDF5 enum is h5py's boolean (`FALSE = 0, TRUE = 1`). */
const isBoolEnum = (meta: H5Metadata): boolean => {
  const members = meta.enum_type?.members
  return members !== undefined && Object.keys(members).length === 2 && members["FALSE"] === 0 && members["TRUE"] === 1
}

const intDType = (size: number, signed: boolean): DType | undefined => {
  const bits = size * 8
  return [8, 16, 32, 64].includes(bits) ? (`${signed ? "int" : "uint"}${bits}` as DType) : undefined
}

/** The AnnData dtype of an HDF5 datatype, or `undefined` if Lamina does not read it. */
export const dtypeOfH5 = (meta: H5Metadata): DType | undefined => {
  switch (meta.type) {
    case H5T_INTEGER:
      return intDType(meta.size, meta.signed)
    case H5T_FLOAT:
      return meta.size === 4 ? "float32" : meta.size === 8 ? "float64" : undefined
    case H5T_ENUM:
      return isBoolEnum(meta) ? "bool" : intDType(meta.size, meta.signed)
    case H5T_STRING:
      return "string"
    default:
      return undefined
  }
}

const toH5Path = (path: string): string => path === "" ? "/" : path.startsWith("/") ? path : `/${path}`

/**
 * Opens an HDF5 file for reading (after checking its signature and size), closing it when the
 * scope closes.
 */
export const openH5File = (path: string): Effect.Effect<H5File, StorageError | ValidationError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkHdf5File(path)
    const module = yield* h5module
    const fd = yield* Effect.acquireRelease(
      Effect.try({
        try: () => fs.openSync(path, "r"),
        catch: (cause) => new StorageError({ message: `Cannot open ${path}: ${errorText(cause)}`, path, cause })
      }),
      (fd) => Effect.sync(() => fs.closeSync(fd))
    )
    return yield* Effect.acquireRelease(
      h5try(path, "", "open the file", () => ({ module, fid: module.open(path, module.H5F_ACC_RDONLY, false, -1, -1), path, fd })),
      (file) => Effect.sync(() => {
        try {
          file.module.close_file(file.fid)
        } catch {
          // closing after an HDF5 error can fail; the handle is gone either way
        }
      })
    )
  })

const attrNumbers = (meta: H5Metadata, bytes: Uint8Array): Array<number | bigint> | undefined => {
  const { size, signed } = meta
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  if (meta.type === H5T_FLOAT) {
    return size === 8 ? [...new Float64Array(buf)] : size === 4 ? [...new Float32Array(buf)] : undefined
  }
  if (meta.type !== H5T_INTEGER && meta.type !== H5T_ENUM) return undefined
  switch (size) {
    case 1:
      return signed ? [...new Int8Array(buf)] : [...new Uint8Array(buf)]
    case 2:
      return signed ? [...new Int16Array(buf)] : [...new Uint16Array(buf)]
    case 4:
      return signed ? [...new Int32Array(buf)] : [...new Uint32Array(buf)]
    case 8:
      return signed ? [...new BigInt64Array(buf)] : [...new BigUint64Array(buf)]
    default:
      return undefined
  }
}

/** The NUL-terminated UTF-8 string at `ptr` in the WASM heap (`""` for a null pointer). */
const cString = (M: H5Module, ptr: number): string => {
  if (ptr === 0) return ""
  const heap = Buffer.from(M.HEAPU8.buffer)
  return heap.toString("utf8", ptr, heap.indexOf(0, ptr))
}

const scalarOrList = <A>(values: A[], meta: H5Metadata): A | A[] => ((meta.shape ?? []).length === 0 ? values[0] : values)

/**
 * Reads one attribute through the C API. The buffer is zeroed first and vlen memory is reclaimed
 * only after a successful read: reclaiming pointers a failed read never wrote aborts the WASM
 * runtime (which is what h5wasm's own `get_attribute` does on corrupt files).
 */
const readAttr = (file: H5File, p: string, name: string): AttrValue => {
  const M = file.module
  const meta = M.get_attribute_metadata(file.fid, p, name)
  if (meta.shape === null) return null
  const n = Math.max(meta.total_size, 0)
  const elem = meta.type === H5T_STRING && meta.vlen ? 4 : meta.size
  const nbytes = Math.max(n * elem, 8)
  const ptr = M._malloc(nbytes)
  if (ptr === 0) throw new Error(`cannot allocate ${nbytes} bytes in the WASM heap`)
  try {
    M.HEAPU8.fill(0, ptr, ptr + nbytes)
    M.get_attribute_data(file.fid, p, name, BigInt(ptr))
    if (meta.type === H5T_STRING) {
      let strings: string[]
      if (meta.vlen) {
        const ptrs = new Uint32Array(M.HEAPU8.buffer, ptr, n).slice()
        strings = Array.from(ptrs, (q) => cString(M, q))
        M.reclaim_vlen_memory(file.fid, p, name, BigInt(ptr))
      } else {
        const bytes = M.HEAPU8.slice(ptr, ptr + n * elem)
        const decoder = new TextDecoder()
        strings = Array.from({ length: n }, (_, i) => {
          const cell = bytes.subarray(i * elem, (i + 1) * elem)
          const nul = cell.indexOf(0)
          return decoder.decode(nul >= 0 ? cell.subarray(0, nul) : cell).replace(/ +$/, "")
        })
      }
      return scalarOrList(strings, meta)
    }
    const nums = attrNumbers(meta, M.HEAPU8.slice(ptr, ptr + n * elem))
    if (nums === undefined) return null
    if (isBoolEnum(meta)) return scalarOrList(nums.map((v) => Number(v) !== 0), meta)
    const plain = nums.map((v) => (typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v))
    if ((meta.shape ?? []).length === 0) return plain[0] ?? null
    return plain.map(Number)
  } finally {
    M._free(ptr)
  }
}

/** Reads every attribute of an HDF5 object. */
const readAttrs = (file: H5File, path: string): Attrs => {
  const p = toH5Path(path)
  const out: Record<string, AttrValue> = {}
  for (const name of file.module.get_attribute_names(file.fid, p)) out[name] = readAttr(file, p, name)
  return out
}

/** Splits `region` into blocks of at most `maxBytes` (whole rows when possible). */
const blocksOf = (region: Region, rowBytes: number, maxBytes: number): Region[] => {
  const [r0, r1] = region[0]
  if (rowBytes <= maxBytes || region.length < 2) {
    const rowsPer = Math.max(1, Math.floor(maxBytes / Math.max(rowBytes, 1)))
    const out: Region[] = []
    for (let r = r0; r < r1; r += rowsPer) out.push([[r, Math.min(r1, r + rowsPer)], ...region.slice(1)])
    return out
  }
  // one row is larger than a block: split it along the next dimension
  const innerRowBytes = rowBytes / (region[1][1] - region[1][0])
  const out: Region[] = []
  for (let r = r0; r < r1; r++) {
    for (const inner of blocksOf(region.slice(1), innerRowBytes, maxBytes)) out.push([[r, r + 1], ...inner])
  }
  return out
}

const extents = (region: Region): number[] => region.map(([a, b]) => b - a)

/** Flat C-order offset of `start` (a point) inside a region of shape `dims`. */
const flatOffset = (start: ReadonlyArray<number>, origin: Region, dims: ReadonlyArray<number>): number => {
  let off = 0
  for (let d = 0; d < dims.length; d++) off = off * dims[d] + (start[d] - origin[d][0])
  return off
}

/**
 * Reads a region of a contiguous dataset straight from the file: the region is cut into runs
 * that are contiguous both on disk and in the output (whole rows when the trailing dimensions
 * are complete), each one `readSync` into the output array.
 */
const readDirect = (
  file: H5File,
  extent: ContiguousExtent,
  shape: ReadonlyArray<number>,
  dtype: Exclude<DType, "string">,
  region: Region
): NumericData => {
  const size = itemSize(dtype)
  const dims = extents(region)
  const out = allocate(dtype, shapeSize(dims))
  if (out.length === 0) return out
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  const nd = shape.length
  // k: first dimension from which the region is one contiguous run (all later dims complete)
  let k = nd - 1
  while (k > 0 && region[k][0] === 0 && region[k][1] === shape[k]) k--
  const strides = new Array<number>(nd)
  strides[nd - 1] = 1
  for (let d = nd - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1]
  const runElems = (region[k][1] - region[k][0]) * strides[k]
  const runBytes = runElems * size
  const outer = region.slice(0, k).map(([a]) => a)
  let at = 0
  for (;;) {
    let elem = region[k][0] * strides[k]
    for (let d = 0; d < k; d++) elem += outer[d] * strides[d]
    readInto(file.fd, outBytes, at, runBytes, extent.offset + elem * size)
    at += runBytes
    let d = k - 1
    while (d >= 0 && ++outer[d] === region[d][1]) {
      outer[d] = region[d][0]
      d--
    }
    if (d < 0) break
  }
  return out
}

const readNumeric = (
  file: H5File,
  p: string,
  dtype: Exclude<DType, "string">,
  region: Region | undefined,
  chunkBytes: number
): NumericData => {
  const M = file.module
  const size = itemSize(dtype)
  if (region === undefined) {
    // scalar dataset
    const ptr = M._malloc(Math.max(size, 8))
    try {
      M.get_dataset_data(file.fid, p, null, null, null, BigInt(ptr))
      const out = allocate(dtype, 1)
      new Uint8Array(out.buffer).set(M.HEAPU8.subarray(ptr, ptr + size))
      return out
    } finally {
      M._free(ptr)
    }
  }
  const dims = extents(region)
  const total = shapeSize(dims)
  const out = allocate(dtype, total)
  if (total === 0) return out
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  const rowBytes = shapeSize(dims.slice(1)) * size
  const blocks = blocksOf(region, rowBytes, chunkBytes)
  const maxBlock = Math.max(...blocks.map((b) => shapeSize(extents(b)))) * size
  const ptr = M._malloc(maxBlock)
  if (ptr === 0) throw new Error(`cannot allocate ${maxBlock} bytes in the WASM heap`)
  try {
    for (const block of blocks) {
      const count = extents(block)
      const nbytes = shapeSize(count) * size
      M.get_dataset_data(file.fid, p, count.map(BigInt), block.map(([a]) => BigInt(a)), count.map(() => 1n), BigInt(ptr))
      const at = flatOffset(block.map(([a]) => a), region, dims) * size
      outBytes.set(M.HEAPU8.subarray(ptr, ptr + nbytes), at)
    }
  } finally {
    M._free(ptr)
  }
  return out
}

const STRPAD_SPACEPAD = 2

const readStrings = (
  file: H5File,
  p: string,
  meta: H5Metadata,
  region: Region | undefined,
  chunkBytes: number
): string[] => {
  const M = file.module
  const dims = region === undefined ? [] : extents(region)
  const total = shapeSize(dims)
  const out = new Array<string>(total)
  if (total === 0) return out
  const elem = meta.vlen ? 4 : meta.size
  // vlen strings live on the heap too: budget ~64 bytes per string
  const perElementBudget = meta.vlen ? 64 : elem
  const blocks = region === undefined
    ? [undefined]
    : blocksOf(region, shapeSize(dims.slice(1)) * perElementBudget, chunkBytes)
  const decoder = new TextDecoder()
  for (const block of blocks) {
    const count = block === undefined ? [1] : extents(block)
    const n = shapeSize(count)
    const ptr = M._malloc(Math.max(n * elem, 8))
    if (ptr === 0) throw new Error(`cannot allocate ${n * elem} bytes in the WASM heap`)
    try {
      M.HEAPU8.fill(0, ptr, ptr + Math.max(n * elem, 8))
      const countArg = block === undefined ? null : count.map(BigInt)
      const offsetArg = block === undefined ? null : block.map(([a]) => BigInt(a))
      const strideArg = block === undefined ? null : count.map(() => 1n)
      M.get_dataset_data(file.fid, p, countArg, offsetArg, strideArg, BigInt(ptr))
      const at = block === undefined || region === undefined ? 0 : flatOffset(block.map(([a]) => a), region, dims)
      if (meta.vlen) {
        const ptrs = new Uint32Array(M.HEAPU8.buffer, ptr, n).slice()
        const heap = Buffer.from(M.HEAPU8.buffer)
        for (let i = 0; i < n; i++) out[at + i] = ptrs[i] === 0 ? "" : heap.toString("utf8", ptrs[i], heap.indexOf(0, ptrs[i]))
        if (block === undefined) M.reclaim_vlen_memory(file.fid, p, "", BigInt(ptr))
        else M.reclaim_vlen_memory_count(file.fid, p, "", BigInt(ptr), count.map(BigInt))
      } else {
        const bytes = M.HEAPU8.slice(ptr, ptr + n * elem)
        const spacePad = meta.strpad === STRPAD_SPACEPAD
        for (let i = 0; i < n; i++) {
          let end = (i + 1) * elem
          const start = i * elem
          const nul = bytes.subarray(start, end).indexOf(0)
          if (nul >= 0) end = start + nul
          let s = decoder.decode(bytes.subarray(start, end))
          if (spacePad) s = s.replace(/ +$/, "")
          out[at + i] = s
        }
      }
    } finally {
      M._free(ptr)
    }
  }
  return out
}

/** An {@link ElementSource} over an open HDF5 file. */
export const h5Source = (file: H5File, options: H5ReadOptions = {}): ElementSource => {
  const chunkBytes = Math.max(1, options.chunkBytes ?? DEFAULT_CHUNK_BYTES)
  const M = file.module
  const extents_ = new Map<string, ContiguousExtent | undefined>()
  const extentOf = (path: string, shape: ReadonlyArray<number>, dtype: Exclude<DType, "string">) => {
    if (options.direct === false || dtype === "bool" || shape.length === 0) return undefined
    if (!extents_.has(path)) extents_.set(path, contiguousExtent(file.fd, file.path, toH5Path(path), itemSize(dtype), shapeSize(shape)))
    return extents_.get(path)
  }
  const info = (path: string) =>
    Effect.flatMap(
      h5try(file.path, path, "read the dataset metadata", () => M.get_dataset_metadata(file.fid, toH5Path(path))),
      (meta) => {
        const dtype = dtypeOfH5(meta)
        return dtype === undefined
          ? Effect.fail(new ValidationError({
            message: `${file.path}: element ${path}: HDF5 datatype (class ${meta.type}, ${meta.size} bytes) is not supported`
          }))
          : Effect.succeed({ meta, info: { shape: meta.shape ?? [], dtype } satisfies ArrayInfo })
      }
    )
  return {
    name: file.path,
    kind: (path) =>
      h5try(file.path, path, "look up the element", (): NodeKind | undefined => {
        const t = M.get_type(file.fid, toH5Path(path))
        return t === M.H5G_GROUP ? "group" : t === M.H5G_DATASET ? "array" : undefined
      }),
    attrs: (path) => h5try(file.path, path, "read the attributes", () => readAttrs(file, path)),
    children: (path) =>
      h5try(file.path, path, "list the group", () => [...M.get_names(file.fid, toH5Path(path), false)].sort()),
    info: (path) => Effect.map(info(path), (r) => r.info),
    read: (path, region) =>
      Effect.flatMap(info(path), ({ meta, info: { shape, dtype } }) => {
        const full: Region | undefined = shape.length === 0 ? undefined : shape.map((n) => [0, n] as const)
        const reg = region ?? full
        if (reg !== undefined && (reg.length !== shape.length || reg.some(([a, b], d) => a < 0 || b > shape[d] || a > b))) {
          return Effect.fail(new ValidationError({
            message: `${file.path}: element ${path}: region ${JSON.stringify(reg)} is outside shape [${shape.join(", ")}]`
          }))
        }
        const outShape = reg === undefined ? [] : extents(reg)
        return h5try(file.path, path, "read the dataset", () => {
          if (dtype === "string") return new DenseArray("string", readStrings(file, toH5Path(path), meta, reg, chunkBytes), outShape)
          const extent = reg === undefined ? undefined : extentOf(path, shape, dtype)
          return extent !== undefined && reg !== undefined
            ? new DenseArray(dtype, readDirect(file, extent, shape, dtype, reg), outShape)
            : new DenseArray(dtype, readNumeric(file, toH5Path(path), dtype, reg, chunkBytes), outShape)
        })
      })
  }
}
