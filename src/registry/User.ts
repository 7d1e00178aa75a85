/**
 * User registry: who created what.
 *
 * @module
 */
import { Effect } from "effect"
import { insertRow, now, selectRows } from "./crud.js"
import { registryAccess } from "./access.js"
import { UID_LENGTH } from "./uid.js"
import { UserModel } from "./catalog.js"
import type { RecordOf } from "./model.js"

export { UserModel } from "./catalog.js"


/** A user record. */
export type User = RecordOf<typeof UserModel>

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
