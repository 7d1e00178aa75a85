/**
 * Zarr codecs backed by `node:zlib`, registered in zarrita's codec registry so zarrita can both
 * decode (faster than its web-stream fallback) and encode `zlib`/`gzip` chunks; Blosc decoded by
 * the native addon or Lamina's JS decoder (both several times faster than numcodecs' WASM); and
 * a `vlen-utf8` codec that can encode (zarrita's only decodes). Lamina's zarr writer uses the same functions directly.
 *
 * @module
 */
import * as util from "node:util"
import * as zlib from "node:zlib"
import * as zarr from "zarrita"
import { bloscDecodeAsync } from "./blosc.js"

/** Encodes strings in numcodecs' `vlen-utf8` layout: count, then (length, UTF-8 bytes) per item. */
export const encodeVlenUtf8 = (values: ReadonlyArray<string>): Uint8Array => {
  let total = 4
  const encoded = values.map((s) => {
    const b = Buffer.from(s, "utf8")
    total += 4 + b.length
    return b
  })
  const out = Buffer.alloc(total)
  out.writeUInt32LE(values.length, 0)
  let pos = 4
  for (const b of encoded) {
    out.writeUInt32LE(b.length, pos)
    b.copy(out, pos + 4)
    pos += 4 + b.length
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Decodes numcodecs' `vlen-utf8` layout. */
export const decodeVlenUtf8 = (bytes: Uint8Array): string[] => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = buf.readUInt32LE(0)
  const out = new Array<string>(n)
  let pos = 4
  for (let i = 0; i < n; i++) {
    const len = buf.readUInt32LE(pos)
    out[i] = buf.toString("utf8", pos + 4, pos + 4 + len)
    pos += 4 + len
  }
  return out
}

const asBytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/** Compresses with zlib (numcodecs `zlib`) or gzip (numcodecs `gzip`). */
export const compress = (format: "zlib" | "gzip", bytes: Uint8Array, level: number): Uint8Array =>
  asBytes(format === "zlib" ? zlib.deflateSync(bytes, { level }) : zlib.gzipSync(bytes, { level }))

const deflateAsync = util.promisify(zlib.deflate)
const gzipAsync = util.promisify(zlib.gzip)

/** Like {@link compress}, on libuv's thread pool (chunks compress in parallel). */
export const compressAsync = async (format: "zlib" | "gzip", bytes: Uint8Array, level: number): Promise<Uint8Array> =>
  asBytes(await (format === "zlib" ? deflateAsync(bytes, { level }) : gzipAsync(bytes, { level })))

/** Decompresses zlib or gzip. */
export const decompress = (format: "zlib" | "gzip", bytes: Uint8Array): Uint8Array =>
  asBytes(format === "zlib" ? zlib.inflateSync(bytes) : zlib.gunzipSync(bytes))

type CodecLoader = Parameters<typeof zarr.registry.set>[1]

const bytesCodec = (format: "zlib" | "gzip") => ({
  kind: "bytes_to_bytes" as const,
  fromConfig: (config: { level?: number } | undefined) => {
    const level = config?.level ?? 1
    return {
      kind: "bytes_to_bytes" as const,
      encode: (bytes: Uint8Array) => Promise.resolve(compress(format, bytes, level)),
      decode: (bytes: Uint8Array) => Promise.resolve(decompress(format, bytes))
    }
  }
})

const stridesOf = (shape: ReadonlyArray<number>): number[] => {
  const out = new Array<number>(shape.length)
  let s = 1
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s
    s *= shape[d]
  }
  return out
}

const vlenUtf8Codec = {
  kind: "array_to_bytes" as const,
  fromConfig: (_config: unknown, meta: { shape: number[] }) => ({
    kind: "array_to_bytes" as const,
    encode: (chunk: { data: ReadonlyArray<string> }) => encodeVlenUtf8(chunk.data),
    decode: (bytes: Uint8Array) => ({ data: decodeVlenUtf8(bytes), shape: meta.shape, stride: stridesOf(meta.shape) })
  })
}

interface NumcodecsCodec {
  encode(data: Uint8Array): Uint8Array | Promise<Uint8Array>
  decode(data: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/**
 * Blosc: the native c-blosc addon when built, else Lamina's JS decoder (LZ4/zlib inner codecs);
 * numcodecs' WASM for the rest and for encoding.
 */
const bloscCodec = {
  kind: "bytes_to_bytes" as const,
  fromConfig: (config: Record<string, unknown>) => {
    let wasm: Promise<NumcodecsCodec> | undefined
    const numcodecs = () => {
      wasm ??= import("numcodecs/blosc").then((m) => m.default.fromConfig({ id: "blosc", ...config }) as NumcodecsCodec)
      return wasm
    }
    return {
      kind: "bytes_to_bytes" as const,
      encode: async (bytes: Uint8Array) => (await numcodecs()).encode(bytes),
      decode: async (bytes: Uint8Array) => (await bloscDecodeAsync(bytes)) ?? (await numcodecs()).decode(bytes)
    }
  }
}

let registered = false

/** Registers the node:zlib and vlen-utf8 codecs in zarrita's registry (idempotent). */
export const registerNodeCodecs = (): void => {
  if (registered) return
  registered = true
  const loader = (entry: object): CodecLoader => (() => Promise.resolve(entry)) as unknown as CodecLoader
  for (const format of ["zlib", "gzip"] as const) {
    zarr.registry.set(format, loader(bytesCodec(format)))
    zarr.registry.set(`numcodecs.${format}`, loader(bytesCodec(format)))
  }
  zarr.registry.set("blosc", loader(bloscCodec))
  zarr.registry.set("numcodecs.blosc", loader(bloscCodec))
  zarr.registry.set("vlen-utf8", loader(vlenUtf8Codec))
  zarr.registry.set("numcodecs.vlen-utf8", loader(vlenUtf8Codec))
}
