/**
 * Migration 71: recreating runs; hash uniqueness ignores trash.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/**
 * LaminDB's `Artifact.recreating_runs`: runs that saved content an existing artifact already
 * held (the save returned that artifact). And content uniqueness ignores trash: a save whose
 * bytes match only a trashed artifact registers a new one instead of reviving the trashed row
 * (which belongs to the run that created it, often a failed one).
 */
export const recreatingRuns: Migration = {
  id: 71,
  name: "artifact recreating runs; hash uniqueness ignores trash",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_artifact_recreating_run (
        id ${t.id},
        artifact_id ${t.int} NOT NULL REFERENCES lamina_artifact(id) ON DELETE CASCADE,
        run_id ${t.int} NOT NULL REFERENCES lamina_run(id) ON DELETE CASCADE,
        UNIQUE (artifact_id, run_id)
      )`,
      `CREATE INDEX lamina_artifact_recreating_run_run ON lamina_artifact_recreating_run (run_id)`,
      `DROP INDEX lamina_artifact_storage_key_hash`,
      `CREATE UNIQUE INDEX lamina_artifact_storage_key_hash ON lamina_artifact (storage_id, key, hash) WHERE key IS NOT NULL AND branch <> -1`,
      `DROP INDEX lamina_artifact_storage_hash`,
      `CREATE UNIQUE INDEX lamina_artifact_storage_hash ON lamina_artifact (storage_id, hash) WHERE key IS NULL AND branch <> -1`
    ]
  }
}
