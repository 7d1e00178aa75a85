/**
 * Migration 171: SQLite's search indexes catch up in batches.
 *
 * An FTS5 insert per row wrote a new index segment in every commit: four WAL pages and ≈ 0.1 ms
 * of a small save (bench/flow/README.md, "Small saves: the search index"). Now rows newer than
 * the index's watermark (`{index}_tail.indexed_through`) are not indexed yet. Search takes them
 * as candidates anyway (`ftsCandidates` in dialects/sqlite.ts), and the insert that makes that
 * tail `SEARCH_BATCH` rows long indexes it in one statement.
 *
 * The triggers keep the index exact:
 * - an insert at or below the watermark (an id reused after a delete, or an import) is indexed
 *   at once;
 * - updates and deletes touch the index only for rows it already holds. The batch reads a tail
 *   row's current values, so a tail row needs nothing.
 *
 * Postgres is unchanged: its pg_trgm indexes are ordinary indexes.
 *
 * @module
 */
import type { Dialect } from "../dialect.js"
import { searchTail } from "../dialects/sqlite.js"
import type { Migration } from "./migration.js"

/** Rows a search index may lag behind its table before an insert indexes them. */
export const SEARCH_BATCH = 256

/** The SQLite search indexes (migration 10): table and indexed columns. */
const INDEXES: ReadonlyArray<{ readonly table: string; readonly columns: ReadonlyArray<string> }> = [
  { table: "lamina_artifact", columns: ["key", "description"] },
  { table: "lamina_transform", columns: ["key", "description"] }
]

const through = (fts: string): string => `(SELECT indexed_through FROM ${searchTail(fts)})`

const batched = (table: string, columns: ReadonlyArray<string>): ReadonlyArray<string> => {
  const fts = `${table}_fts`
  const cols = columns.join(", ")
  const newCols = columns.map((c) => `new.${c}`).join(", ")
  const oldCols = columns.map((c) => `old.${c}`).join(", ")
  return [
    `CREATE TABLE ${searchTail(fts)} (indexed_through INTEGER NOT NULL)`,
    `INSERT INTO ${searchTail(fts)} (indexed_through) SELECT COALESCE(MAX(id), 0) FROM ${table}`,
    `DROP TRIGGER ${fts}_insert`,
    `DROP TRIGGER ${fts}_delete`,
    `DROP TRIGGER ${fts}_update`,
    `CREATE TRIGGER ${fts}_insert AFTER INSERT ON ${table} WHEN new.id <= ${through(fts)} BEGIN
      INSERT INTO ${fts} (rowid, ${cols}) VALUES (new.id, ${newCols});
    END`,
    `CREATE TRIGGER ${fts}_catch_up AFTER INSERT ON ${table} WHEN new.id >= ${through(fts)} + ${SEARCH_BATCH} BEGIN
      INSERT INTO ${fts} (rowid, ${cols}) SELECT id, ${cols} FROM ${table} WHERE id > ${through(fts)} AND id <= new.id;
      UPDATE ${searchTail(fts)} SET indexed_through = new.id;
    END`,
    `CREATE TRIGGER ${fts}_delete AFTER DELETE ON ${table} WHEN old.id <= ${through(fts)} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${cols}) VALUES ('delete', old.id, ${oldCols});
    END`,
    `CREATE TRIGGER ${fts}_update AFTER UPDATE OF ${cols} ON ${table} WHEN old.id <= ${through(fts)} BEGIN
      INSERT INTO ${fts} (${fts}, rowid, ${cols}) VALUES ('delete', old.id, ${oldCols});
      INSERT INTO ${fts} (rowid, ${cols}) VALUES (new.id, ${newCols});
    END`
  ]
}

/**
 * After an FTS5 'rebuild' (which indexes every row): mark each index complete, or its tail
 * would be indexed twice.
 */
export const markSearchIndexed = (d: Dialect): ReadonlyArray<string> =>
  d === "pg" ? [] : INDEXES.map(({ table }) => `UPDATE ${searchTail(`${table}_fts`)} SET indexed_through = (SELECT COALESCE(MAX(id), 0) FROM ${table})`)

/** Migration 171. */
export const searchTailMigration: Migration = {
  id: 171,
  name: "search tail: SQLite's search indexes catch up in batches",
  statements: (d) => (d === "pg" ? [] : INDEXES.flatMap(({ table, columns }) => batched(table, columns)))
}
