/**
 * Migration 20: run caching.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/**
 * Lineage engine (ids 20–29): cache keys and reuse on runs, persisted step results and errors,
 * returned-artifact outputs, and the claim table that makes identical cache keys compute once
 * across processes.
 */
export const runCaching: Migration = {
  id: 20,
  name: "run caching: cache_key, reused_run, result, error, logs, run_output_artifact",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `ALTER TABLE lamina_run ADD COLUMN cache_key ${t.key}`,
      `ALTER TABLE lamina_run ADD COLUMN reused_run_id ${t.int} REFERENCES lamina_run(id)`,
      `ALTER TABLE lamina_run ADD COLUMN _result ${t.json}`,
      `ALTER TABLE lamina_run ADD COLUMN _cache_parts ${t.json}`,
      `ALTER TABLE lamina_run ADD COLUMN error ${t.json}`,
      `ALTER TABLE lamina_run ADD COLUMN logs ${t.text}`,
      // Only completed runs are ever reused: a partial index keeps cached-run inserts cheap.
      `CREATE INDEX lamina_run_cache_key ON lamina_run (cache_key) WHERE _status_code = 0`,
      `CREATE TABLE lamina_run_output_artifact (
        id ${t.id},
        run_id ${t.int} NOT NULL REFERENCES lamina_run(id) ON DELETE CASCADE,
        artifact_id ${t.int} NOT NULL REFERENCES lamina_artifact(id) ON DELETE CASCADE,
        UNIQUE (run_id, artifact_id)
      )`,
      `CREATE INDEX lamina_run_output_artifact_artifact ON lamina_run_output_artifact (artifact_id)`
    ]
  }
}
