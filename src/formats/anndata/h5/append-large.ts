/**
 * Writing large arrays as contiguous HDF5 datasets without passing them through the WASM heap.
 *
 * h5wasm writes a dataset's data in the same call that creates it, so an array must fit in the
 * WASM heap (≤ 2 GiB, and the heap never shrinks). For large arrays Lamina instead lets h5wasm
 * create the dataset with zero rows (contiguous layout, no storage allocated), closes the file,
 * then appends the array's bytes at the end of the file and points the dataset at them: the
 * dataspace's first dimension, the layout message's address and size, and the superblock's
 * end-of-file address are rewritten in place (all fixed-size fields). The result is the same
 * contiguous layout h5py writes, at the speed of a sequential file write.
 *
 * @module
 */
import * as fs from "node:fs"
import { FormatError, headerMessages, HFile, MSG_LAYOUT, resolve } from "./hdf5-objects.js"

/** A dataset created with zero rows, whose data is appended after the file is closed. */
export interface DeferredArray {
  /** HDF5 path of the dataset. */
  readonly path: string
  /** Full shape (the dataset was created with `shape[0] = 0`). */
  readonly shape: ReadonlyArray<number>
  /** The array's bytes, C order, little-endian. */
  readonly bytes: Uint8Array
}

const MSG_DATASPACE = 0x0001
const MAX_WRITE = 1 << 30

const writeAll = (fd: number, bytes: Uint8Array, position: number): void => {
  let done = 0
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, Math.min(MAX_WRITE, bytes.length - done), position + done)
    done += n
  }
}

const putUint = (buf: Buffer, at: number, size: number, value: number): void => {
  if (size === 8) buf.writeBigUInt64LE(BigInt(value), at)
  else if (size === 4) buf.writeUInt32LE(value, at)
  else throw new FormatError(`unsupported field size ${size}`)
}

/** Points one zero-row dataset at `offset` and sets its first dimension. */
const patchDataset = (f: HFile, d: DeferredArray, offset: number): void => {
  const { messages } = headerMessages(f, resolve(f, d.path))
  const space = messages.find((m) => m.type === MSG_DATASPACE)
  const layout = messages.find((m) => m.type === MSG_LAYOUT)
  if (space === undefined || layout === undefined) throw new FormatError(`${d.path} has no dataspace or layout message`)
  // dataspace: v1 = version, rank, flags, 5 reserved; v2 = version, rank, flags, type
  const version = space.body[0]
  const rank = space.body[1]
  const flags = space.body[2]
  if ((version !== 1 && version !== 2) || rank !== d.shape.length) throw new FormatError(`${d.path}: unexpected dataspace`)
  const dimsAt = version === 1 ? 8 : 4
  const L = f.lengths
  if (f.len(space.body, dimsAt) !== 0) throw new FormatError(`${d.path} was not created with zero rows`)
  const body = Buffer.from(space.body)
  putUint(body, dimsAt, L, d.shape[0])
  if (flags & 0x01) putUint(body, dimsAt + rank * L, L, d.shape[0]) // max dims
  // layout v3/v4, class 1 (contiguous): address, size
  if ((layout.body[0] !== 3 && layout.body[0] !== 4) || layout.body[1] !== 1) {
    throw new FormatError(`${d.path} is not a contiguous dataset`)
  }
  const lay = Buffer.from(layout.body)
  putUint(lay, 2, f.offsets, offset)
  putUint(lay, 2 + f.offsets, L, d.bytes.length)
  f.write(space.at + 8, body)
  f.write(layout.at + 8, lay)
}

/**
 * Appends every deferred array to the closed file and points its dataset at the bytes. Throws
 * {@link FormatError} when the file is not in the layout h5wasm writes with earliest format
 * bounds.
 */
export const appendDeferredArrays = (file: string, arrays: ReadonlyArray<DeferredArray>): void => {
  if (arrays.length === 0) return
  const fd = fs.openSync(file, "r+")
  try {
    const f = new HFile(fd, file)
    const sb = f.read(0, 64)
    if (sb[8] !== 0 && sb[8] !== 1) throw new FormatError(`superblock version ${sb[8]}`)
    const eofAt = (sb[8] === 0 ? 24 : 28) + 2 * f.offsets
    const base = f.addr(sb, eofAt - 2 * f.offsets)
    let eof = f.addr(sb, eofAt)
    if (base !== 0) throw new FormatError("files with a user block are not supported")
    for (const d of arrays) {
      const offset = Math.ceil(Math.max(eof, fs.fstatSync(fd).size) / 4096) * 4096
      writeAll(fd, d.bytes, offset)
      patchDataset(f, d, offset)
      eof = offset + d.bytes.length
    }
    const eofField = Buffer.alloc(f.offsets)
    putUint(eofField, 0, f.offsets, eof)
    f.write(eofAt, eofField)
  } finally {
    fs.closeSync(fd)
  }
}
