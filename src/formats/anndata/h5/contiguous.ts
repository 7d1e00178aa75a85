/**
 * Where a contiguous, unfiltered HDF5 dataset's bytes are in the file, so numeric reads can go
 * straight from the file into the output array (one copy, like h5py) instead of through the WASM
 * heap (two copies). Found with the object-header reader of `hdf5-objects.ts`; any layout it does
 * not understand (v2 object headers, chunked or compressed data, big-endian or non-numeric types)
 * returns `undefined` and the read goes through h5wasm.
 *
 * @module
 */
import * as fs from "node:fs"
import { FormatError, headerMessages, HFile, MSG_DATATYPE, MSG_FILTERS, MSG_LAYOUT, resolve } from "./hdf5-objects.js"

/** Byte range of a contiguous dataset. */
export interface ContiguousExtent {
  /** File offset of element 0. */
  readonly offset: number
  /** Bytes of data. */
  readonly size: number
}

/**
 * The byte range of the dataset at `path` if it is contiguous, unfiltered, little-endian
 * fixed-point or floating-point with `itemSize`-byte elements and `elements` elements.
 */
export const contiguousExtent = (
  fd: number,
  name: string,
  path: string,
  itemSize: number,
  elements: number
): ContiguousExtent | undefined => {
  try {
    const f = new HFile(fd, name)
    const { messages } = headerMessages(f, resolve(f, path))
    if (messages.some((m) => m.type === MSG_FILTERS)) return undefined
    const dt = messages.find((m) => m.type === MSG_DATATYPE)?.body
    const layout = messages.find((m) => m.type === MSG_LAYOUT)?.body
    if (dt === undefined || layout === undefined) return undefined
    const typeClass = dt[0] & 0x0f
    const bigEndian = (dt[1] & 0x01) !== 0
    if ((typeClass !== 0 && typeClass !== 1) || bigEndian || dt.readUInt32LE(4) !== itemSize) return undefined
    if ((layout[0] !== 3 && layout[0] !== 4) || layout[1] !== 1) return undefined
    const offset = f.addr(layout, 2)
    const size = f.len(layout, 2 + f.offsets)
    if (size !== elements * itemSize) return undefined
    if (offset + size > fs.fstatSync(fd).size) return undefined
    return { offset, size }
  } catch (e) {
    if (e instanceof FormatError || e instanceof RangeError) return undefined
    throw e
  }
}

/** Largest single `readSync` (Node caps reads just under 2 GiB). */
const MAX_READ = 1 << 30

/** Reads `length` bytes at `position` into `into` at `at`, in pieces. */
export const readInto = (fd: number, into: Uint8Array, at: number, length: number, position: number): void => {
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, into, at + done, Math.min(MAX_READ, length - done), position + done)
    if (n <= 0) throw new Error(`unexpected end of file at byte ${position + done}`)
    done += n
  }
}
