/**
 * Writing HDF5 booleans that h5py (and so anndata) reads as `bool`.
 *
 * h5py stores numpy `bool` as an enum datatype `{FALSE = 0, TRUE = 1}` over `int8`; anndata 0.8.0
 * requires it for a categorical's `ordered` attribute, and boolean columns come back as `bool`
 * only when stored that way. h5wasm 0.10 cannot create enum datatypes. So Lamina writes each
 * boolean dataset or attribute with a *placeholder* datatype of the same element size (a compound
 * with one `int8` member named {@link PLACEHOLDER_MEMBER}, whose encoded datatype is larger than
 * the enum's), and after h5wasm closes the file, rewrites each placeholder datatype in place as
 * the enum h5py writes, byte for byte. The bytes freed by the smaller encoding become a NULL
 * header message, and the object header's message count is updated, so the file stays valid for
 * every HDF5 reader.
 *
 * Locating objects needs only the part of the HDF5 format that h5wasm writes with
 * `libver: ["earliest", …]` (what h5py writes too), read by `hdf5-objects.ts`: superblock v0/v1,
 * v1 object headers with continuation chunks, old-style groups (v1 B-tree + local heap).
 * Anything else fails loudly rather than guessing.
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { StorageError, ValidationError } from "../../../errors.js"
import { errorText } from "../../atomic.js"
import { align8, FormatError, headerMessages, HFile, type Message, MSG_ATTRIBUTE, MSG_DATATYPE, MSG_NULL, resolve } from "./hdf5-objects.js"

/** Name of the single compound member that marks a placeholder boolean datatype. */
export const PLACEHOLDER_MEMBER = "__lamina_bool_placeholder__"

/** h5wasm write metadata of the placeholder datatype (1 byte per element, like the enum). */
export const placeholderDatatype = {
  type: 6, // H5T_COMPOUND
  size: 1,
  signed: false,
  vlen: false,
  littleEndian: true,
  compound_type: {
    nmembers: 1,
    members: [{
      name: PLACEHOLDER_MEMBER,
      offset: 0,
      type: 0, // H5T_INTEGER
      size: 1,
      signed: true,
      vlen: false,
      littleEndian: true
    }]
  }
} as const

/** A boolean to fix up: a dataset's datatype, or one attribute of an object. */
export interface BoolTarget {
  /** HDF5 path of the dataset or of the attribute's owner, e.g. `/var/highly_variable`. */
  readonly path: string
  /** Attribute name; absent for a dataset. */
  readonly attribute?: string
}

/** h5py's boolean enum, as a version-1 datatype message (38 bytes). */
const BOOL_ENUM = (() => {
  const b = Buffer.alloc(38)
  b[0] = 0x18 // version 1, class 8 (enum)
  b.writeUInt16LE(2, 1) // 2 members
  b.writeUInt32LE(1, 4) // element size 1
  // base type: version 1 fixed-point, signed, size 1, offset 0, precision 8
  Buffer.from([0x10, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00]).copy(b, 8)
  b.write("FALSE", 20, "latin1") // names, NUL-padded to 8 bytes
  b.write("TRUE", 28, "latin1")
  b[36] = 0 // values
  b[37] = 1
  return b
})()

const isPlaceholder = (datatype: Buffer): boolean =>
  (datatype[0] & 0x0f) === 6 && datatype.includes(Buffer.from(PLACEHOLDER_MEMBER + "\0", "latin1"))

/**
 * Replaces the body of message `m` with `body` (8-byte aligned, not larger), turning the bytes
 * left over into a NULL message. Returns how many messages were added (0 or 1).
 */
const rewriteMessage = (f: HFile, m: Message, body: Buffer): number => {
  const newSize = align8(body.length)
  const rest = m.size - newSize
  if (rest < 0 || (rest > 0 && rest < 8)) throw new FormatError(`no room to rewrite a message of ${m.size} bytes`)
  const out = Buffer.alloc(8 + m.size)
  out.writeUInt16LE(m.type, 0)
  out.writeUInt16LE(newSize, 2)
  out[4] = m.flags
  body.copy(out, 8)
  if (rest > 0) {
    const nul = 8 + newSize
    out.writeUInt16LE(MSG_NULL, nul)
    out.writeUInt16LE(rest - 8, nul + 2)
  }
  f.write(m.at, out)
  return rest > 0 ? 1 : 0
}

