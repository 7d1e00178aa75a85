/**
 * JSON side tables: one row per JSON node of a JSON column, keyed by `(owner id, key_path)`,
 * kept in step with the owning table by triggers (insert, update of the column or the branch,
 * delete). `key_path` is SQLite's `json_tree` `fullkey` (`$.epochs`, `$."0abc"`), `kind` is
 * num/text/bool/null/object/array, the value is in `value` on SQLite (dynamically typed;
 * booleans as 1/0) and in `num_value`/`text_value` on Postgres (statement-level triggers with
 * transition tables, so a bulk insert costs one set-based statement). The owner's `branch` is
 * copied so lookups never visit the owning table. Indexes on
 * `(branch, key_path, kind, value[, owner])` answer typed comparisons by range scans.
 *
 * Run params (migration 10) and feature values (migration 110) are such side tables.
 *
 * @module
 */
import type { Dialect } from "./dialect.js"

/** Which JSON column a side table indexes. */
export interface JsonSideTable {
  /** The owning table (`lamina_run`). */
  readonly source: string
  /** Its JSON column (`params`). */
  readonly column: string
  /** The side table (`lamina_run_param`). */
  readonly table: string
  /** The side table's column holding the owner's id (`run_id`). */
  readonly owner: string
}

const SQLITE_SELECT = `j.fullkey,
    CASE j.type WHEN 'integer' THEN 'num' WHEN 'real' THEN 'num' WHEN 'true' THEN 'bool' WHEN 'false' THEN 'bool' ELSE j.type END,
    CASE WHEN j.type IN ('integer', 'real', 'text') THEN j.value WHEN j.type = 'true' THEN 1 WHEN j.type = 'false' THEN 0 END`

const sqliteRows = (s: JsonSideTable, source: string, id: string, branch: string): string => `
  INSERT OR REPLACE INTO ${s.table} (${s.owner}, branch, key_path, kind, value)
  SELECT ${id}, ${branch}, ${SQLITE_SELECT}
  FROM json_tree(CASE WHEN json_valid(${source}) THEN ${source} END) AS j
  WHERE j.fullkey <> '$'`

/** SQLite: the side table, its index and the triggers. */
export const sqliteSideTable = (s: JsonSideTable): ReadonlyArray<string> => [
  // One dynamically typed `value` (numbers, booleans as 1/0, strings): with `kind` fixed by the
  // query it is homogeneous, and one index serves numeric and text lookups.
  `CREATE TABLE ${s.table} (
    ${s.owner} INTEGER NOT NULL,
    branch INTEGER NOT NULL,
    key_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    value,
    PRIMARY KEY (${s.owner}, key_path)
  ) WITHOUT ROWID`,
  `CREATE INDEX ${s.table}_value ON ${s.table} (branch, key_path, kind, value)`,
  `CREATE TRIGGER ${s.table}_insert AFTER INSERT ON ${s.source} WHEN new.${s.column} IS NOT NULL BEGIN
    ${sqliteRows(s, `new.${s.column}`, "new.id", "new.branch")};
  END`,
  `CREATE TRIGGER ${s.table}_update AFTER UPDATE OF ${s.column} ON ${s.source} BEGIN
    DELETE FROM ${s.table} WHERE ${s.owner} = old.id;
    ${sqliteRows(s, `new.${s.column}`, "new.id", "new.branch")};
  END`,
  `CREATE TRIGGER ${s.table}_branch AFTER UPDATE OF branch ON ${s.source} WHEN new.branch IS NOT old.branch BEGIN
    UPDATE ${s.table} SET branch = new.branch WHERE ${s.owner} = new.id;
  END`,
  `CREATE TRIGGER ${s.table}_delete AFTER DELETE ON ${s.source} BEGIN
    DELETE FROM ${s.table} WHERE ${s.owner} = old.id;
  END`
]

