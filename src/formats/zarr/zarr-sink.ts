/**
 * {@link ElementSink} writing zarr **v2** (what Python zarr 2.x and anndata 0.8 read): Lamina
 * writes `.zgroup`/`.zarray`/`.zattrs` JSON and the chunks itself (zarrita only creates v3).
 * Strings are `|O` arrays with the `vlen-utf8` filter; booleans `|b1`; chunks are compressed with
 * zlib (default, level 1), gzip, or not at all. `finish` writes consolidated metadata
 * (`.zmetadata`) so stores without listing (S3, HTTP) can be read back.
 *
 * @module
 */
import type { AbsolutePath } from "@zarrita/storage"
import { Effect } from "effect"
import { StorageError } from "../../errors.js"
import { errorText } from "../atomic.js"
import { type DenseArray, type DType, itemSize, type NumericData, shapeSize } from "../anndata/dense-array.js"
import type { Attrs, ElementSink } from "../anndata/element-store.js"
import { compressAsync, encodeVlenUtf8 } from "./codecs.js"
import type { WritableZarrStore } from "./store.js"

/** Chunk compression for zarr writes. */
export type ZarrCompressor = "zlib" | "gzip" | "none"

/** Options for writing zarr. */
export interface ZarrWriteOptions {
  /** Chunk compressor (default `"zlib"`). */
  readonly compressor?: ZarrCompressor
  /** Compression level 1–9 (default 1: fast). */
  readonly level?: number
  /** Target uncompressed bytes per chunk (default 4 MiB). */
  readonly chunkBytes?: number
  /** Chunks written concurrently (default 4). */
  readonly concurrency?: number
}

/** A zarr sink; call `finish` after the last element. */
export interface ZarrSink extends ElementSink {
  /** Writes consolidated metadata (`.zmetadata`). */
  readonly finish: () => Effect.Effect<void, StorageError>
}

const NUMPY_DTYPE: Readonly<Record<Exclude<DType, "string">, string>> = {
  int8: "|i1",
  int16: "<i2",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
  uint16: "<u2",
  uint32: "<u4",
  uint64: "<u8",
  float32: "<f4",
  float64: "<f8",
  bool: "|b1"
}

const jsonAttrs = (attrs: Attrs): Record<string, unknown> =>
  Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]))

const encodeJson = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value, null, 4))

/** Chunk shape: whole trailing dimensions when a row fits, about `target` bytes per chunk. */
export const zarrChunkShape = (shape: ReadonlyArray<number>, size: number, target: number): number[] => {
  if (shape.length === 0) return []
  const rowBytes = shapeSize(shape.slice(1)) * size
  if (rowBytes <= target || shape.length === 1) {
    return [Math.max(1, Math.min(shape[0], Math.floor(target / Math.max(rowBytes, 1)))), ...shape.slice(1).map((n) => Math.max(1, n))]
  }
  return [1, ...zarrChunkShape(shape.slice(1), size, target)]
}

/** Grid positions of every chunk. */
const chunkGrid = (shape: ReadonlyArray<number>, chunks: ReadonlyArray<number>): number[][] => {
  if (shape.length === 0) return [[]]
  const counts = shape.map((n, d) => Math.ceil(n / chunks[d]))
  if (counts.some((c) => c === 0)) return []
  const out: number[][] = []
  const idx = counts.map(() => 0)
  for (;;) {
    out.push([...idx])
    let d = counts.length - 1
    while (d >= 0 && ++idx[d] === counts[d]) idx[d--] = 0
    if (d < 0) return out
  }
}

/** Copies one chunk (padded to the full chunk shape, as zarr v2 stores edge chunks). */
const extractChunk = <T>(
  src: { length: number; [i: number]: T },
  make: (n: number) => { [i: number]: T },
  shape: ReadonlyArray<number>,
  chunks: ReadonlyArray<number>,
  at: ReadonlyArray<number>,
  copyRow: (dst: { [i: number]: T }, dstAt: number, srcAt: number, n: number) => void
) => {
  const nd = shape.length
  const out = make(shapeSize(chunks))
  if (nd === 0) {
    out[0] = src[0]
    return out
  }
  const start = at.map((c, d) => c * chunks[d])
  const extent = start.map((s, d) => Math.max(0, Math.min(chunks[d], shape[d] - s)))
  const srcStrides = new Array<number>(nd)
  const dstStrides = new Array<number>(nd)
  srcStrides[nd - 1] = 1
  dstStrides[nd - 1] = 1
  for (let d = nd - 2; d >= 0; d--) {
    srcStrides[d] = srcStrides[d + 1] * shape[d + 1]
    dstStrides[d] = dstStrides[d + 1] * chunks[d + 1]
  }
  const rowLen = extent[nd - 1]
  const outer = extent.slice(0, nd - 1)
  const idx = outer.map(() => 0)
  if (outer.some((n) => n === 0) || rowLen === 0) return out
  for (;;) {
    let s = start[nd - 1], t = 0
    for (let d = 0; d < nd - 1; d++) {
      s += (start[d] + idx[d]) * srcStrides[d]
      t += idx[d] * dstStrides[d]
    }
    copyRow(out, t, s, rowLen)
    let d = outer.length - 1
    while (d >= 0 && ++idx[d] === outer[d]) idx[d--] = 0
    if (d < 0) return out
  }
}

