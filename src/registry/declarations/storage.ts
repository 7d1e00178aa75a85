/**
 * The Storage registry's declaration.
 *
 * @module
 */
import { defineRegistry, f, fk, recordFields } from "../../schema/index.js"

/** Storage roots an instance writes to (uid of 12). */
export const StorageDecl = defineRegistry({
  name: "Storage",
  table: "lamina_storage",
  uidLength: 12,
  versioned: false,
  fields: {
    ...recordFields,
    root: f.unique(f.str),
    description: f.nullable(f.str),
    type: f.str,
    region: f.nullable(f.str),
    instance_uid: f.nullable(f.str)
  },
  relations: { created_by: fk("User", "created_by_id", "created_storages") },
  searchFields: ["root", "description"]
})