/** Postgres: rows of the side table for the owners in `source` (a table or transition table with id, branch, the column). */
const pgRows = (s: JsonSideTable, source: string): string => `
  INSERT INTO ${s.table} (${s.owner}, branch, key_path, kind, num_value, text_value)
  WITH RECURSIVE node (${s.owner}, branch, key_path, value) AS (
    SELECT s.id, s.branch, '$'::text, s.${s.column} FROM ${source} s WHERE s.${s.column} IS NOT NULL
    UNION ALL
    SELECT node.${s.owner}, node.branch, node.key_path || c.segment, c.value
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
  SELECT ${s.owner}, branch, key_path,
    CASE jsonb_typeof(value) WHEN 'number' THEN 'num' WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'bool' ELSE jsonb_typeof(value) END,
    CASE jsonb_typeof(value) WHEN 'number' THEN (value #>> '{}')::double precision WHEN 'boolean' THEN (CASE WHEN value = 'true'::jsonb THEN 1 ELSE 0 END) END,
    CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' END
  FROM node WHERE key_path <> '$'`

/** Postgres: the side table, its indexes, the trigger functions and the triggers. */
export const pgSideTable = (s: JsonSideTable): ReadonlyArray<string> => [
  `CREATE TABLE ${s.table} (
    ${s.owner} BIGINT NOT NULL,
    branch BIGINT NOT NULL,
    key_path TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    num_value DOUBLE PRECISION,
    text_value TEXT COLLATE "C",
    PRIMARY KEY (${s.owner}, key_path)
  )`,
  `CREATE INDEX ${s.table}_num ON ${s.table} (branch, key_path, kind, num_value, ${s.owner})`,
  `CREATE INDEX ${s.table}_text ON ${s.table} (branch, key_path, kind, text_value, ${s.owner})`,
  `CREATE FUNCTION ${s.table}_insert() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
  BEGIN
    ${pgRows(s, "new_rows")};
    RETURN NULL;
  END $$`,
  `CREATE FUNCTION ${s.table}_update() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
  BEGIN
    DELETE FROM ${s.table} p USING new_rows n JOIN old_rows o ON o.id = n.id
      WHERE p.${s.owner} = n.id AND n.${s.column} IS DISTINCT FROM o.${s.column};
    ${pgRows(s, `(SELECT n.id, n.branch, n.${s.column} FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.${s.column} IS DISTINCT FROM o.${s.column})`)};
    UPDATE ${s.table} p SET branch = n.branch FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE p.${s.owner} = n.id AND n.branch IS DISTINCT FROM o.branch AND n.${s.column} IS NOT DISTINCT FROM o.${s.column};
    RETURN NULL;
  END $$`,
  `CREATE FUNCTION ${s.table}_delete() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
  BEGIN
    DELETE FROM ${s.table} p USING old_rows o WHERE p.${s.owner} = o.id;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER ${s.table}_insert AFTER INSERT ON ${s.source} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ${s.table}_insert()`,
  `CREATE TRIGGER ${s.table}_update AFTER UPDATE ON ${s.source} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ${s.table}_update()`,
  `CREATE TRIGGER ${s.table}_delete AFTER DELETE ON ${s.source} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ${s.table}_delete()`
]

/** The side table and its triggers for `dialect`. */
export const sideTableStatements = (d: Dialect, s: JsonSideTable): ReadonlyArray<string> => (d === "pg" ? pgSideTable(s) : sqliteSideTable(s))

/**
 * Statements that rebuild a side table from scratch, set-based: used by migrations that add a
 * side table to existing rows, and by bulk loads that drop the triggers while they insert.
 */
export const rebuildSideTable = (d: Dialect, s: JsonSideTable): ReadonlyArray<string> =>
  d === "pg"
    ? [`DELETE FROM ${s.table}`, pgRows(s, s.source)]
    : [
        `DELETE FROM ${s.table}`,
        `INSERT OR REPLACE INTO ${s.table} (${s.owner}, branch, key_path, kind, value)
          SELECT r.id, r.branch, ${SQLITE_SELECT}
          FROM ${s.source} r, json_tree(CASE WHEN json_valid(r.${s.column}) THEN r.${s.column} END) AS j
          WHERE j.fullkey <> '$'`
      ]
