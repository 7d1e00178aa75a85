/**
 * `ObjectStore`: where artifact bytes live. A local folder by default, S3 for teams.
 * Keys are `/`-separated paths relative to the storage root; every write is atomic per object
 * (a reader sees the whole object or none) and hashes in the same pass as it copies.
 *
 * @module
 */
import { Context, Effect } from "effect"
import { InvalidArgument, type StorageError } from "../errors.js"
import type { ContentHash } from "./hash.js"

/** What a stored folder holds, summarised for its artifact row. */
export interface FolderSummary extends ContentHash {
  readonly n_files: number
}

/** An object listed under a prefix. */
export interface ObjectInfo {
  readonly key: string
  readonly size: number
  /** When the object was last written (file mtime, S3 LastModified). */
  readonly modifiedAt?: Date
}

/** Called with the number of bytes just read, as a long read proceeds (progress display). */
export type OnBytes = (bytes: number) => void

/** A multipart upload that was started and neither completed nor aborted. */
export interface PendingUpload {
  readonly key: string
  readonly uploadId: string
  readonly initiated?: Date
}

/** Listing and aborting incomplete multipart uploads (S3 only). */
export interface IncompleteUploads {
  /** Uploads under `prefix`; `unsupported` when the endpoint does not implement the listing. */
  readonly list: (
    prefix: string
  ) => Effect.Effect<{ readonly _tag: "listed"; readonly uploads: ReadonlyArray<PendingUpload> } | { readonly _tag: "unsupported"; readonly reason: string }, StorageError>
  /** Abort one upload, freeing its stored parts. */
  readonly abort: (upload: PendingUpload) => Effect.Effect<void, StorageError>
}

/** The storage service. */
export interface ObjectStore {
  /** The root as a user writes it: an absolute folder or `s3://bucket/prefix`. */
  readonly root: string
  readonly type: "local" | "s3"
  /** The local folders it keeps objects or downloads in (a step reading there reads artifacts, keyed by hash: see flow/fileTrace.ts). */
  readonly localFolders: ReadonlyArray<string>
  /** Incomplete multipart uploads, where the backend has them (S3). */
  readonly incompleteUploads?: IncompleteUploads
  /** Copy a local file to `key`, hashing while copying. */
  readonly putFile: (localPath: string, key: string) => Effect.Effect<ContentHash, StorageError>
  /** Copy a local folder below `prefix`; appears whole or not at all where the backend allows. */
  readonly putFolder: (localDir: string, prefix: string) => Effect.Effect<FolderSummary, StorageError>
  /** Write bytes to `key`. */
  readonly putBytes: (key: string, bytes: Uint8Array) => Effect.Effect<ContentHash, StorageError>
  /** Hash an object that is already stored (registration in place). */
  readonly hashObject: (key: string) => Effect.Effect<ContentHash, StorageError>
  /** Hash a stored folder (registration in place). */
  readonly hashFolder: (prefix: string) => Effect.Effect<FolderSummary, StorageError>
  /**
   * Read an object's bytes and hash them: whole-content md5, never an ETag or other metadata,
   * so the answer says whether the stored bytes still match their recorded hash. Streamed with
   * bounded memory; `onBytes` hears each chunk.
   */
  readonly hashContent: (key: string, onBytes?: OnBytes) => Effect.Effect<ContentHash, StorageError>
  /**
   * Copy an object to a local file (temporary name + rename: `dest` appears whole or not at
   * all), hashing what it copies; the hash of the copied bytes.
   */
  readonly download: (key: string, dest: string, onBytes?: OnBytes) => Effect.Effect<ContentHash, StorageError>
  /** Size and modification time of the object at `key`; undefined when there is none (or it is a folder). */
  readonly stat: (key: string) => Effect.Effect<ObjectInfo | undefined, StorageError>
  /** True when `key` is a stored object (not a folder). */
  readonly exists: (key: string) => Effect.Effect<boolean, StorageError>
  /** Objects below a prefix, with their size and modification time. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<ObjectInfo>, StorageError>
  /**
   * A local path holding the object's or folder's bytes: the file itself for local storage, a
   * verified cache copy for remote storage. `expected` is checked where a copy is made; in a
   * local folder its size is compared with the file's (bytes edited in place fail the read).
   */
  readonly localPath: (
    key: string,
    options?: { readonly folder?: boolean; readonly expected?: ContentHash }
  ) => Effect.Effect<string, StorageError>
  /** The bytes of an object. */
  readonly read: (key: string) => Effect.Effect<Uint8Array, StorageError>
  /**
   * Bytes `[start, end)` of an object, for `open()`-style partial reads without fetching the
   * whole object (an S3 ranged GET). `end` is clamped to the object's size; `start >= end`
   * gives no bytes. Negative or non-integer offsets are an `InvalidArgument`.
   */
  readonly readRange: (key: string, start: number, end: number) => Effect.Effect<Uint8Array, StorageError | InvalidArgument>
  /** Rename an object or folder. */
  readonly move: (from: string, to: string) => Effect.Effect<void, StorageError>
  /** Delete an object or a whole folder; a missing one is not an error. */
  readonly remove: (key: string) => Effect.Effect<void, StorageError>
  /** The key of a local path or URI inside this store, if it is inside. */
  readonly keyOf: (pathOrUri: string) => string | undefined
  /** The full path or URI of a key, for display and for tools that read it directly. */
  readonly uri: (key: string) => string
}

/** The `ObjectStore` service tag. */
export const ObjectStore = Context.GenericTag<ObjectStore>("lamina/ObjectStore")

/**
 * Validate a user-supplied key: relative, `/`-separated, no `.`/`..` segments, no empty
 * segments, no NUL. Keys that try to escape storage fail here, before anything is written.
 */
export const validateKey = (key: string): Effect.Effect<string, InvalidArgument> => {
  const fail = (why: string) =>
    Effect.fail(new InvalidArgument({ message: `Invalid key '${key}': ${why}.` }))
  if (typeof key !== "string" || key.length === 0) return fail("a key must be a non-empty string")
  if (key.includes("\0")) return fail("it contains a NUL character")
  if (key.startsWith("/") || /^[A-Za-z]:[\\/]/.test(key) || key.includes("\\"))
    return fail("use a relative path with '/' separators, like 'raw/sample1.csv'")
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(key)) return fail("a key is a path inside the storage root, not a URI")
  const segments = key.replace(/\/$/, "").split("/")
  if (segments.some((s) => s === ".." || s === "."))
    return fail("'.' and '..' segments are not allowed; a key cannot point outside the storage root")
  if (segments.some((s) => s === "")) return fail("empty path segments ('//') are not allowed")
  if (segments[0] === ".lamina") return fail("'.lamina/' is reserved for Lamina's own files")
  return Effect.succeed(key.replace(/\/$/, ""))
}

/** Check the offsets of a `readRange` call. */
export const validateRange = (start: number, end: number): Effect.Effect<void, InvalidArgument> =>
  Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= 0
    ? Effect.void
    : Effect.fail(new InvalidArgument({ message: `Invalid byte range [${start}, ${end}): pass whole, non-negative byte offsets with start <= end.` }))
