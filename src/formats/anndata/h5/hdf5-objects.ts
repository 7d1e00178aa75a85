/**
 * A minimal reader for the HDF5 object structure that h5py and h5wasm write with
 * `libver: ["earliest", …]` (h5py's default): superblock v0/v1, version-1 object headers (with
 * continuation chunks), old-style groups (v1 B-tree + symbol table nodes + local heap) and
 * compact link messages. Used to patch boolean datatypes in place (`bool-enum-patch.ts`) and to
 * find where contiguous datasets live in the file (`contiguous.ts`). Anything else throws
 * {@link FormatError}, and callers fall back or fail loudly.
 *
 * @module
 */
import * as fs from "node:fs"

export const MSG_NULL = 0x0000
export const MSG_DATATYPE = 0x0003
export const MSG_LINK = 0x0006
export const MSG_ATTRIBUTE = 0x000c
export const MSG_CONTINUATION = 0x0010
export const MSG_SYMBOL_TABLE = 0x0011
export const MSG_LAYOUT = 0x0008
export const MSG_FILTERS = 0x000b

/** Rounds up to a multiple of 8. */
export const align8 = (n: number): number => (n + 7) & ~7

/** The file is not in the layout this reader understands. */
export class FormatError extends Error {}

/** Minimal positional reader/writer over an HDF5 file (superblock v0/v1). */
export class HFile {
  readonly offsets: number
  readonly lengths: number
  readonly rootHeader: number

  constructor(readonly fd: number, readonly name: string) {
    const sb = this.read(0, 128)
    if (sb.toString("latin1", 0, 8) !== "\x89HDF\r\n\x1a\n") throw new FormatError("no HDF5 signature at byte 0")
    const version = sb[8]
    if (version !== 0 && version !== 1) throw new FormatError(`superblock version ${version} (expected 0 or 1)`)
    this.offsets = sb[13]
    this.lengths = sb[14]
    const entry = (version === 0 ? 24 : 28) + 4 * this.offsets
    this.rootHeader = this.addr(sb, entry + this.offsets)
  }

  read(pos: number, len: number): Buffer {
    const buf = Buffer.alloc(len)
    const n = fs.readSync(this.fd, buf, 0, len, pos)
    return n === len ? buf : buf.subarray(0, n)
  }

  write(pos: number, bytes: Buffer): void {
    fs.writeSync(this.fd, bytes, 0, bytes.length, pos)
  }

  addr(buf: Buffer, at: number): number {
    return this.uint(buf, at, this.offsets)
  }

  len(buf: Buffer, at: number): number {
    return this.uint(buf, at, this.lengths)
  }

  uint(buf: Buffer, at: number, size: number): number {
    if (size === 8) return Number(buf.readBigUInt64LE(at))
    if (size === 4) return buf.readUInt32LE(at)
    if (size === 2) return buf.readUInt16LE(at)
    if (size === 1) return buf[at]
    throw new FormatError(`unsupported field size ${size}`)
  }
}

/** One object header message. */
export interface Message {
  readonly type: number
  readonly size: number
  readonly flags: number
  /** File position of the 8-byte message header. */
  readonly at: number
  readonly body: Buffer
}

/** All messages of a version-1 object header, following continuation chunks. */
export const headerMessages = (f: HFile, address: number): { messages: Message[]; nmesgsAt: number } => {
  const prefix = f.read(address, 16)
  if (prefix[0] !== 1) throw new FormatError(`object header at ${address} has version ${prefix[0]} (expected 1)`)
  const chunks: Array<[number, number]> = [[address + 16, prefix.readUInt32LE(8)]]
  const messages: Message[] = []
  for (let c = 0; c < chunks.length; c++) {
    const [start, length] = chunks[c]
    const chunk = f.read(start, length)
    let pos = 0
    while (pos + 8 <= chunk.length) {
      const type = chunk.readUInt16LE(pos)
      const size = chunk.readUInt16LE(pos + 2)
      const body = chunk.subarray(pos + 8, pos + 8 + size)
      messages.push({ type, size, flags: chunk[pos + 4], at: start + pos, body })
      if (type === MSG_CONTINUATION) chunks.push([f.addr(body, 0), f.len(body, f.offsets)])
      pos += 8 + size
    }
  }
  return { messages, nmesgsAt: address + 2 }
}

