/**
 * Zarr stores. Lamina takes any zarrita-compatible store (`get(key)`, optionally `set` and
 * `list`), so a remote store (S3, HTTP) can be plugged in later; {@link localZarrStore} is the
 * local-folder one.
 *
 * Zarr has no listing in its store API; to enumerate a group's children (AnnData `uns`, layers…)
 * a store either implements `list(prefix)` or the zarr root carries consolidated metadata
 * (`.zmetadata`, which Lamina writes).
 *
 * @module
 */
import * as fs from "node:fs"
import * as path from "node:path"
/** A store key: `/`-rooted (zarrita's `AbsolutePath`). */
export type AbsolutePath = `/${string}`

/**
 * A zarrita-compatible store Lamina reads zarr from (zarrita's `AsyncReadable`, written out
 * here so Lamina's public types do not pull @zarrita/storage's DOM-typed declarations into a
 * consumer's build).
 */
export interface ZarrStore {
  /** The bytes of a key, or undefined when it does not exist. */
  get(key: AbsolutePath, options?: unknown): Promise<Uint8Array | undefined>
  /** Names directly under `prefix` (a `/`-rooted key prefix without trailing slash). */
  list?(prefix: AbsolutePath): Promise<ReadonlyArray<string>>
  /** Writes a key (needed for writing). */
  set?(key: AbsolutePath, value: Uint8Array): Promise<void>
  /**
   * Like `get`, but may read into `reuse` (returning a view of it) when it is large enough, so
   * a reader decoding chunk after chunk allocates no new buffers: the garbage collector then
   * has ~nothing to free after a 200 MB read.
   */
  getInto?(key: AbsolutePath, reuse: Uint8Array | undefined): Promise<Uint8Array | undefined>
}

/** A store Lamina can write zarr to. */
export interface WritableZarrStore extends ZarrStore {
  set(key: AbsolutePath, value: Uint8Array): Promise<void>
}

const keyPath = (root: string, key: AbsolutePath): string => path.join(root, ...key.split("/").filter((p) => p !== ""))

/** A zarr store over a local folder (zarr's `DirectoryStore` layout). */
export class LocalZarrStore implements WritableZarrStore {
  constructor(readonly root: string) {}

  get(key: AbsolutePath): Promise<Uint8Array | undefined> {
    return this.getInto(key, undefined)
  }

  getInto(key: AbsolutePath, reuse: Uint8Array | undefined): Promise<Uint8Array | undefined> {
    // Synchronous: chunk files are small and hot in the page cache, and a thread-pool round
    // trip per file costs more than the read (the pool is busy decoding anyway).
    let fd: number
    try {
      fd = fs.openSync(keyPath(this.root, key), "r")
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      return code === "ENOENT" || code === "ENOTDIR" ? Promise.resolve(undefined) : Promise.reject(e)
    }
    try {
      const stat = fs.fstatSync(fd)
      if (stat.isDirectory()) return Promise.resolve(undefined)
      const size = stat.size
      const buf = reuse !== undefined && reuse.byteLength >= size ? reuse : new Uint8Array(size)
      let done = 0
      while (done < size) {
        const n = fs.readSync(fd, buf, done, size - done, done)
        if (n === 0) break
        done += n
      }
      return Promise.resolve(buf.subarray(0, done))
    } catch (e) {
      return Promise.reject(e)
    } finally {
      fs.closeSync(fd)
    }
  }

  async set(key: AbsolutePath, value: Uint8Array): Promise<void> {
    const file = keyPath(this.root, key)
    await fs.promises.mkdir(path.dirname(file), { recursive: true })
    await fs.promises.writeFile(file, value)
  }

  list(prefix: AbsolutePath): Promise<ReadonlyArray<string>> {
    try {
      return Promise.resolve(fs.readdirSync(keyPath(this.root, prefix)).sort())
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT" ? Promise.resolve([]) : Promise.reject(e)
    }
  }
}

/** A store over a local folder. */
export const localZarrStore = (folder: string): LocalZarrStore => new LocalZarrStore(path.resolve(folder))

/** A folder path or a store. */
export type ZarrLocation = string | ZarrStore

/** The store for a location (folders become {@link LocalZarrStore}s). */
export const storeOf = (location: ZarrLocation): ZarrStore =>
  typeof location === "string" ? localZarrStore(location) : location

/** The name of a location for messages. */
export const locationName = (location: ZarrLocation): string =>
  typeof location === "string" ? location : "root" in location && typeof location.root === "string" ? location.root : "<zarr store>"

/**
 * A zarr array or group as opened by zarrita (its `Array` or `Group`), typed by what Lamina's
 * public API promises. To use zarrita's functions on it (`zarr.get(node, …)`), narrow it with
 * zarrita's own types: `node as unknown as zarr.Array<zarr.DataType>` when `node.kind === "array"`.
 */
export interface ZarrNode {
  readonly kind: "array" | "group"
  readonly path: AbsolutePath
  readonly attrs: Readonly<Record<string, unknown>>
  readonly store: ZarrStore
}
