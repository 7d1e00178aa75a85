/**
 * `gc`: remove what a crash left in Lamina's own folder — the objects of permanently deleted
 * artifacts whose removal was interrupted (the row goes first, then the bytes), and objects of
 * saves killed before they registered. Only objects under `.lamina/` that no artifact row and
 * no save in flight owns, and that are older than `minAgeMs`, are removed; a registered
 * artifact's data is never touched. On S3 it also aborts multipart uploads under `.lamina/`
 * started more than `minAgeMs` ago (a killed save's parts, invisible to object listings).
 *
 * @module
 */
import { Effect } from "effect"
import type { StorageError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { ObjectStore, type PendingUpload } from "../storage/ObjectStore.js"
import { DEFAULT_MIN_AGE_MS } from "./check.js"
import { artifactsOfStorage, INTERNAL, listInternal } from "./inventory.js"
import { findOrphans } from "./orphans.js"

/** What `gc` removed and what it left for later. */
export interface GcReport {
  /** Storage keys removed. */
  readonly removed: ReadonlyArray<string>
  readonly bytesRemoved: number
  /** Orphans younger than the minimum age, left alone (a save may be about to register them). */
  readonly kept: ReadonlyArray<string>
  /** Incomplete multipart uploads aborted (S3): their keys. */
  readonly uploadsAborted: ReadonlyArray<string>
  /** Incomplete uploads younger than the minimum age, left alone. */
  readonly uploadsKept: ReadonlyArray<string>
  /** Why incomplete uploads were not looked at, when they could not be (an endpoint without the API). */
  readonly note?: string
}

/** Options of `gc`. */
export interface GcOptions {
  /** Objects younger than this are kept (default one hour). */
  readonly minAgeMs?: number
  /** Only report what would be removed. */
  readonly dryRun?: boolean
}

/** Remove orphan objects of the connected instance's storage. */
export const gc = (options: GcOptions = {}) =>
  Effect.gen(function* () {
    const instance = yield* Instance
    const store = yield* ObjectStore
    const minAgeMs = options.minAgeMs ?? DEFAULT_MIN_AGE_MS
    // Listing before rows, as in `check`: an object whose row commits in between is owned.
    const internal = yield* listInternal(instance.settings)
    const artifacts = yield* artifactsOfStorage(instance.storage.id)
    const { objects } = yield* findOrphans(internal, artifacts)
    const removed: Array<string> = []
    const kept: Array<string> = []
    let bytes = 0
    for (const o of objects) {
      if (o.ageMs < minAgeMs) {
        kept.push(o.key)
        continue
      }
      if (!options.dryRun) yield* store.remove(o.key)
      removed.push(o.key)
      bytes += o.size
    }
    if (removed.length > 0 && !options.dryRun) yield* Effect.logInfo(`gc removed ${removed.length} orphan object(s), ${bytes} bytes`)
    const uploads = yield* abortStaleUploads(store, minAgeMs, options.dryRun === true)
    const report: GcReport = { removed, bytesRemoved: bytes, kept, ...uploads }
    return report
  })

/** Uploads started before `now - minAgeMs`: older than any save still in flight could be. */
export const staleUploads = (uploads: ReadonlyArray<PendingUpload>, now: number, minAgeMs: number): ReadonlyArray<PendingUpload> =>
  uploads.filter((u) => u.initiated !== undefined && now - u.initiated.getTime() >= minAgeMs)

/** Abort incomplete multipart uploads under `.lamina/` older than `minAgeMs` (stores that have them). */
const abortStaleUploads = (store: ObjectStore, minAgeMs: number, dryRun: boolean): Effect.Effect<Pick<GcReport, "uploadsAborted" | "uploadsKept" | "note">, StorageError> =>
  Effect.gen(function* () {
    const none = { uploadsAborted: [] as ReadonlyArray<string>, uploadsKept: [] as ReadonlyArray<string> }
    if (store.incompleteUploads === undefined) return none
    const listed = yield* store.incompleteUploads.list(INTERNAL)
    if (listed._tag === "unsupported") return { ...none, note: `incomplete multipart uploads not checked: ${listed.reason}` }
    const stale = staleUploads(listed.uploads, Date.now(), minAgeMs)
    if (!dryRun) yield* Effect.forEach(stale, store.incompleteUploads.abort, { discard: true })
    const staleIds = new Set(stale.map((u) => u.uploadId))
    return { uploadsAborted: stale.map((u) => u.key), uploadsKept: listed.uploads.filter((u) => !staleIds.has(u.uploadId)).map((u) => u.key) }
  })
