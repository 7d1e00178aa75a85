/**
 * A Blosc (v1 container) decoder in TypeScript for the chunks Python zarr writes by default
 * (`Blosc(cname="lz4", shuffle=SHUFFLE)`): the fallback when the native decoder
 * (`native-blosc.ts`) is not available. numcodecs' WASM Blosc decodes at ~200 MB/s; this
 * decodes LZ4 blocks and byte-unshuffles in plain JS several times faster. Blocks compressed with
 * zlib go through `node:zlib`; other inner codecs (blosclz, zstd, snappy) and bit-shuffle return
 * `undefined` so the caller can fall back to numcodecs.
 *
 * Container layout (c-blosc 1.x): a 16-byte header (version, versionlz, flags, typesize, nbytes,
 * blocksize, cbytes), then, unless the chunk is stored raw, one int32 offset per block; each
 * block holds `typesize` split streams (or one, for the last block or when not split), each an
 * int32 compressed size then the bytes (stored raw when the size equals the stream length).
 *
 * @module
 */
import * as zlib from "node:zlib"
import { nativeBlosc } from "./native-blosc.js"

/** A chunk that does not decode: truncated, corrupted, or not what its metadata says. */
export class CorruptChunkError extends Error {}

const FLAG_SHUFFLE = 0x01
const FLAG_MEMCPYED = 0x02
const FLAG_BITSHUFFLE = 0x04
const FLAG_DONT_SPLIT = 0x10
const CODEC_LZ4 = 1
const CODEC_ZLIB = 3

