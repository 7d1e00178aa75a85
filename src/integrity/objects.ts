/**
 * Object checks (metadata only): every artifact's object exists with the recorded size — a
 * folder with the recorded number of files and total size. Virtual artifacts are answered from
 * one listing of `.lamina/`; artifacts registered in place (at their own key) are looked up one
 * by one (a local stat, an S3 HEAD).
 *
 * @module
 */
import { Effect } from "effect"
import type { StorageError } from "../errors.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import type { InternalEntry, StoredArtifact } from "./inventory.js"
import { INTERNAL } from "./inventory.js"
import type { Problem } from "./problem.js"

/** What was found for one artifact's bytes. */
interface Found {
  readonly files: number
  readonly size: number
}

const missing = (a: StoredArtifact, uri: string): Problem => ({
  kind: "missing-object",
  subject: a.label,
  message: `artifact ${a.label}: its ${a.isFolder ? "folder" : "object"} '${uri}' is missing from storage. Restore it from a backup, or remove the record with 'lamina delete ${a.uid} --permanent'.`,
  repair: "manual"
})

const wrongSize = (a: StoredArtifact, uri: string, found: Found): Problem => ({
  kind: "size-mismatch",
  subject: a.label,
  message: a.isFolder
    ? `artifact ${a.label}: folder '${uri}' holds ${found.files} file(s), ${found.size} bytes; the record says ${a.nFiles ?? "?"} file(s), ${a.size ?? "?"} bytes. Its contents changed outside Lamina: restore them, or save the folder again as a new version.`
    : `artifact ${a.label}: object '${uri}' is ${found.size} bytes; the record says ${a.size}. It was changed outside Lamina: restore it, or save the file again as a new version.`,
  repair: "manual"
})

/** Compare what storage holds with what the record says; a problem or nothing. */
const compare = (a: StoredArtifact, uri: string, found: Found | undefined): Problem | undefined => {
  if (found === undefined) return missing(a, uri)
  const sizeOk = a.size === null || a.size === found.size
  const filesOk = !a.isFolder || a.nFiles === null || a.nFiles === found.files
  return sizeOk && filesOk ? undefined : wrongSize(a, uri, found)
}

/** What storage holds at an artifact's key, looked up directly. */
const lookUp = (a: StoredArtifact): Effect.Effect<Found | undefined, StorageError, ObjectStore> =>
  Effect.flatMap(ObjectStore, (store) =>
    a.isFolder
      ? Effect.map(store.list(a.storageKey), (objects) =>
          objects.length === 0 ? undefined : { files: objects.length, size: objects.reduce((n, o) => n + o.size, 0) }
        )
      : Effect.map(store.stat(a.storageKey), (info) => (info === undefined ? undefined : { files: 1, size: info.size }))
  )

/**
 * Check that every artifact's object is in storage with its recorded size. `internal` is the
 * listing of `.lamina/` (`listInternal`); the artifacts whose objects are missing or of the
 * wrong size come back as problems, the others as `present`.
 */
export const checkObjects = (artifacts: ReadonlyArray<StoredArtifact>, internal: ReadonlyMap<string, InternalEntry>) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const problems: Array<Problem> = []
    const present: Array<StoredArtifact> = []
    const direct: Array<StoredArtifact> = []
    for (const a of artifacts) {
      const entry = a.virtual && a.storageKey.startsWith(`${INTERNAL}/`) ? internal.get(a.storageKey.slice(INTERNAL.length + 1)) : undefined
      // A file artifact's entry is the object itself; a folder's is every object below it.
      if (entry === undefined || (!a.isFolder && (entry.objects.length !== 1 || entry.objects[0]!.key !== a.storageKey))) {
        // Not in the listing: registered in place, or saved after the listing was taken (the
        // listing comes first so that new objects never look orphaned): look it up directly.
        direct.push(a)
        continue
      }
      const problem = compare(a, store.uri(a.storageKey), { files: entry.objects.length, size: entry.size })
      if (problem === undefined) present.push(a)
      else problems.push(problem)
    }
    const looked = yield* Effect.forEach(direct, (a) => Effect.map(lookUp(a), (found) => [a, compare(a, store.uri(a.storageKey), found)] as const), {
      concurrency: 16
    })
    for (const [a, problem] of looked) {
      if (problem === undefined) present.push(a)
      else problems.push(problem)
    }
    return { problems, present }
  })
