/**
 * Storage registry: the storage roots an instance writes to.
 *
 * @module
 */
import { Effect } from "effect"
import { insertRow, now, selectRows } from "./crud.js"
import { registryAccess } from "./access.js"
import { defineModel, recordFieldTypes } from "./model.js"
import { base62, UID_LENGTH } from "./uid.js"

/** The storage model. */
export const StorageModel = defineModel({
  name: "Storage",
  table: "lamina_storage",
  fields: { ...recordFieldTypes, root: "str", description: "str", type: "str", region: "str", instance_uid: "str" },
  relations: { created_by: { model: "User", column: "created_by_id" } },
  links: {},
  searchFields: ["root", "description"],
  versioned: false
})

/** A storage record. */
export interface Storage {
  readonly id: number
  readonly uid: string
  readonly root: string
  readonly description: string | null
  readonly type: string
  readonly region: string | null
  readonly instance_uid: string | null
  readonly created_at: Date
  readonly created_by_id: number | null
  readonly branch: number
}

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