/** Decompresses one LZ4 block (`src[start, end)`) into `dst` at `at`; returns the bytes written. */
export const lz4DecodeBlock = (src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): number => {
  let s = start
  let d = at
  while (s < end) {
    const token = src[s++]
    let literals = token >>> 4
    if (literals === 15) {
      let b: number
      do {
        b = src[s++]
        literals += b
      } while (b === 255)
    }
    if (literals > 0) {
      if (literals > 32) dst.set(src.subarray(s, s + literals), d)
      else for (let i = 0; i < literals; i++) dst[d + i] = src[s + i]
      s += literals
      d += literals
    }
    if (s >= end) break
    const offset = src[s] | (src[s + 1] << 8)
    s += 2
    if (offset === 0) throw new CorruptChunkError("lz4: zero match offset")
    let length = token & 15
    if (length === 15) {
      let b: number
      do {
        b = src[s++]
        length += b
      } while (b === 255)
    }
    length += 4
    let from = d - offset
    if (from < at) throw new CorruptChunkError("lz4: match offset before the block start")
    if (length <= 16) {
      // short match (possibly overlapping): byte by byte
      for (let i = 0; i < length; i++) dst[d + i] = dst[from + i]
      d += length
    } else if (offset >= length) {
      dst.copyWithin(d, from, from + length)
      d += length
    } else {
      // overlapping: the bytes from `from` repeat with period `offset`; copy in doubling runs
      const stop = d + length
      while (d < stop) {
        const n = Math.min(d - from, stop - d)
        dst.copyWithin(d, from, from + n)
        d += n
      }
    }
  }
  return d - at
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/** Reverses Blosc's byte shuffle of `n` bytes with element size `typesize`. */
const unshuffle = (typesize: number, src: Uint8Array, srcAt: number, n: number, dst: Uint8Array, dstAt: number): void => {
  const count = Math.floor(n / typesize)
  const aligned = ((src.byteOffset + srcAt) & 3) === 0 && ((dst.byteOffset + dstAt) & 3) === 0
  if (typesize === 4 && LITTLE_ENDIAN && aligned && (count & 3) === 0) {
    // 4 × 4 byte transpose: one 32-bit load per stream yields four output elements
    const q = count >> 2
    const s = new Int32Array(src.buffer, src.byteOffset + srcAt, count)
    const out = new Int32Array(dst.buffer, dst.byteOffset + dstAt, count)
    for (let i = 0; i < q; i++) {
      const w0 = s[i], w1 = s[q + i], w2 = s[2 * q + i], w3 = s[3 * q + i]
      const o = i << 2
      out[o] = (w0 & 0xff) | ((w1 & 0xff) << 8) | ((w2 & 0xff) << 16) | (w3 << 24)
      out[o + 1] = ((w0 >>> 8) & 0xff) | (w1 & 0xff00) | ((w2 & 0xff00) << 8) | ((w3 >>> 8) << 24)
      out[o + 2] = ((w0 >>> 16) & 0xff) | ((w1 >>> 8) & 0xff00) | (w2 & 0xff0000) | ((w3 >>> 16) << 24)
      out[o + 3] = (w0 >>> 24) | ((w1 >>> 16) & 0xff00) | ((w2 >>> 8) & 0xff0000) | (w3 & 0xff000000)
    }
  } else {
    for (let j = 0; j < typesize; j++) {
      const base = srcAt + j * count
      for (let i = 0; i < count; i++) dst[dstAt + i * typesize + j] = src[base + i]
    }
  }
  const rest = n - count * typesize
  for (let i = 0; i < rest; i++) dst[dstAt + count * typesize + i] = src[srcAt + count * typesize + i]
}

const decodeStream = (codec: number, src: Uint8Array, start: number, csize: number, dst: Uint8Array, at: number, size: number): number => {
  if (csize === size) {
    dst.set(src.subarray(start, start + size), at)
    return size
  }
  if (codec === CODEC_LZ4) return lz4DecodeBlock(src, start, start + csize, dst, at)
  const out = zlib.inflateSync(src.subarray(start, start + csize))
  dst.set(out, at)
  return out.length
}

/**
 * Decodes a Blosc chunk, or returns `undefined` when it uses a feature this decoder leaves to
 * numcodecs (bit-shuffle, or an inner codec other than LZ4/zlib). A malformed chunk throws
 * {@link CorruptChunkError}.
 */
export const bloscDecode = (chunk: Uint8Array): Uint8Array | undefined => {
  try {
    return decodeChunk(chunk)
  } catch (e) {
    // offsets read from a damaged header or block table point outside the chunk
    if (e instanceof RangeError) throw new CorruptChunkError(`blosc: ${e.message} (truncated or corrupted chunk?)`)
    throw e
  }
}

const decodeChunk = (chunk: Uint8Array): Uint8Array | undefined => {
  if (chunk.length < 16) throw new CorruptChunkError("blosc: chunk shorter than its header")
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  const flags = chunk[2]
  const typesize = chunk[3]
  const nbytes = view.getUint32(4, true)
  const blocksize = view.getUint32(8, true)
  const out = new Uint8Array(nbytes)
  if (flags & FLAG_MEMCPYED) {
    out.set(chunk.subarray(16, 16 + nbytes))
    return out
  }
  const codec = flags >> 5
  if ((flags & FLAG_BITSHUFFLE) || (codec !== CODEC_LZ4 && codec !== CODEC_ZLIB)) return undefined
  const shuffle = (flags & FLAG_SHUFFLE) !== 0 && typesize > 1
  const dontSplit = (flags & FLAG_DONT_SPLIT) !== 0
  const nblocks = Math.ceil(nbytes / blocksize)
  const tmp = shuffle ? new Uint8Array(blocksize) : out
  for (let k = 0; k < nblocks; k++) {
    const start = k * blocksize
    const bsize = Math.min(blocksize, nbytes - start)
    const leftover = bsize < blocksize
    let pos = view.getInt32(16 + 4 * k, true)
    const nsplits = !dontSplit && !leftover ? typesize : 1
    const neblock = Math.floor(bsize / nsplits)
    let at = shuffle ? 0 : start
    for (let j = 0; j < nsplits; j++) {
      const csize = view.getInt32(pos, true)
      pos += 4
      const written = decodeStream(codec, chunk, pos, csize, tmp, at, neblock)
      if (written !== neblock) throw new CorruptChunkError(`blosc: block ${k} decoded to ${written} bytes, expected ${neblock}`)
      pos += csize
      at += neblock
    }
    if (shuffle) unshuffle(typesize, tmp, 0, bsize, out, start)
  }
  return out
}

/** Rethrows the native decoder's rejection (a malformed chunk) as a {@link CorruptChunkError}. */
export const corrupt = (e: unknown): never => {
  throw new CorruptChunkError(e instanceof Error ? e.message : String(e))
}

/**
 * Decodes a Blosc chunk with the native decoder when it is available (off the main thread,
 * every inner codec), else with {@link bloscDecode}; `undefined` as for {@link bloscDecode}.
 */
export const bloscDecodeAsync = async (chunk: Uint8Array): Promise<Uint8Array | undefined> => {
  const native = nativeBlosc()
  if (native === undefined) return bloscDecode(chunk)
  if (chunk.length < 16) throw new CorruptChunkError("blosc: chunk shorter than its header")
  const out = new Uint8Array(new DataView(chunk.buffer, chunk.byteOffset, 16).getUint32(4, true))
  await native.bloscDecode(chunk, out).catch(corrupt)
  return out
}