/** Creates a zarr v2 sink over `store`. `name` is used in error messages. */
export const zarrSink = (store: WritableZarrStore, name: string, options: ZarrWriteOptions = {}): ZarrSink => {
  const compressor = options.compressor ?? "zlib"
  const level = options.level ?? 1
  const target = options.chunkBytes ?? 4 * 1024 * 1024
  const concurrency = options.concurrency ?? 4
  const metadata = new Map<string, unknown>()

  const put = (path: string, key: string, bytes: Uint8Array) =>
    Effect.tryPromise({
      try: () => store.set((path === "" ? `/${key}` : `/${path}/${key}`) as AbsolutePath, bytes),
      catch: (cause) =>
        new StorageError({ message: `${name}: cannot write ${path === "" ? "" : `${path}/`}${key}: ${errorText(cause)}`, path: name, cause })
    })
  const putJson = (path: string, key: string, value: unknown) => {
    metadata.set(path === "" ? key : `${path}/${key}`, value)
    return put(path, key, encodeJson(value))
  }
  const compressChunk = (bytes: Uint8Array) =>
    compressor === "none"
      ? Effect.succeed(bytes)
      : Effect.tryPromise({
        try: () => compressAsync(compressor, bytes, level),
        catch: (cause) => new StorageError({ message: `${name}: cannot compress a chunk: ${errorText(cause)}`, path: name, cause })
      })

  const writeArray = (path: string, array: DenseArray, attrs: Attrs) =>
    Effect.gen(function*() {
      const shape = array.shape
      const isString = array.dtype === "string"
      const size = isString ? 16 : itemSize(array.dtype as Exclude<DType, "string">)
      const chunks = zarrChunkShape(shape, size, target)
      yield* putJson(path, ".zarray", {
        chunks,
        compressor: compressor === "none" ? null : { id: compressor, level },
        dtype: isString ? "|O" : NUMPY_DTYPE[array.dtype as Exclude<DType, "string">],
        fill_value: isString ? null : array.dtype === "bool" ? false : 0,
        filters: isString ? [{ id: "vlen-utf8" }] : null,
        order: "C",
        shape,
        zarr_format: 2,
        dimension_separator: "."
      })
      yield* putJson(path, ".zattrs", jsonAttrs(attrs))
      const grid = chunkGrid(shape, chunks)
      yield* Effect.forEach(
        grid,
        (at) =>
          Effect.suspend(() => {
            let raw: Uint8Array
            if (isString) {
              const strings = array.strings
              const out = extractChunk<string>(
                strings as unknown as { length: number; [i: number]: string },
                (n) => new Array<string>(n).fill(""),
                shape,
                chunks,
                at,
                (dst, t, s, n) => {
                  for (let i = 0; i < n; i++) dst[t + i] = strings[s + i]
                }
              ) as string[]
              raw = encodeVlenUtf8(out)
            } else {
              const data = array.numeric
              const Ctor = data.constructor as new(n: number) => NumericData
              const out = extractChunk<number | bigint>(
                data as unknown as { length: number; [i: number]: number | bigint },
                (n) => new Ctor(n) as unknown as { [i: number]: number | bigint },
                shape,
                chunks,
                at,
                (dst, t, s, n) => (dst as unknown as NumericData).set(data.subarray(s, s + n) as never, t)
              ) as unknown as NumericData
              raw = new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
            }
            return Effect.flatMap(compressChunk(raw), (bytes) => put(path, shape.length === 0 ? "0" : at.join("."), bytes))
          }),
        { concurrency, discard: true }
      )
    })

  return {
    name,
    createGroup: (path, attrs) =>
      Effect.gen(function*() {
        yield* putJson(path, ".zgroup", { zarr_format: 2 })
        yield* putJson(path, ".zattrs", jsonAttrs(attrs))
      }),
    writeArray,
    finish: () =>
      put("", ".zmetadata", encodeJson({ metadata: Object.fromEntries(metadata), zarr_consolidated_format: 1 }))
  }
}
