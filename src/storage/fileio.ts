/**
 * Local-file primitives: hash a file, and copy a file while hashing it (one read pass),
 * writing to a temporary name and renaming so a reader never sees a half-written file.
 *
 * @module
 */
import { randomBytesPooled } from "../random.js"
import { mkdirSync, promises as fs, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Dirent, type Stats } from "node:fs"
import * as path from "node:path"
import { hashBytes, StreamingHash, type ContentHash } from "./hash.js"

/** Read size: large enough that syscalls vanish next to md5, small enough for the cache. */
const CHUNK = 4 * 1024 * 1024

/**
 * Hash a whole file (md5, streamed); `onBytes` hears the size of each chunk read. Two buffers
 * alternate: the next chunk is read on the thread pool while this one is hashed, so reading
 * and hashing overlap (bench/integrity: `check --deep` against `md5sum`).
 */
export const hashFile = async (file: string, onBytes?: (bytes: number) => void): Promise<ContentHash> => {
  const h = new StreamingHash()
  const fh = await fs.open(file, "r")
  try {
    const { size } = await fh.stat()
    // Small files: one right-sized read instead of a 4 MiB buffer per file.
    const length = Math.max(1, Math.min(CHUNK, size + 1))
    let current = Buffer.allocUnsafe(length)
    let spare = size + 1 > CHUNK ? Buffer.allocUnsafe(length) : current
    let position = 0
    let pending = fh.read(current, 0, length, position)
    for (;;) {
      const { bytesRead } = await pending
      if (bytesRead === 0) break
      const chunk = current
      position += bytesRead
      const readAhead = spare !== chunk
      if (readAhead) {
        pending = fh.read(spare, 0, length, position)
        current = spare
        spare = chunk
      }
      h.update(chunk.subarray(0, bytesRead))
      onBytes?.(bytesRead)
      // A file that fits one buffer: the read that finds its end, after hashing.
      if (!readAhead) pending = fh.read(current, 0, length, position)
    }
  } finally {
    await fh.close()
  }
  return h.digest()
}

/**
 * A sibling temporary name for `dest`, unique per call: `.{name}.{pid}-{random}.tmp`. The
 * writer's pid lets `lamina check` tell a temp file of a live save from one a killed save left
 * behind (`parseTempName`).
 */
