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
import type { Migration } from "./migration.js"

const SQLITE_PARAM_SELECT = `j.fullkey,
    CASE j.type WHEN 'integer' THEN 'num' WHEN 'real' THEN 'num' WHEN 'true' THEN 'bool' WHEN 'false' THEN 'bool' ELSE j.type END,
    CASE WHEN j.type IN ('integer', 'real', 'text') THEN j.value WHEN j.type = 'true' THEN 1 WHEN j.type = 'false' THEN 0 END`

const sqliteParamRows = (source: string, id: string, branch: string): string => `
  INSERT OR REPLACE INTO lamina_run_param (run_id, branch, key_path, kind, value)
  SELECT ${id}, ${branch}, ${SQLITE_PARAM_SELECT}
  FROM json_tree(CASE WHEN json_valid(${source}) THEN ${source} END) AS j
  WHERE j.fullkey <> '$'`

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
  // One dynamically typed `value` (numbers, booleans as 1/0, strings): with `kind` fixed by the
  // query it is homogeneous, and one index serves numeric and text lookups.
  `CREATE TABLE lamina_run_param (
    run_id INTEGER NOT NULL,
    branch INTEGER NOT NULL,
    key_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    value,
    PRIMARY KEY (run_id, key_path)
  ) WITHOUT ROWID`,
  `CREATE INDEX lamina_run_param_value ON lamina_run_param (branch, key_path, kind, value)`,
  `CREATE TRIGGER lamina_run_param_insert AFTER INSERT ON lamina_run WHEN new.params IS NOT NULL BEGIN
    ${sqliteParamRows("new.params", "new.id", "new.branch")};
  END`,
  `CREATE TRIGGER lamina_run_param_update AFTER UPDATE OF params ON lamina_run BEGIN
    DELETE FROM lamina_run_param WHERE run_id = old.id;
    ${sqliteParamRows("new.params", "new.id", "new.branch")};
  END`,
  `CREATE TRIGGER lamina_run_param_branch AFTER UPDATE OF branch ON lamina_run WHEN new.branch IS NOT old.branch BEGIN
    UPDATE lamina_run_param SET branch = new.branch WHERE run_id = new.id;
  END`,
  `CREATE TRIGGER lamina_run_param_delete AFTER DELETE ON lamina_run BEGIN
    DELETE FROM lamina_run_param WHERE run_id = old.id;
  END`,
  ...sqliteFts("lamina_artifact", ["key", "description"]),
  ...sqliteFts("lamina_transform", ["key", "description"]),
  ...rebuildStatements("sqlite")
]

/** Rows of `lamina_run_param` for the runs in `source` (a table or transition table with id, params). */
const pgParamRows = (source: string): string => `
  INSERT INTO lamina_run_param (run_id, branch, key_path, kind, num_value, text_value)
  WITH RECURSIVE node (run_id, branch, key_path, value) AS (
    SELECT s.id, s.branch, '$'::text, s.params FROM ${source} s WHERE s.params IS NOT NULL
    UNION ALL
    SELECT node.run_id, node.branch, node.key_path || c.segment, c.value
    FROM node CROSS JOIN LATERAL (
      SELECT CASE WHEN e.key ~ '^[A-Za-z][A-Za-z0-9]*$' THEN '.' || e.key ELSE '.' || to_json(e.key)::text END AS segment, e.value
      FROM jsonb_each(CASE WHEN jsonb_typeof(node.value) = 'object' THEN node.value ELSE '{}'::jsonb END) AS e
      UNION ALL
      SELECT '[' || (a.ordinality - 1)::text || ']', a.value
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(node.value) = 'array' THEN node.value ELSE '[]'::jsonb END) WITH ORDINALITY AS a (value, ordinality)
    ) AS c
    -- only containers have children: scalars never reach the set-returning functions
    WHERE jsonb_typeof(node.value) IN ('object', 'array')
  )
  SELECT run_id, branch, key_path,
    CASE jsonb_typeof(value) WHEN 'number' THEN 'num' WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'bool' ELSE jsonb_typeof(value) END,
    CASE jsonb_typeof(value) WHEN 'number' THEN (value #>> '{}')::double precision WHEN 'boolean' THEN (CASE WHEN value = 'true'::jsonb THEN 1 ELSE 0 END) END,
    CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' END
  FROM node WHERE key_path <> '$'`

const pg = (): ReadonlyArray<string> => [
  `CREATE TABLE lamina_run_param (
    run_id BIGINT NOT NULL,
    branch BIGINT NOT NULL,
    key_path TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    num_value DOUBLE PRECISION,
    text_value TEXT COLLATE "C",
    PRIMARY KEY (run_id, key_path)
  )`,
  `CREATE INDEX lamina_run_param_num ON lamina_run_param (branch, key_path, kind, num_value, run_id)`,
  `CREATE INDEX lamina_run_param_text ON lamina_run_param (branch, key_path, kind, text_value, run_id)`,
  `CREATE FUNCTION lamina_run_param_insert() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
  BEGIN
    ${pgParamRows("new_rows")};
    RETURN NULL;
  END $$`,
  `CREATE FUNCTION lamina_run_param_update() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
  BEGIN
    DELETE FROM lamina_run_param p USING new_rows n JOIN old_rows o ON o.id = n.id
      WHERE p.run_id = n.id AND n.params IS DISTINCT FROM o.params;
    ${pgParamRows("(SELECT n.id, n.branch, n.params FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.params IS DISTINCT FROM o.params)")};
    UPDATE lamina_run_param p SET branch = n.branch FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE p.run_id = n.id AND n.branch IS DISTINCT FROM o.branch AND n.params IS NOT DISTINCT FROM o.params;
    RETURN NULL;
  END $$`,
  `CREATE FUNCTION lamina_run_param_delete() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
  BEGIN
    DELETE FROM lamina_run_param p USING old_rows o WHERE p.run_id = o.id;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER lamina_run_param_insert AFTER INSERT ON lamina_run REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lamina_run_param_insert()`,
  `CREATE TRIGGER lamina_run_param_update AFTER UPDATE ON lamina_run REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lamina_run_param_update()`,
  `CREATE TRIGGER lamina_run_param_delete AFTER DELETE ON lamina_run REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION lamina_run_param_delete()`,
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
    ? [`DELETE FROM lamina_run_param`, pgParamRows("lamina_run")]
    : [
        `DELETE FROM lamina_run_param`,
        `INSERT OR REPLACE INTO lamina_run_param (run_id, branch, key_path, kind, value)
          SELECT r.id, r.branch, ${SQLITE_PARAM_SELECT}
          FROM lamina_run r, json_tree(CASE WHEN json_valid(r.params) THEN r.params END) AS j
          WHERE j.fullkey <> '$'`,
        `INSERT INTO lamina_artifact_fts (lamina_artifact_fts) VALUES ('rebuild')`,
        `INSERT INTO lamina_transform_fts (lamina_transform_fts) VALUES ('rebuild')`
      ]

/** Migration 10: params side table, search indexes. */
export const queryIndexes: Migration = {
  id: 10,
  name: "query indexes: run params side table, search indexes",
  statements: (d: Dialect) => (d === "pg" ? pg() : sqlite())
}
