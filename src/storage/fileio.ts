/**
 * Local-file primitives: hash a file, and copy a file while hashing it (one read pass),
 * writing to a temporary name and renaming so a reader never sees a half-written file.
 *
 * @module
 */
import { randomBytes } from "node:crypto"
import { promises as fs } from "node:fs"
import * as path from "node:path"
import { StreamingHash, type ContentHash } from "./hash.js"

/** Read size: large enough that syscalls vanish next to md5, small enough for the cache. */
const CHUNK = 4 * 1024 * 1024

/** Hash a whole file (md5, streamed). */
export const hashFile = async (file: string): Promise<ContentHash> => {
  const h = new StreamingHash()
  const fh = await fs.open(file, "r")
  try {
    const buf = Buffer.allocUnsafe(CHUNK)
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null)
      if (bytesRead === 0) break
      h.update(buf.subarray(0, bytesRead))
    }
  } finally {
    await fh.close()
  }
  return h.digest()
}

/** A sibling temporary name for `dest`, unique per call. */
export const tempSibling = (dest: string): string =>
  path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(6).toString("hex")}.tmp`)

/**
 * Copy `src` to `dest`, hashing in the same pass. Writes to a temporary sibling and renames, so
 * `dest` appears complete or not at all. Reads of chunk n+1 overlap the write of chunk n.
 */
export const copyAndHash = async (src: string, dest: string): Promise<ContentHash> => {
  await fs.mkdir(path.dirname(dest), { recursive: true })
  const tmp = tempSibling(dest)
  const h = new StreamingHash()
  const input = await fs.open(src, "r")
  let output: fs.FileHandle | undefined
  try {
    output = await fs.open(tmp, "w")
    // Small files get small buffers: two 4 MiB allocations per tiny save cost more than the copy.
    const size = Math.min(CHUNK, Math.max(64 * 1024, (await input.stat()).size + 1))
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)]
    let pendingWrite: Promise<unknown> = Promise.resolve()
    for (let i = 0; ; i++) {
      const buf = buffers[i % 2]!
      const { bytesRead } = await input.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      const chunk = buf.subarray(0, bytesRead)
      h.update(chunk)
      await pendingWrite // the other buffer is free again once its write finished
      const out: fs.FileHandle = output
      pendingWrite = out.write(chunk, 0, bytesRead)
    }
    await pendingWrite
    await output.close()
    output = undefined
    await fs.rename(tmp, dest)
    return h.digest()
  } catch (e) {
    if (output) await output.close().catch(() => undefined)
    await fs.rm(tmp, { force: true })
    throw e
  } finally {
    await input.close()
  }
}

/** Write bytes atomically (temporary sibling + rename). */
export const writeFileAtomic = async (dest: string, bytes: Uint8Array | string): Promise<void> => {
  await fs.mkdir(path.dirname(dest), { recursive: true })
  const tmp = tempSibling(dest)
  try {
    await fs.writeFile(tmp, bytes)
    await fs.rename(tmp, dest)
  } catch (e) {
    await fs.rm(tmp, { force: true })
    throw e
  }
}

/** All regular files below `dir`, as paths relative to it with `/` separators, sorted. */
export const listFiles = async (dir: string): Promise<ReadonlyArray<string>> => {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort()
}
