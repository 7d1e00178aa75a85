/**
 * The local cache of remote objects: `$LAMINA_CACHE_DIR` (default `~/.cache/lamina`), laid out
 * as `{cache}/{bucket}/{object key}` like LaminDB's cache.
 *
 * A cached copy is used only while it still has the registered content hash:
 * - a sidecar (`{cache}/.lamina-meta/…json`) remembers the hash a copy was verified with and
 *   the size and mtime it had, so an untouched copy is reused without reading it again;
 * - a copy whose size or mtime changed is re-hashed, and re-downloaded when the hash differs;
 * - every download is hashed while it is written (to a temporary name, renamed when verified);
 *   a download whose hash differs from the registry's means the object changed behind
 *   Lamina's back: a `StorageError`, never silent use.
 *
 * @module
 */
import { createHash } from "node:crypto"
import { promises as fs } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { StorageError } from "../errors.js"
import { etagMatches, hashFromEtag } from "./etag.js"
import { hashFile, listFiles, tempSibling, writeFileAtomic } from "./fileio.js"
import { type ContentHash } from "./hash.js"
import { summarize } from "./local.js"

/** `$LAMINA_CACHE_DIR`, default `~/.cache/lamina`. */
export const cacheDir = (): string => process.env.LAMINA_CACHE_DIR || path.join(os.homedir(), ".cache", "lamina")

/** One object of a remote folder. */
export interface RemoteObject {
  /** Path relative to the folder, `/`-separated. */
  readonly rel: string
  readonly objectKey: string
  readonly size: number
  readonly etag?: string
}

/** What was downloaded: the whole-content md5 and the ETag the server sent with it. */
export interface Downloaded {
  readonly content: ContentHash
  readonly etag?: string
}

/** The remote side the cache fills from. */
export interface Remote {
  readonly uri: (objectKey: string) => string
  /** Size and ETag of an object; undefined when it does not exist. */
  readonly head: (objectKey: string) => Effect.Effect<{ readonly size: number; readonly etag?: string } | undefined, StorageError>
  readonly listFolder: (objectKey: string) => Effect.Effect<ReadonlyArray<RemoteObject>, StorageError>
  /** Stream an object into `dest` (created), hashing it; must not leave `dest` on failure. */
  readonly download: (objectKey: string, dest: string) => Effect.Effect<Downloaded, StorageError>
}

interface FileStamp {
  readonly rel: string
  readonly size: number
  readonly mtimeMs: number
}

/** The sidecar of a cached copy. */
interface Sidecar {
  readonly hash: string
  readonly hash_type: string
  readonly etag?: string
  readonly files: ReadonlyArray<FileStamp>
}

const fsFail = (what: string, p: string) => (cause: unknown) =>
  new StorageError({
    message: `${what} '${p}' failed: ${cause instanceof Error ? cause.message : String(cause)}. Check that $LAMINA_CACHE_DIR (${cacheDir()}) is writable and has space.`,
    path: p,
    cause
  })

const fsTry = <A>(what: string, p: string, f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: fsFail(what, p) })

const changedMessage = (uri: string, got: string, expected: ContentHash) =>
  `'${uri}' changed outside Lamina: its content hash is now ${got}, the registry recorded ${expected.hash} (${expected.hash_type}). ` +
  `Restore the original object, or save the new content as a new version.`

