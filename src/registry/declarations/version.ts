/**
 * `version` of versioned registries: the version tag if set, else the uid's 4-character
 * suffix — a computed field, so it filters and orders like one (`version: "0000"`).
 *
 * @module
 */
import { sql } from "../../db/sql.js"
import type { ComputedField } from "../../schema/index.js"

/** The computed `version` of a registry whose full uids have `uidLength` characters. */
export const versionField = (uidLength: number): ComputedField<"str"> => ({
  type: "str",
  expr: (column) => sql`COALESCE(${column("version_tag")}, substr(${column("uid")}, ${uidLength - 3}))`
})
