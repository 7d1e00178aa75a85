/**
 * What a check compares: the artifact rows of the instance's storage (only the columns that
 * locate and size their bytes) and one listing of `.lamina/`, Lamina's own folder in storage.
 * One listing answers "is every object there" and "does every object have an owner" for every
 * virtual artifact at once — 100 S3 list requests for 100,000 objects instead of 100,000 HEADs.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as path from "node:path"
import { Effect } from "effect"
import { isFolderRow, labelOf, storageKeyOf } from "../registry/artifact/paths.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeValue } from "../registry/model.js"
import { parseTempName } from "../storage/fileio.js"
import type { ObjectInfo } from "../storage/ObjectStore.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import type { InstanceSettings } from "../instance/settings.js"

/** Lamina's own folder in a storage root. */
export const INTERNAL = ".lamina"

/** An artifact as the object checks see it. */
export interface StoredArtifact {
  readonly id: number
  readonly uid: string
  readonly key: string | null
  /** Where its bytes live inside the storage root. */
  readonly storageKey: string
  readonly virtual: boolean
  readonly isFolder: boolean
  readonly size: number | null
  readonly nFiles: number | null
  readonly hash: string | null
  readonly hashType: string | null
  readonly branch: number
  /** `'key' (uid)` or the uid, for messages. */
  readonly label: string
}

interface ArtifactLocationRow {
  readonly id: number | string
  readonly uid: string
  readonly key: string | null
  readonly suffix: string
  readonly size: number | string | null
  readonly n_files: number | string | null
  readonly hash: string | null
  readonly hash_type: string | null
  readonly branch: number | string
  readonly _key_is_virtual: unknown
}

/** Every artifact (trash included: trashed artifacts keep their bytes) stored in `storageId`. */
export const artifactsOfStorage = (storageId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<ArtifactLocationRow>`SELECT id, uid, key, suffix, size, n_files, hash, hash_type, branch, _key_is_virtual FROM lamina_artifact WHERE storage_id = ${storageId} ORDER BY id`
    return rows.map((r): StoredArtifact => {
      const nFiles = r.n_files === null ? null : Number(r.n_files)
      const located = { uid: r.uid, key: r.key, suffix: r.suffix, hash_type: r.hash_type, n_files: nFiles, _key_is_virtual: decodeValue("bool", r._key_is_virtual) as boolean }
      return {
        id: Number(r.id),
        uid: r.uid,
        key: r.key,
        storageKey: storageKeyOf(located),
        virtual: located._key_is_virtual,
        isFolder: isFolderRow(located),
        size: r.size === null ? null : Number(r.size),
        nFiles,
        hash: r.hash,
        hashType: r.hash_type,
        branch: Number(r.branch),
        label: labelOf(r)
      }
    })
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading the artifacts to check")(e))))

/** An entry directly below `.lamina/`: a file, or a folder with the objects below it. */
export interface InternalEntry {
  /** The name below `.lamina/` (`{uid}{suffix}` or a folder artifact's `{uid}`). */
  readonly name: string
  /** The storage key of the entry. */
  readonly key: string
  readonly objects: ReadonlyArray<ObjectInfo>
  readonly size: number
  /** The newest modification time of its objects. */
  readonly modifiedAt: Date | undefined
}

/**
 * The objects under `.lamina/` grouped by their first name below it, without the instance's own
 * SQLite registry files when the registry lives there (the default).
 */
export const listInternal = (settings: Pick<InstanceSettings, "db">) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const own = ownRegistryKeys(store, settings.db)
    const objects = yield* store.list(INTERNAL)
    const byName = new Map<string, Array<ObjectInfo>>()
    for (const o of objects) {
      if (own.has(o.key)) continue
      const rest = o.key.slice(INTERNAL.length + 1)
      const slash = rest.indexOf("/")
      const name = slash < 0 ? rest : rest.slice(0, slash)
      let group = byName.get(name)
      if (group === undefined) byName.set(name, (group = []))
      group.push(o)
    }
    const entries = new Map<string, InternalEntry>()
    for (const [name, group] of byName) {
      let size = 0
      let modified: number | undefined
      for (const o of group) {
        size += o.size
        const t = o.modifiedAt?.getTime()
        if (t !== undefined && (modified === undefined || t > modified)) modified = t
      }
      entries.set(name, { name, key: `${INTERNAL}/${name}`, objects: group, size, modifiedAt: modified === undefined ? undefined : new Date(modified) })
    }
    return entries
  })

/** Storage keys of the SQLite registry and its journal files, when they live in this storage. */
const ownRegistryKeys = (store: ObjectStore, db: string): ReadonlySet<string> => {
  if (/^postgres(?:ql)?:\/\//i.test(db) || store.type !== "local") return new Set()
  const key = store.keyOf(path.resolve(db))
  return key === undefined ? new Set() : new Set([key, `${key}-wal`, `${key}-shm`, `${key}-journal`])
}

/** Whether a name below `.lamina/` is a temporary file or folder of a save. */
export const isTempName = (name: string): boolean => parseTempName(name) !== undefined
