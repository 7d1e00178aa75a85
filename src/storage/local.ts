/**
 * Local-folder `ObjectStore`.
 *
 * @module
 */
import { promises as fs } from "node:fs"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { StorageError } from "../errors.js"
import { copyAndHash, ensureDir, hashFile, listFiles, listFilesWithStats, makeDirectory, tempSibling, writeFileAtomic } from "./fileio.js"
import { hashFolder, type ContentHash } from "./hash.js"
import { guardKeys } from "./guardKeys.js"
import { ObjectStore, validateRange, type FolderSummary, type ObjectInfo } from "./ObjectStore.js"

const describe = (cause: unknown): string => {
  const e = cause as NodeJS.ErrnoException
  if (e?.code === "ENOENT") return "no such file or folder"
  if (e?.code === "EACCES" || e?.code === "EPERM") return "permission denied"
  if (e?.code === "ENOSPC") return "no space left on device"
  return e instanceof Error ? e.message : String(cause)
}

/** Run a storage operation, turning any failure into a `StorageError` naming the path. */
const io = <A>(what: string, file: string, f: () => A | Promise<A>): Effect.Effect<A, StorageError> =>
  Effect.suspend(() => {
    const fail = (cause: unknown) => new StorageError({ message: `${what} '${file}' failed: ${describe(cause)}`, path: file, cause })
    let result: A | Promise<A>
    try {
      result = f()
    } catch (cause) {
      return Effect.fail(fail(cause))
    }
    // A synchronous result (a small file's copy) continues the fiber without an async hop.
    return result instanceof Promise ? Effect.tryPromise({ try: () => result, catch: fail }) : Effect.succeed(result)
  })

/** Hash every file of a folder (already on disk) into a folder summary. */
export const summarizeFolder = async (dir: string): Promise<FolderSummary> => {
  const files = await listFiles(dir)
  const hashes = await Promise.all(files.map((f) => hashFile(path.join(dir, f))))
  return summarize(hashes)
}

/** Folder summary from its files' hashes (LaminDB's md5-d). */
export const summarize = (hashes: ReadonlyArray<ContentHash>): FolderSummary => ({
  hash: hashFolder(hashes.map((h) => h.hash)),
  hash_type: "md5-d",
  size: hashes.reduce((n, h) => n + h.size, 0),
  n_files: hashes.length
})

/** Make a local `ObjectStore` rooted at an absolute folder (created if missing). */
export const make = (root: string): ObjectStore => {
  const abs = path.resolve(root)
  const full = (key: string) => path.join(abs, ...key.split("/"))
  const keyOf = (p: string): string | undefined => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return p.startsWith("file://") ? keyOf(p.slice(7)) : undefined
    const rel = path.relative(abs, path.resolve(p))
    if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return undefined
    return rel.split(path.sep).join("/")
  }
  return guardKeys({
    root: abs,
    type: "local",
    localFolders: [abs],
    putFile: (localPath, key) => io("Copying into storage", localPath, () => copyAndHash(localPath, full(key))),
    putFolder: (localDir, prefix) =>
      io("Copying folder into storage", localDir, async () => {
        // Stage the whole folder under a temporary name, then rename it into place.
        const dest = full(prefix)
        const staging = tempSibling(dest)
        try {
          const files = await listFiles(localDir)
          const hashes: Array<ContentHash> = []
          for (const f of files) hashes.push(await copyAndHash(path.join(localDir, f), path.join(staging, f)))
          await fs.mkdir(staging, { recursive: true })
          await fs.rename(staging, dest)
          return summarize(hashes)
        } catch (e) {
          await fs.rm(staging, { recursive: true, force: true })
          throw e
        }
      }),
    putBytes: (key, bytes) =>
      io("Writing", full(key), async () => {
        await writeFileAtomic(full(key), bytes)
        return hashFile(full(key))
      }),
    hashObject: (key) => io("Hashing", full(key), () => hashFile(full(key))),
    hashContent: (key, onBytes) => io("Hashing", full(key), () => hashFile(full(key), onBytes)),
    download: (key, dest, onBytes) =>
      io("Copying", full(key), async () => {
        // Hash the source while the kernel copies it (as a save does), then rename into place.
        ensureDir(path.dirname(dest))
        const tmp = tempSibling(dest)
        try {
          const [hash] = await Promise.all([hashFile(full(key), onBytes), fs.copyFile(full(key), tmp)])
          await fs.rename(tmp, dest)
          return hash
        } catch (e) {
          await fs.rm(tmp, { force: true })
          throw e
        }
      }),
    hashFolder: (prefix) => io("Hashing folder", full(prefix), () => summarizeFolder(full(prefix))),
    stat: (key) =>
      io("Checking", full(key), async () => {
        const st = await fs.stat(full(key)).catch((e: NodeJS.ErrnoException) => {
          if (e.code === "ENOENT" || e.code === "ENOTDIR") return undefined
          throw e
        })
        return st?.isFile() ? { key, size: st.size, modifiedAt: st.mtime } : undefined
      }),
    exists: (key) =>
      io("Checking", full(key), async () => {
        const st = await fs.stat(full(key)).catch(() => undefined)
        return st?.isFile() ?? false
      }),
    list: (prefix) =>
      io("Listing", full(prefix), async () =>
        listFilesWithStats(full(prefix)).map((f): ObjectInfo => ({ key: prefix === "" ? f.rel : `${prefix}/${f.rel}`, size: f.size, modifiedAt: f.mtime }))
      ),
    localPath: (key, options) =>
      Effect.flatMap(io("Opening", full(key), () => fs.stat(full(key))), (st) => {
        const expected = options?.folder === true ? undefined : options?.expected
        // A cheap guard on what a run would compute on: bytes edited in place rarely keep their size.
        return expected !== undefined && st.isFile() && st.size !== expected.size
          ? Effect.fail(
              new StorageError({
                message: `'${key}' holds ${st.size} bytes, but its artifact was saved with ${expected.size}: its stored bytes were changed outside Lamina. Restore them from a backup or export, or save the file again as a new artifact (\`lamina check --deep\` lists every such object).`,
                path: full(key)
              })
            )
          : Effect.succeed(full(key))
      }),
    read: (key) => io("Reading", full(key), async () => new Uint8Array(await fs.readFile(full(key)))),
    readRange: (key, start, end) =>
      Effect.zipRight(
        validateRange(start, end),
        io("Reading", full(key), async () => {
          const fh = await fs.open(full(key), "r")
          try {
            const size = (await fh.stat()).size
            const stop = Math.min(end, size)
            if (start >= stop) return new Uint8Array(0)
            const buf = Buffer.allocUnsafe(stop - start)
            let off = 0
            while (off < buf.length) {
              const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off)
              if (bytesRead === 0) break
              off += bytesRead
            }
            return new Uint8Array(buf.buffer, buf.byteOffset, off)
          } finally {
            await fh.close()
          }
        })
      ),
    move: (from, to) =>
      io("Moving", full(from), async () => {
        await fs.mkdir(path.dirname(full(to)), { recursive: true })
        await fs.rename(full(from), full(to))
      }),
    remove: (key) => io("Deleting", full(key), () => fs.rm(full(key), { recursive: true, force: true })),
    keyOf,
    uri: full
  })
}

/** A layer providing a local `ObjectStore`; creates the root folder if needed. */
export const layer = (root: string): Layer.Layer<ObjectStore, StorageError> =>
  Layer.effect(
    ObjectStore,
    Effect.map(
      io("Creating storage root", root, async () => makeDirectory(root)),
      () => make(root)
    )
  )
