/**
 * Migration 40: composite lookup indexes.
 *
 * @module
 */
import type { Migration } from "./migration.js"

/**
 * Lookups of the form `WHERE x = ? ORDER BY id LIMIT 1` on a single-column index tempt
 * Postgres, while a table's statistics are stale (right after a burst of inserts), into walking
 * the primary key and filtering: a full scan per save. Composite indexes answer the filter and
 * the order together, whatever the statistics say.
 */
export const lookupIndexes: Migration = {
  id: 40,
  name: "composite lookup indexes: artifact and transform hash, transform key, run cache key",
  statements: () => [
    `DROP INDEX lamina_artifact_hash`,
    `CREATE INDEX lamina_artifact_hash ON lamina_artifact (hash, id)`,
    `DROP INDEX lamina_transform_key`,
    `CREATE INDEX lamina_transform_key ON lamina_transform (key, uid)`,
    `DROP INDEX lamina_transform_hash`,
    `CREATE INDEX lamina_transform_hash ON lamina_transform (hash, id)`,
    `DROP INDEX lamina_run_cache_key`,
    `CREATE INDEX lamina_run_cache_key ON lamina_run (cache_key, id) WHERE _status_code = 0`
  ]
}