export const tempSibling = (dest: string): string =>
  path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}-${randomBytesPooled(6).toString("hex")}.tmp`)

/** What a temporary name says: the final name it was for and the writer's pid (if recorded). */
export interface TempName {
  readonly target: string
  readonly pid: number | undefined
}

/**
 * Parse a temporary name made by `tempSibling` (or the older `.{name}.{random}.tmp` without a
 * pid); undefined for any other name.
 */
export const parseTempName = (name: string): TempName | undefined => {
  const m = /^\.(.+)\.(?:(\d+)-)?[0-9a-f]{12}\.tmp$/.exec(name)
  if (m === null) return undefined
  return { target: m[1]!, pid: m[2] === undefined ? undefined : Number(m[2]) }
}

/** Thrown when a source file changes while it is being saved. */
export class SourceChangedError extends Error {}

/**
 * Copy `src` to `dest` and hash it. Writes to a temporary sibling and renames, so `dest`
 * appears complete or not at all.
 *
 * The kernel copies (`copy_file_range`, a reflink where the file system has them) while the
 * hasher reads the same pages concurrently on another core: measured ~1.5× faster than a
 * user-space read→hash→write loop, and faster than `md5sum && cp` (bench/README.md). The source's
 * identity (size, mtime, inode) is compared before and after, so a file modified mid-save fails
 * instead of registering bytes that do not match their hash.
 */
export const copyAndHash = (src: string, dest: string): ContentHash | Promise<ContentHash> => {
  ensureDir(path.dirname(dest))
  const tmp = tempSibling(dest)
  let before: Stats
  try {
    before = statSync(src)
    // Small files return synchronously: no promise, so the caller's fiber does not suspend.
    if (before.size <= SMALL) return copySmall(src, tmp, dest)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
  return copyLarge(src, tmp, dest, before)
}

const copyLarge = async (src: string, tmp: string, dest: string, before: Stats): Promise<ContentHash> => {
  try {
    const [hash] = await Promise.all([hashFile(src), fs.copyFile(src, tmp)])
    const after = await fs.stat(src)
    if (before.size !== after.size || before.mtimeMs !== after.mtimeMs || before.ino !== after.ino || hash.size !== after.size)
      throw new SourceChangedError(`'${src}' changed while it was being saved; save it again once it is complete`)
    await fs.rename(tmp, dest)
    return hash
  } catch (e) {
    await fs.rm(tmp, { force: true })
    throw e
  }
}

/** Files up to this size are copied in one synchronous read and write. */
const SMALL = 1024 * 1024

/**
 * Small files: one read, hash in memory, one write, rename — synchronously, since a thread-pool
 * round trip per system call costs more than the copy itself (bench: 10,000 small files).
 */
const copySmall = (src: string, tmp: string, dest: string): ContentHash => {
  const bytes = readFileSync(src)
  writeFileSync(tmp, bytes)
  renameSync(tmp, dest)
  return hashBytes(bytes)
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir never returns where the kernel refuses
 * a new folder under an existing one with ENOENT (`/proc/x`); this throws the system's error.
 */
export const makeDirectory = (dir: string): void => {
  const notDirectory = (d: string) => Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: "ENOTDIR" })
  // One stat when the folder is there (the common case); else up to the nearest existing one.
  const missing: Array<string> = []
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const found = statSync(at, { throwIfNoEntry: false })
    if (found !== undefined) {
      // A file where a folder should be: mkdir under it fails by itself, the folder itself must not pass.
      if (missing.length === 0 && !found.isDirectory()) throw notDirectory(at)
      break
    }
    missing.push(at)
    if (path.dirname(at) === at) break
  }
  for (const d of missing.reverse())
    try {
      mkdirSync(d)
    } catch (e) {
      // Made by someone else meanwhile: fine when it is a folder.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(d).isDirectory()) throw e
    }
}

const knownDirs = new Set<string>()

/** mkdir -p, remembered per process: storage folders are created once, not per file. */
export const ensureDir = (dir: string): void => {
  if (knownDirs.has(dir)) return
  makeDirectory(dir)
  knownDirs.add(dir)
}

/** Write bytes atomically (temporary sibling + rename). */
export const writeFileAtomic = async (dest: string, bytes: Uint8Array | string): Promise<void> => {
  makeDirectory(path.dirname(dest))
  const tmp = tempSibling(dest)
  try {
    await fs.writeFile(tmp, bytes)
    await fs.rename(tmp, dest)
  } catch (e) {
    await fs.rm(tmp, { force: true })
    throw e
  }
}

/** A file found by `listFilesWithStats`. */
export interface ListedFile {
  /** Path relative to the listed folder, `/`-separated. */
  readonly rel: string
  readonly size: number
  readonly mtime: Date
}

/**
 * Every regular file below `dir` with its size and mtime, sorted; empty when `dir` is missing.
 * Synchronous on purpose: for a folder of 100,000 objects one thread-pool round trip per
 * `stat` costs several times the `stat` itself (bench/integrity).
 */
export const listFilesWithStats = (dir: string): ReadonlyArray<ListedFile> => {
  let entries: Array<Dirent>
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return []
    throw e
  }
  const out: Array<ListedFile> = []
  for (const e of entries) {
    if (!e.isFile()) continue
    const full = path.join(e.parentPath, e.name)
    try {
      const st = statSync(full)
      out.push({ rel: path.relative(dir, full).split(path.sep).join("/"), size: st.size, mtime: st.mtime })
    } catch (err) {
      // Removed since the listing (a temp file renamed into place): not there any more.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err
    }
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
}

/** How many files a folder holds and their bytes, as `listFiles` counts them (a link to a file counts as that file). */
export interface FolderTotals {
  readonly files: number
  readonly bytes: number
}

/**
 * `FolderTotals` of `dir`, synchronously (a cache hit checks its folder outputs inside SQLite's
 * claim); undefined when `dir` is not a folder. Entries `listFiles` would refuse count as nothing.
 */
export const folderTotalsSync = (dir: string): FolderTotals | undefined => {
  let entries: Array<Dirent>
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "ENOENT" || code === "ENOTDIR") return undefined
    throw e
  }
  let files = 0
  let bytes = 0
  for (const e of entries) {
    if (!e.isFile() && !e.isSymbolicLink()) continue
    // Follows a link, as listFiles does; gone since the listing: not there.
    const st = statSync(path.join(e.parentPath, e.name), { throwIfNoEntry: false })
    if (st === undefined || !st.isFile()) continue
    files++
    bytes += st.size
  }
  return { files, bytes }
}

/**
 * All files below `dir`, as paths relative to it with `/` separators, sorted. A link to a file
 * counts as that file (read through the link, as LaminDB does); any other entry that is not a
 * folder (a dangling link, a link to a folder, a FIFO, a socket) throws, naming it.
 */
export const listFiles = async (dir: string): Promise<ReadonlyArray<string>> => {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  const out: Array<string> = []
  for (const e of entries) {
    if (e.isDirectory()) continue
    const full = path.join(e.parentPath, e.name)
    const rel = path.relative(dir, full).split(path.sep).join("/")
    if (e.isFile()) {
      out.push(rel)
      continue
    }
    // Leaving such an entry out would register a folder without a file its owner sees in it.
    const target = e.isSymbolicLink() ? await fs.stat(full).catch(() => undefined) : undefined
    if (target?.isFile()) {
      out.push(rel)
      continue
    }
    const what = !e.isSymbolicLink() ? "not a regular file (a FIFO, socket or device)" : target === undefined ? "a link to nothing" : "a link to a folder"
    throw new Error(`'${rel}' is ${what}: a folder artifact holds files and links to files only. Remove it, or replace it with a copy of what it points to.`)
  }
  return out.sort()
}
