/**
 * User registry: who created what.
 *
 * @module
 */
import { Effect } from "effect"
import { insertRow, now, selectRows } from "./crud.js"
import { registryAccess } from "./access.js"
import { UID_LENGTH } from "./uid.js"
import { defineModel } from "./model.js"

/** The user model. */
export const UserModel = defineModel({
  name: "User",
  table: "lamina_user",
  fields: { id: "int", uid: "str", handle: "str", name: "str", created_at: "datetime", updated_at: "datetime" },
  relations: {},
  links: {},
  searchFields: ["handle", "name"],
  versioned: false
})

/** A user record. */
export interface User {
  readonly id: number
  readonly uid: string
  readonly handle: string
  readonly name: string | null
  readonly created_at: Date
  readonly updated_at: Date
}

/** The user with this handle, created if missing (idempotent under concurrent callers). */
export const ensureUser = (user: { readonly uid: string; readonly handle: string; readonly name?: string }) =>
  Effect.gen(function* () {
    const find = selectRows(UserModel, (sql) => sql`handle = ${user.handle}`)
    const found = yield* find
    if (found.length > 0) return found[0] as unknown as User
    const t = now()
    return yield* insertRow(UserModel, { uid: user.uid, handle: user.handle, name: user.name ?? null, created_at: t, updated_at: t }).pipe(
      Effect.catchTag("IntegrityError", () => Effect.map(find, (rows) => rows[0]!)),
      Effect.map((row) => row as unknown as User)
    )
  })

/** The User registry: `User.filter({...})`, `User.get(uid)`. */
export const User = registryAccess(
  UserModel,
  (row): User => row as unknown as User,
  UID_LENGTH.user
)
