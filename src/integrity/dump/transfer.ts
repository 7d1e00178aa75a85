/**
 * Copying the objects of artifacts (to a dump, or from a dump into storage), each verified
 * against its artifact's recorded hash as it is copied: a damaged object stops the transfer
 * with the artifact named, rather than travelling on silently.
 *
 * @module
 */
import { Effect } from "effect"
import { IntegrityError, type StorageError } from "../../errors.js"
import { hashFolder, type ContentHash } from "../../storage/hash.js"
import type { ObjectInfo } from "../../storage/ObjectStore.js"
import type { StoredArtifact } from "../inventory.js"

/** Where a transfer is. */
export interface TransferProgress {
  readonly bytesDone: number
  readonly bytesTotal: number
  readonly objectsDone: number
  readonly objectsTotal: number
  readonly elapsedMs: number
}

/** Receives progress, at most every 200 ms and once at the end. */
export type TransferProgressSink = (progress: TransferProgress) => void

/** How to move one object and list a folder's objects on the source side. */
export interface Transfer {
  /** Copy the object at storage key `key`; the hash of the bytes copied. */
  readonly copy: (key: string, onBytes: (n: number) => void) => Effect.Effect<ContentHash, StorageError>
  /** The objects of a folder artifact at `key`. */
  readonly list: (key: string) => Effect.Effect<ReadonlyArray<ObjectInfo>, StorageError>
  readonly onProgress?: TransferProgressSink
  /** Objects copied at once (default 4). */
  readonly concurrency?: number
}

const damaged = (a: StoredArtifact, got: string) =>
  new IntegrityError({
    message: `artifact ${a.label}: its bytes hash to ${got}, the record says ${a.hash}. The object is damaged: run 'lamina check --deep' on the instance it came from, and restore it before moving the instance.`
  })

/** Copy the objects of `artifacts`; how many objects and bytes were copied. */
export const copyObjects = (artifacts: ReadonlyArray<StoredArtifact>, transfer: Transfer) =>
  Effect.gen(function* () {
    const total = artifacts.reduce((n, a) => n + (a.size ?? 0), 0)
    const started = Date.now()
    let bytes = 0
    let objects = 0
    let done = 0
    let last = 0
    const report = (force: boolean) => {
      const t = Date.now()
      if (transfer.onProgress === undefined || (!force && t - last < 200)) return
      last = t
      transfer.onProgress({ bytesDone: bytes, bytesTotal: total, objectsDone: done, objectsTotal: artifacts.length, elapsedMs: t - started })
    }
    const onBytes = (n: number) => {
      bytes += n
      report(false)
    }
    yield* Effect.forEach(
      artifacts,
      (a) =>
        Effect.gen(function* () {
          if (a.isFolder) {
            const files = yield* transfer.list(a.storageKey)
            const hashes = yield* Effect.forEach(files, (f) => transfer.copy(f.key, onBytes))
            objects += files.length
            const got = hashFolder(hashes.map((h) => h.hash))
            if (a.hashType === "md5-d" && a.hash !== null && got !== a.hash) return yield* damaged(a, got)
          } else {
            const got = yield* transfer.copy(a.storageKey, onBytes)
            objects++
            if (a.hashType === "md5" && a.hash !== null && got.hash !== a.hash) return yield* damaged(a, got.hash)
          }
          done++
        }),
      { concurrency: transfer.concurrency ?? 4, discard: true }
    )
    report(true)
    return { objects, bytes }
  })
