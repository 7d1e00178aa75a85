/**
 * Storage registry: the storage roots an instance writes to.
 *
 * @module
 */
import { Effect } from "effect"
import { insertRow, now, selectRows } from "./crud.js"
import { registryAccess } from "./access.js"
import { StorageModel } from "./catalog.js"
import type { RecordOf } from "./model.js"

export { StorageModel } from "./catalog.js"
import { base62, UID_LENGTH } from "./uid.js"


/** A storage record. */
export type Storage = RecordOf<typeof StorageModel>

/** The storage record for `root`, registered if missing. */
export const ensureStorage = (options: {
  readonly root: string
  readonly type: "local" | "s3"
  readonly region?: string
  readonly userId: number
}) =>
  Effect.gen(function* () {
    const find = selectRows(StorageModel, (sql) => sql`root = ${options.root}`)
    const found = yield* find
    if (found.length > 0) return found[0] as unknown as Storage
    return yield* insertRow(StorageModel, {
      uid: base62(UID_LENGTH.storage),
      root: options.root,
      type: options.type,
      region: options.region ?? null,
      instance_uid: base62(12),
      created_at: now(),
      created_by_id: options.userId,
      branch: 1,
      is_locked: false
    }).pipe(
      Effect.catchTag("IntegrityError", () => Effect.map(find, (rows) => rows[0]!)),
      Effect.map((row) => row as unknown as Storage)
    )
  })

/** The Storage registry: `Storage.filter({...})`, `Storage.get(uid)`. */
export const Storage = registryAccess(
  StorageModel,
  (row): Storage => row as unknown as Storage,
  UID_LENGTH.storage
)
