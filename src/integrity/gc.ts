/**
 * `gc`: remove what a crash left in Lamina's own folder — the objects of permanently deleted
 * artifacts whose removal was interrupted (the row goes first, then the bytes), and objects of
 * saves killed before they registered. Only objects under `.lamina/` that no artifact row and
 * no save in flight owns, and that are older than `minAgeMs`, are removed; a registered
 * artifact's data is never touched.
 *
 * @module
 */
import { Effect } from "effect"
import { Instance } from "../instance/Instance.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { DEFAULT_MIN_AGE_MS } from "./check.js"
import { artifactsOfStorage, listInternal } from "./inventory.js"
import { findOrphans } from "./orphans.js"

/** What `gc` removed and what it left for later. */
export interface GcReport {
  /** Storage keys removed. */
  readonly removed: ReadonlyArray<string>
  readonly bytesRemoved: number
  /** Orphans younger than the minimum age, left alone (a save may be about to register them). */
  readonly kept: ReadonlyArray<string>
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
    return { removed, bytesRemoved: bytes, kept } satisfies GcReport
  })