/** Object header address of `name` inside the group whose header is at `group`. */
const lookupChild = (f: HFile, group: number, name: string): number => {
  const { messages } = headerMessages(f, group)
  for (const m of messages) {
    if (m.type === MSG_LINK) {
      const found = parseLink(f, m.body)
      if (found !== undefined && found[0] === name) return found[1]
    }
  }
  const stab = messages.find((m) => m.type === MSG_SYMBOL_TABLE)
  if (stab === undefined) throw new FormatError(`cannot find ${name}: the group has no symbol table or link messages`)
  const btree = f.addr(stab.body, 0)
  const heapAddr = f.addr(stab.body, f.offsets)
  const heap = f.read(heapAddr, 8 + 2 * f.lengths + f.offsets)
  if (heap.toString("latin1", 0, 4) !== "HEAP") throw new FormatError(`no local heap at ${heapAddr}`)
  const heapSize = f.len(heap, 8)
  const heapData = f.read(f.addr(heap, 8 + 2 * f.lengths), heapSize)
  const nameAt = (offset: number) => {
    const end = heapData.indexOf(0, offset)
    return heapData.toString("utf8", offset, end < 0 ? heapData.length : end)
  }
  const found = searchBTree(f, btree, nameAt, name)
  if (found === undefined) throw new FormatError(`no object named ${name}`)
  return found
}

const parseLink = (f: HFile, body: Buffer): [string, number] | undefined => {
  if (body[0] !== 1) return undefined
  const flags = body[1]
  let pos = 2
  let linkType = 0
  if (flags & 0x08) linkType = body[pos++]
  if (flags & 0x04) pos += 8
  if (flags & 0x10) pos += 1
  const lenSize = 1 << (flags & 0x03)
  const nameLen = f.uint(body, pos, lenSize)
  pos += lenSize
  const name = body.toString("utf8", pos, pos + nameLen)
  pos += nameLen
  return linkType === 0 ? [name, f.addr(body, pos)] : undefined
}

const searchBTree = (f: HFile, node: number, nameAt: (o: number) => string, name: string): number | undefined => {
  const headLen = 8 + 2 * f.offsets
  const head = f.read(node, headLen)
  if (head.toString("latin1", 0, 4) !== "TREE") throw new FormatError(`no B-tree node at ${node}`)
  if (head[4] !== 0) throw new FormatError(`B-tree node at ${node} is not a group node`)
  const level = head[5]
  const entries = head.readUInt16LE(6)
  const body = f.read(node + headLen, entries * (f.lengths + f.offsets) + f.lengths)
  for (let i = 0; i < entries; i++) {
    const child = f.addr(body, i * (f.lengths + f.offsets) + f.lengths)
    const found = level > 0 ? searchBTree(f, child, nameAt, name) : searchSymbolNode(f, child, nameAt, name)
    if (found !== undefined) return found
  }
  return undefined
}

const searchSymbolNode = (f: HFile, node: number, nameAt: (o: number) => string, name: string): number | undefined => {
  const head = f.read(node, 8)
  if (head.toString("latin1", 0, 4) !== "SNOD") throw new FormatError(`no symbol table node at ${node}`)
  const count = head.readUInt16LE(6)
  const entrySize = 2 * f.offsets + 24
  const entries = f.read(node + 8, count * entrySize)
  for (let i = 0; i < count; i++) {
    const e = i * entrySize
    if (nameAt(f.addr(entries, e)) === name) return f.addr(entries, e + f.offsets)
  }
  return undefined
}

/** Object header address of the object at `path` (`/a/b`). */
export const resolve = (f: HFile, path: string): number => {
  let address = f.rootHeader
  for (const part of path.split("/").filter((p) => p !== "")) address = lookupChild(f, address, part)
  return address
}

