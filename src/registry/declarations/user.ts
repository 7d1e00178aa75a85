/**
 * The User registry's declaration.
 *
 * @module
 */
import { defineRegistry, f } from "../../schema/index.js"

/** Who created what (LaminDB's User; uid of 8). */
export const UserDecl = defineRegistry({
  name: "User",
  table: "lamina_user",
  uidLength: 8,
  versioned: false,
  fields: { id: f.id, uid: f.uid, handle: f.unique(f.str), name: f.nullable(f.str), created_at: f.datetime, updated_at: f.datetime },
  searchFields: ["handle", "name"]
})