/** Cached copies of one store's objects. */
export const makeCache = (remote: Remote, bucket: string, root: string = cacheDir()) => {
  const localOf = (objectKey: string) => path.join(root, bucket, ...objectKey.split("/"))
  const sidecarOf = (objectKey: string) => path.join(root, ".lamina-meta", bucket, ...objectKey.split("/")) + ".json"

  const readSidecar = (objectKey: string) =>
    Effect.promise(async () => {
      try {
        return JSON.parse(await fs.readFile(sidecarOf(objectKey), "utf8")) as Sidecar
      } catch {
        return undefined
      }
    })
  const writeSidecar = (objectKey: string, sidecar: Sidecar) =>
    fsTry("Writing cache metadata", sidecarOf(objectKey), () => writeFileAtomic(sidecarOf(objectKey), JSON.stringify(sidecar)))

  /** Size and mtime of files below a local path (`rel` "" for a single file). */
  const stamps = (local: string, folder: boolean) =>
    Effect.promise(async (): Promise<ReadonlyArray<FileStamp> | undefined> => {
      try {
        if (!folder) {
          const st = await fs.stat(local)
          return st.isFile() ? [{ rel: "", size: st.size, mtimeMs: st.mtimeMs }] : undefined
        }
        const files = await listFiles(local)
        return Promise.all(
          files.map(async (rel) => {
            const st = await fs.stat(path.join(local, rel))
            return { rel, size: st.size, mtimeMs: st.mtimeMs }
          })
        )
      } catch {
        return undefined
      }
    })

  const sameStamps = (a: ReadonlyArray<FileStamp>, b: ReadonlyArray<FileStamp>) =>
    a.length === b.length && a.every((s, i) => s.rel === b[i]!.rel && s.size === b[i]!.size && s.mtimeMs === b[i]!.mtimeMs)

  /** A cached file's path, downloading and verifying as needed. */
  const file = (objectKey: string, expected?: ContentHash): Effect.Effect<string, StorageError> =>
    Effect.gen(function* () {
      const local = localOf(objectKey)
      const uri = remote.uri(objectKey)
      const now = yield* stamps(local, false)
      const sidecar = yield* readSidecar(objectKey)
      if (now !== undefined) {
        if (expected !== undefined) {
          if (sidecar && sidecar.hash === expected.hash && sameStamps(now, sidecar.files)) return local
          // Touched or unknown: re-hash when the hash type allows it.
          if (expected.hash_type === "md5") {
            const h = yield* fsTry("Hashing cached file", local, () => hashFile(local))
            if (h.hash === expected.hash) {
              yield* writeSidecar(objectKey, { hash: h.hash, hash_type: h.hash_type, files: yield* stampsOrEmpty(local) })
              return local
            }
          }
        } else {
          // Nothing registered to check against: reuse while the remote ETag is unchanged.
          const head = yield* remote.head(objectKey)
          if (head === undefined)
            return yield* new StorageError({ message: `'${uri}' does not exist in S3: it was deleted or moved outside Lamina.`, path: uri })
          if (sidecar && sidecar.etag !== undefined && sidecar.etag === head.etag && sameStamps(now, sidecar.files)) return local
        }
      }
      const got = yield* downloadVerified(objectKey, local, expected)
      yield* writeSidecar(objectKey, {
        hash: expected?.hash ?? got.content.hash,
        hash_type: expected?.hash_type ?? got.content.hash_type,
        ...(got.etag !== undefined ? { etag: got.etag } : {}),
        files: yield* stampsOrEmpty(local)
      })
      return local
    })

  const stampsOrEmpty = (local: string) => Effect.map(stamps(local, false), (s) => s ?? [])

  /** Download to a temporary sibling, verify, rename over `local`. */
  const downloadVerified = (objectKey: string, local: string, expected?: ContentHash) =>
    Effect.gen(function* () {
      const uri = remote.uri(objectKey)
      yield* fsTry("Creating cache folder", path.dirname(local), () => fs.mkdir(path.dirname(local), { recursive: true }))
      const tmp = tempSibling(local)
      const got = yield* remote.download(objectKey, tmp)
      const verdict = expected === undefined ? true : verify(got, expected)
      if (!verdict) {
        yield* Effect.promise(() => fs.rm(tmp, { force: true }))
        const seen = got.content.hash === expected!.hash ? `${got.content.hash} (ETag ${got.etag ?? "missing"})` : got.content.hash
        return yield* new StorageError({ message: changedMessage(uri, seen, expected!), path: uri })
      }
      yield* fsTry("Filling the cache at", local, () => fs.rename(tmp, local)).pipe(
        Effect.tapError(() => Effect.promise(() => fs.rm(tmp, { force: true })))
      )
      return got
    })

  /** A cached folder's path, downloading and verifying as needed. */
  const folder = (objectKey: string, expected?: ContentHash): Effect.Effect<string, StorageError> =>
    Effect.gen(function* () {
      const local = localOf(objectKey)
      const uri = remote.uri(objectKey)
      const now = yield* stamps(local, true)
      const sidecar = yield* readSidecar(objectKey)
      if (now !== undefined && now.length > 0 && expected !== undefined) {
        if (sidecar && sidecar.hash === expected.hash && sameStamps(now, sidecar.files)) return local
        const hashes = yield* fsTry("Hashing cached folder", local, async () => Promise.all(now.map((s) => hashFile(path.join(local, s.rel)))))
        if (summarize(hashes).hash === expected.hash) {
          yield* writeSidecar(objectKey, { hash: expected.hash, hash_type: expected.hash_type, files: now })
          return local
        }
      }
      const objects = yield* remote.listFolder(objectKey)
      if (objects.length === 0)
        return yield* new StorageError({ message: `Folder '${uri}' is empty or does not exist in S3: it was deleted or moved outside Lamina.`, path: uri })
      const staging = tempSibling(local)
      const fetched = yield* Effect.forEach(
        objects,
        (o) =>
          Effect.flatMap(
            fsTry("Creating cache folder", staging, () => fs.mkdir(path.dirname(path.join(staging, o.rel)), { recursive: true })),
            () => Effect.map(remote.download(o.objectKey, path.join(staging, o.rel)), (d) => ({ o, d }))
          ),
        { concurrency: 4 }
      ).pipe(Effect.tapError(() => Effect.promise(() => fs.rm(staging, { recursive: true, force: true }))))
      if (expected !== undefined) {
        // A folder's hash was built from whole-content md5s (saved by Lamina) or, for objects
        // registered in place, from their ETags; accept either form.
        const byContent = summarize(fetched.map(({ d }) => d.content)).hash
        const byEtag = summarize(fetched.map(({ o, d }) => hashFromEtag(o.etag, o.size) ?? d.content)).hash
        if (byContent !== expected.hash && byEtag !== expected.hash) {
          yield* Effect.promise(() => fs.rm(staging, { recursive: true, force: true }))
          return yield* new StorageError({ message: changedMessage(uri, byContent, expected), path: uri })
        }
      }
      yield* swapIn(staging, local)
      const after = yield* stamps(local, true)
      yield* writeSidecar(objectKey, {
        hash: expected?.hash ?? summarize(fetched.map(({ d }) => d.content)).hash,
        hash_type: expected?.hash_type ?? "md5-d",
        files: after ?? []
      })
      return local
    })

  return { file, folder, localOf }
}

/** Whether a download matches the registered hash. */
const verify = (got: Downloaded, expected: ContentHash): boolean => {
  if (got.content.size !== expected.size) return false
  if (expected.hash_type === "md5") return got.content.hash === expected.hash
  // md5-N (registered from a multipart ETag): only the ETag can tell.
  return etagMatches(got.etag, expected) === true
}

/** Replace folder `dest` with `staging` (moving an old copy aside first). */
const swapIn = (staging: string, dest: string) =>
  fsTry("Filling the cache at", dest, async () => {
    const aside = `${dest}.${createHash("md5").update(staging).digest("hex").slice(0, 8)}.old`
    await fs.rm(aside, { recursive: true, force: true })
    await fs.rename(dest, aside).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e
    })
    try {
      await fs.rename(staging, dest)
    } catch (e) {
      // Another process filled it first: keep theirs.
      await fs.rm(staging, { recursive: true, force: true })
      if ((e as NodeJS.ErrnoException).code !== "ENOTEMPTY" && (e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    }
    await fs.rm(aside, { recursive: true, force: true })
  })
