/**
 * Deep verification (`lamina check --deep`): read every stored byte and hash it, streamed with
 * bounded memory from a local folder or S3, and compare with the recorded hash. Never trusts an
 * ETag or a cached copy: the bytes in storage are what is hashed. Progress (bytes done, total,
 * rate) goes to a caller-supplied callback; the CLI draws it on stderr.
 *
 * @module
 */
import { Effect } from "effect"
import type { StorageError } from "../errors.js"
import { hashFolder, type ContentHash } from "../storage/hash.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import type { StoredArtifact } from "./inventory.js"
import type { Problem } from "./problem.js"

/** Where a deep check is. */
export interface DeepProgress {
  readonly bytesDone: number
  readonly bytesTotal: number
  readonly artifactsDone: number
  readonly artifactsTotal: number
  /** Milliseconds since verification started. */
  readonly elapsedMs: number
}

/** Receives progress; called at most every `intervalMs` and once at the end. */
export type DeepProgressSink = (progress: DeepProgress) => void

/** Options of `verifyHashes`. */
export interface DeepOptions {
  readonly onProgress?: DeepProgressSink
  /** Minimum time between progress calls (default 200 ms). */
  readonly intervalMs?: number
  /** Objects hashed at once (default 2: reading one while hashing another keeps a core busy). */
  readonly concurrency?: number
}

/** Hash types whose value can be recomputed from the content alone. */
const verifiable = (a: StoredArtifact): boolean => a.hash !== null && (a.isFolder ? a.hashType === "md5-d" : a.hashType === "md5")

/** Hash an artifact's stored content the way its hash was computed. */
const hashStored = (a: StoredArtifact, onBytes: (n: number) => void): Effect.Effect<ContentHash, StorageError, ObjectStore> =>
  Effect.flatMap(ObjectStore, (store) =>
    a.isFolder
      ? Effect.flatMap(store.list(a.storageKey), (objects) =>
          Effect.map(Effect.forEach(objects, (o) => store.hashContent(o.key, onBytes)), (hashes): ContentHash => ({
            hash: hashFolder(hashes.map((h) => h.hash)),
            hash_type: "md5-d",
            size: hashes.reduce((n, h) => n + h.size, 0)
          }))
        )
      : store.hashContent(a.storageKey, onBytes)
  )

/**
 * Hash the stored bytes of `artifacts` (whose objects are known to be present) and report each
 * whose content no longer matches its recorded hash. Returns the problems, the bytes read and
 * how many artifacts have a hash that cannot be recomputed from content.
 */
export const verifyHashes = (artifacts: ReadonlyArray<StoredArtifact>, options: DeepOptions = {}) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const todo = artifacts.filter(verifiable)
    const total = todo.reduce((n, a) => n + (a.size ?? 0), 0)
    const started = Date.now()
    const interval = options.intervalMs ?? 200
    let bytes = 0
    let done = 0
    let last = 0
    const report = (force: boolean) => {
      const t = Date.now()
      if (options.onProgress === undefined || (!force && t - last < interval)) return
      last = t
      options.onProgress({ bytesDone: bytes, bytesTotal: total, artifactsDone: done, artifactsTotal: todo.length, elapsedMs: t - started })
    }
    const onBytes = (n: number) => {
      bytes += n
      report(false)
    }
    const problems: Array<Problem> = []
    yield* Effect.forEach(
      todo,
      (a) =>
        hashStored(a, onBytes).pipe(
          Effect.map((content) => {
            done++
            if (content.hash !== a.hash)
              problems.push({
                kind: "hash-mismatch",
                subject: a.label,
                message: `artifact ${a.label}: the bytes of '${store.uri(a.storageKey)}' hash to ${content.hash}, the record says ${a.hash}. The stored content is damaged or was changed outside Lamina: restore it from a backup, or save the right file again as a new version.`,
                repair: "manual"
              })
          })
        ),
      { concurrency: options.concurrency ?? 2, discard: true }
    )
    report(true)
    return { problems, bytes, unverifiable: artifacts.length - todo.length }
  })
