/**
 * Migration 10, "query indexes": what keeps queries fast at a million records.
 *
 * 1. `lamina_run_param`, a side table with one row per JSON node of `run.params`, keyed by
 *    `(run_id, key_path)`: `key_path` is SQLite's `json_tree` `fullkey` (`$.epochs`,
 *    `$."learning_rate"`, `$.preprocess.downsample`), `kind` is num/text/bool/null/object/array,
 *    and the value is in `value` on SQLite (dynamically typed; booleans as 1/0) and in
 *    `num_value`/`text_value` on Postgres. Triggers on
 *    `lamina_run` keep it in step with every writer (insert, update of params, delete); on
 *    Postgres they are statement-level triggers with transition tables, so a bulk insert costs
 *    one set-based statement. The run's `branch` is copied too (and kept in step), so a count
 *    of runs by params never has to visit the runs table. An index on
 *    `(branch, key_path, kind, value)` (SQLite; a WITHOUT ROWID table, so the index ends with
 *    `run_id`) or `(branch, key_path, kind, num_value|text_value, run_id)` (Postgres) answers
 *    `params__lr=0.01`, `params__epochs__gt=50`
 *    and `orderBy("-params__epochs")` by index range scans instead of a `json_extract` scan of
 *    every run. (Expression indexes would need to know the keys in advance; params keys are
 *    whatever users pass.)
 * 2. Search: SQLite FTS5 trigram tables over artifact and transform `key`/`description`
 *    (external content, kept in step by triggers) that narrow `search()` candidates; on
 *    Postgres pg_trgm GIN indexes on the same columns serve `ILIKE '%text%'`. When pg_trgm is
 *    not available (no privilege), the migration skips those indexes and search scans.
 *
 * @module
 */
import type { Dialect } from "../dialect.js"
import { pgSideTable, rebuildSideTable, sqliteSideTable, type JsonSideTable } from "../jsonSideTable.js"
import type { Migration } from "./migration.js"

/** `run.params` and its side table. */
const PARAMS: JsonSideTable = { source: "lamina_run", column: "params", table: "lamina_run_param", owner: "run_id" }

const sqliteFts = (table: string, columns: ReadonlyArray<string>): ReadonlyArray<string> => {
  const fts = `${table}_fts`
  const cols = columns.join(", ")
  const newCols = columns.map((c) => `new.${c}`).join(", ")
  const oldCols = columns.map((c) => `old.${c}`).join(", ")
  return [
    `CREATE VIRTUAL TABLE ${fts} USING fts5(${cols}, content='${table}', content_rowid='id', tokenize='trigram')`,
    `CREATE TRIGGER ${fts}_insert AFTER INSERT ON ${table} BEGIN
      INSERT INTO ${fts} (rowid, ${cols}) VALUES (new.id, ${newCols});
    END`,
    `CREATE TRIGGER ${fts}_delete AFTER DELETE ON ${table} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${cols}) VALUES ('delete', old.id, ${oldCols});
    END`,
    `CREATE TRIGGER ${fts}_update AFTER UPDATE OF ${cols} ON ${table} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${cols}) VALUES ('delete', old.id, ${oldCols});
      INSERT INTO ${fts} (rowid, ${cols}) VALUES (new.id, ${newCols});
    END`,
  ]
}

const sqlite = (): ReadonlyArray<string> => [
  ...sqliteSideTable(PARAMS),
  ...sqliteFts("lamina_artifact", ["key", "description"]),
  ...sqliteFts("lamina_transform", ["key", "description"]),
  ...rebuildStatements("sqlite")
]

const pg = (): ReadonlyArray<string> => [
  ...pgSideTable(PARAMS),
  ...rebuildStatements("pg"),
  // pg_trgm for search; skipped (search then scans) when the extension cannot be created.
  `DO $$
  DECLARE s text;
  BEGIN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'pg_trgm is not available: search() will scan';
    END;
    SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF s IS NOT NULL THEN
      EXECUTE format('CREATE INDEX lamina_artifact_key_trgm ON lamina_artifact USING gin (key %I.gin_trgm_ops)', s);
      EXECUTE format('CREATE INDEX lamina_artifact_description_trgm ON lamina_artifact USING gin (description %I.gin_trgm_ops)', s);
      EXECUTE format('CREATE INDEX lamina_transform_key_trgm ON lamina_transform USING gin (key %I.gin_trgm_ops)', s);
      EXECUTE format('CREATE INDEX lamina_transform_description_trgm ON lamina_transform USING gin (description %I.gin_trgm_ops)', s);
    END IF;
  END $$`
]

/**
 * Statements that rebuild what the triggers maintain (the params side table, SQLite's search
 * tables) from scratch, set-based: used by the migration, and by bulk loads that drop the
 * triggers while they insert.
 */
export const rebuildStatements = (d: Dialect): ReadonlyArray<string> =>
  d === "pg"
    ? rebuildSideTable(d, PARAMS)
    : [
        ...rebuildSideTable(d, PARAMS),
        `INSERT INTO lamina_artifact_fts (lamina_artifact_fts) VALUES ('rebuild')`,
        `INSERT INTO lamina_transform_fts (lamina_transform_fts) VALUES ('rebuild')`
      ]

/** Migration 10: params side table, search indexes. */
export const queryIndexes: Migration = {
  id: 10,
  name: "query indexes: run params side table, search indexes",
  statements: (d: Dialect) => (d === "pg" ? pg() : sqlite())
}
