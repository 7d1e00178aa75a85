/**
 * Migration 151: the validation cache of step boundaries (src/curate/validationCache.ts).
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/**
 * One row per (artifact content, schema) that validated: what the result depends on in the
 * registries (columns' features, the terms matched) and a digest of their state then, so a
 * later check re-reads the registries but not the data.
 */
export const validationCache: Migration = {
  id: 151,
  name: "validation cache: artifact content × schema hash that validated",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_validation (
        id ${t.id},
        artifact_hash ${t.key} NOT NULL,
        suffix ${t.key} NOT NULL,
        schema_hash ${t.key} NOT NULL,
        dependencies ${t.json} NOT NULL,
        digest ${t.key} NOT NULL,
        created_at ${t.ts} NOT NULL,
        UNIQUE (artifact_hash, suffix, schema_hash)
      )`
    ]
  }
}