const bumpMessageCount = (f: HFile, nmesgsAt: number, added: number): void => {
  if (added === 0) return
  const n = f.read(nmesgsAt, 2).readUInt16LE(0)
  const b = Buffer.alloc(2)
  b.writeUInt16LE(n + added, 0)
  f.write(nmesgsAt, b)
}

const patchDataset = (f: HFile, path: string): void => {
  const { messages, nmesgsAt } = headerMessages(f, resolve(f, path))
  const dt = messages.find((m) => m.type === MSG_DATATYPE)
  if (dt === undefined || !isPlaceholder(dt.body)) throw new FormatError(`${path} has no placeholder datatype`)
  bumpMessageCount(f, nmesgsAt, rewriteMessage(f, dt, BOOL_ENUM))
}

const patchAttribute = (f: HFile, path: string, attribute: string): void => {
  const { messages, nmesgsAt } = headerMessages(f, resolve(f, path))
  for (const m of messages) {
    if (m.type !== MSG_ATTRIBUTE) continue
    const b = m.body
    if (b[0] !== 1) continue // h5wasm writes ASCII-named attributes as version 1
    const nameSize = b.readUInt16LE(2)
    const dtSize = b.readUInt16LE(4)
    const dsSize = b.readUInt16LE(6)
    const name = b.toString("utf8", 8, 8 + nameSize - 1)
    if (name !== attribute) continue
    const dtAt = 8 + align8(nameSize)
    const datatype = b.subarray(dtAt, dtAt + dtSize)
    if (!isPlaceholder(datatype)) throw new FormatError(`attribute ${attribute} of ${path} is not a placeholder`)
    const dsAt = dtAt + align8(dtSize)
    const dataspace = b.subarray(dsAt, dsAt + dsSize)
    const dataAt = dsAt + align8(dsSize)
    const elements = dataspaceElements(f, dataspace)
    const data = b.subarray(dataAt, dataAt + elements)
    const nameField = b.subarray(8, 8 + align8(nameSize))
    const body = Buffer.alloc(8 + nameField.length + align8(BOOL_ENUM.length) + align8(dsSize) + elements)
    body[0] = 1
    body.writeUInt16LE(nameSize, 2)
    body.writeUInt16LE(BOOL_ENUM.length, 4)
    body.writeUInt16LE(dsSize, 6)
    let pos = 8
    nameField.copy(body, pos)
    pos += nameField.length
    BOOL_ENUM.copy(body, pos)
    pos += align8(BOOL_ENUM.length)
    dataspace.copy(body, pos)
    pos += align8(dsSize)
    data.copy(body, pos)
    bumpMessageCount(f, nmesgsAt, rewriteMessage(f, m, body))
    return
  }
  throw new FormatError(`${path} has no attribute ${attribute}`)
}

/** Number of elements of an encoded dataspace (versions 1 and 2). */
const dataspaceElements = (f: HFile, ds: Buffer): number => {
  const version = ds[0]
  const rank = ds[1]
  if (version === 2 && ds[3] === 0) return 1 // scalar
  if (version === 2 && ds[3] === 2) return 0 // null dataspace
  const dimsAt = version === 1 ? 8 : 4
  let n = 1
  for (let d = 0; d < rank; d++) n *= f.len(ds, dimsAt + d * f.lengths)
  return n
}

/**
 * Rewrites the placeholder datatype of every target as h5py's boolean enum. Run it on the closed
 * file that h5wasm wrote (with `libver: ["earliest", …]`).
 */
export const patchBoolPlaceholders = (
  file: string,
  targets: ReadonlyArray<BoolTarget>
): Effect.Effect<void, StorageError | ValidationError> =>
  targets.length === 0
    ? Effect.void
    : Effect.try({
      try: () => {
        const fd = fs.openSync(file, "r+")
        try {
          const f = new HFile(fd, file)
          for (const t of targets) {
            if (t.attribute === undefined) patchDataset(f, t.path)
            else patchAttribute(f, t.path, t.attribute)
          }
        } finally {
          fs.closeSync(fd)
        }
      },
      catch: (cause) =>
        cause instanceof FormatError
          ? new ValidationError({ message: `${file}: cannot write HDF5 booleans: ${cause.message}` })
          : new StorageError({ message: `Cannot write HDF5 booleans into ${file}: ${errorText(cause)}`, path: file, cause })
    })
