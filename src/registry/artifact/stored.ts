/**
 * Whether an artifact's bytes are still in storage as it saved them: a cache hit refuses outputs
 * whose bytes are gone or were edited in place, and saving the same content again puts them back.
 * A file is checked for its size, a folder artifact for how many files it holds and their bytes
 * (a file removed, added or resized inside it). A local folder answers synchronously (SQLite's
 * direct path asks inside a claim): one `stat` per file, a walk per folder; a remote store (S3)
 * with one HEAD per object, and a listing per folder artifact (one request per 1,000 objects).
 *
 * @module
 */
import { statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import type { StorageError } from "../../errors.js"
import { folderTotalsSync, type FolderTotals } from "../../storage/fileio.js"
import type { ObjectStore } from "../../storage/ObjectStore.js"
import type { ArtifactRow } from "./model.js"
import { isFolderRow, storageKeyOf } from "./paths.js"

/** What the checks read of an artifact. */
export type StoredRow = Pick<ArtifactRow, "storage_id" | "_key_is_virtual" | "uid" | "suffix" | "key" | "hash_type" | "n_files" | "size">

/**
 * What became of an artifact's bytes: `missing`, `resized` (another size than saved: edited in
 * place, or truncated; for a folder, another number of files or bytes), or undefined when they
 * are there as saved. Same-size edits are for `lamina check --deep`, which hashes.
 */
export type StoredState = "missing" | "resized" | undefined

/** The state of a file artifact whose object has `size` bytes (undefined: no object). */
export const storedStateOf = (a: StoredRow, size: number | undefined): StoredState =>
  size === undefined ? "missing" : a.size !== null && size !== a.size ? "resized" : undefined

/** The state of a folder artifact whose prefix holds `totals` (undefined or no file: nothing there). */
export const folderStateOf = (a: StoredRow, totals: FolderTotals | undefined): StoredState =>
  totals === undefined || totals.files === 0
    ? "missing"
    : (a.n_files !== null && totals.files !== a.n_files) || (a.size !== null && totals.bytes !== a.size)
      ? "resized"
      : undefined

/**
 * The synchronous check for a local folder `store` (the instance's storage `storageId`); undefined
 * for a remote store, which `storedStateNow` and `firstUnstored` ask. Artifacts of another storage
 * count as stored (they are not this instance's to check).
 */
export const storedIn = (store: Pick<ObjectStore, "type" | "root">, storageId: number): ((a: StoredRow) => StoredState) | undefined =>
  store.type !== "local"
    ? undefined
    : (a) => {
        if (a.storage_id !== storageId) return undefined
        const at = path.join(store.root, ...storageKeyOf(a).split("/"))
        if (isFolderRow(a)) return folderStateOf(a, folderTotalsSync(at))
        const found = statSync(at, { throwIfNoEntry: false })
        return storedStateOf(a, found?.isFile() === true ? found.size : undefined)
      }

/** `storedIn`'s answer for any store, as an Effect (on S3: one HEAD for a file, a listing for a folder). */
export const storedStateNow = (store: ObjectStore, storageId: number, a: StoredRow): Effect.Effect<StoredState, StorageError> => {
  const local = storedIn(store, storageId)
  if (local !== undefined) return Effect.sync(() => local(a))
  if (a.storage_id !== storageId) return Effect.succeed(undefined)
  return isFolderRow(a)
    ? Effect.map(store.list(storageKeyOf(a)), (objects) => folderStateOf(a, { files: objects.length, bytes: objects.reduce((n, o) => n + o.size, 0) }))
    : Effect.map(store.stat(storageKeyOf(a)), (info) => storedStateOf(a, info?.size))
}

/** The first of `artifacts` (in order) whose bytes are not stored as saved, with its state; HEADs run 8 at a time. */
export const firstUnstored = <A extends StoredRow>(
  store: ObjectStore,
  storageId: number,
  artifacts: ReadonlyArray<A>
): Effect.Effect<{ readonly artifact: A; readonly state: "missing" | "resized" } | undefined, StorageError> =>
  Effect.map(
    // One output (the common case) without forking: a forked fiber waits for the scheduler's next turn.
    Effect.forEach(artifacts, (a) => storedStateNow(store, storageId, a), { concurrency: artifacts.length === 1 ? 1 : 8 }),
    (states) => {
      const at = states.findIndex((s) => s !== undefined)
      return at === -1 ? undefined : { artifact: artifacts[at]!, state: states[at]! }
    }
  )
