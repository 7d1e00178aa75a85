/**
 * Staging a plan's files before its transaction: each file is read once. A file whose key
 * already has a same-size latest artifact is hashed in place and, if unchanged, resolves to that
 * artifact without a copy; any other file is copied into storage while it is hashed (one pass),
 * and dropped again if its content is already registered. What remains is written by the
 * launch's transaction; on failure the copies are removed (`unstage`).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { existsSync, statSync } from "node:fs"
import { Effect } from "effect"
import { StorageError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { virtualStorageKey } from "../registry/artifact/paths.js"
import { sqlFailure } from "../registry/crud.js"
import { suffixOf } from "../registry/suffix.js"
import { encodeValue } from "../registry/model.js"
import { newFamilyUid, UID_LENGTH } from "../registry/uid.js"
import { hashFile } from "../storage/fileio.js"
import type { ContentHash } from "../storage/hash.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import type { PlannedFile } from "./plan.js"
import type { IngestWarning } from "./warnings.js"

/** A file resolved to an artifact that is already registered. */
export interface StagedExisting {
  readonly _tag: "existing"
  readonly id: number
}

/** A file copied into storage, to be registered by the launch's transaction. */
export interface StagedNew {
  readonly _tag: "new"
  readonly file: PlannedFile
  /** The uid the bytes were written under (a new family), and their storage key. */
  readonly uid: string
  readonly storageKey: string
  readonly suffix: string
  readonly content: ContentHash & { readonly n_files?: number }
  /** The latest artifact at the same key, when this is its new version. */
  readonly revises: { readonly uid: string } | undefined
}

/** What a file resolved to. */
export type Staged = StagedExisting | StagedNew

interface Head {
  readonly id: number
  readonly uid: string
  readonly key: string
  readonly hash: string | null
  readonly size: number | null
}

const CHUNK = 500

const chunks = <A>(xs: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK))
  return out
}

/** Latest non-trash artifacts at these keys in the instance's storage. */
const headsOf = (storageId: number, keys: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const out = new Map<string, Head>()
    for (const part of chunks(keys)) {
      const rows = yield* sql<Head>`SELECT id, uid, key, hash, size FROM lamina_artifact WHERE storage_id = ${storageId} AND branch <> -1 AND is_latest = ${encodeValue("bool", true)} AND ${sql.in("key", part)}`
      for (const r of rows) out.set(r.key, { ...r, id: Number(r.id), size: r.size === null ? null : Number(r.size) })
    }
    return out
  }).pipe(Effect.mapError(sqlFailure("Looking up artifacts by key")))

/** Non-trash, non-empty artifacts with these hashes: hash → id (the oldest). */
export const idsByHash = (hashes: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const out = new Map<string, number>()
    for (const part of chunks(hashes)) {
      const rows = yield* sql<{ readonly id: number; readonly hash: string }>`SELECT id, hash FROM lamina_artifact WHERE branch <> -1 AND size > 0 AND ${sql.in("hash", part)} ORDER BY id`
      for (const r of rows) if (!out.has(r.hash)) out.set(r.hash, Number(r.id))
    }
    return out
  }).pipe(Effect.mapError(sqlFailure("Looking up artifacts by hash")))

const io = <A>(what: string, file: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new StorageError({ message: `${what} '${file}' failed: ${String(cause)}`, path: file, cause }) })

/**
 * Stage `files` (unique by path). A file that no longer exists is a warning, not an artifact.
 * `onFile` is called after each file, for progress.
 */
export const stageFiles = (files: ReadonlyArray<PlannedFile>, warnings: Array<IngestWarning>, onFile: () => void = () => {}) =>
  Effect.gen(function* () {
    const instance = yield* Instance
    const store = yield* ObjectStore
    const present = files.filter((f) => {
      if (existsSync(f.path)) return true
      warnings.push({ file: f.path, message: "named by the workflow's records but missing from the folder: not registered (was it deleted, or marked temp()?)." })
      return false
    })
    const heads = yield* headsOf(instance.storage.id, [...new Set(present.map((f) => f.key))])
    const staged = new Map<string, Staged>()
    const copied: Array<StagedNew> = []
    yield* Effect.forEach(
      present,
      (file) =>
        Effect.gen(function* () {
          const head = heads.get(file.key)
          if (head !== undefined && !file.isFolder && head.size === statSync(file.path).size) {
            const content = yield* io("Hashing", file.path, () => hashFile(file.path))
            if (content.hash === head.hash) {
              staged.set(file.path, { _tag: "existing", id: head.id })
              return onFile()
            }
          }
          const uid = newFamilyUid(UID_LENGTH.artifact)
          const suffix = file.isFolder ? "" : suffixOf(file.path)
          const storageKey = virtualStorageKey(uid, suffix, file.isFolder)
          const content = file.isFolder ? yield* store.putFolder(file.path, storageKey) : yield* store.putFile(file.path, storageKey)
          const entry: StagedNew = { _tag: "new", file, uid, storageKey, suffix, content, revises: head === undefined ? undefined : { uid: head.uid } }
          copied.push(entry)
          staged.set(file.path, entry)
          onFile()
        }),
      { concurrency: 4, discard: true }
    ).pipe(Effect.tapError(() => unstage(copied)))
    // Content already registered (under another key, or by an earlier launch): drop the copy.
    const known = yield* idsByHash([...new Set(copied.filter((c) => c.content.size > 0).map((c) => c.content.hash))]).pipe(Effect.tapError(() => unstage(copied)))
    const kept: Array<StagedNew> = []
    for (const c of copied) {
      const id = c.content.size > 0 ? known.get(c.content.hash) : undefined
      if (id === undefined) kept.push(c)
      else {
        staged.set(c.file.path, { _tag: "existing", id })
        yield* Effect.ignore(store.remove(c.storageKey))
      }
    }
    return { staged, copies: kept }
  })

/** Remove staged copies (the launch's transaction failed, or staging did). */
export const unstage = (copies: ReadonlyArray<StagedNew>) =>
  Effect.flatMap(ObjectStore, (store) => Effect.forEach(copies, (c) => Effect.ignore(store.remove(c.storageKey)), { discard: true }))
