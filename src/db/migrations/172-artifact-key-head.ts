/**
 * Migration 172: the head of a key from its index.
 *
 * A save of a key looks up the key's head (`keyHeadLookup`: `WHERE storage_id = ? AND key = ?
 * AND branch <> -1 ORDER BY is_latest DESC, uid DESC LIMIT 1`). On an index of `key` alone that
 * reads and sorts every version of the key: a key saved a thousand times made each new version
 * read a thousand rows, several times per save. An index in the lookup's order answers it from
 * its last entry. `key` stays its first column, so key filters and prefixes use it as before;
 * `storage_id` follows it so that Postgres, with stale statistics, still prefers this index to
 * the unique `(storage_id, key, hash)` one plus a sort (test/db/lookup-indexes.test.ts).
 *
 * @module
 */
import type { Migration } from "./migration.js"

export const artifactKeyHead: Migration = {
  id: 172,
  name: "artifact key index in head order (key, storage_id, is_latest, uid)",
  statements: () => [`DROP INDEX lamina_artifact_key`, `CREATE INDEX lamina_artifact_key ON lamina_artifact (key, storage_id, is_latest, uid)`]
}
