/**
 * SQLite: timestamps as ISO text, booleans as 0/1, JSON as text read with `json_extract`,
 * GLOB for case-sensitive matches (it uses the index for prefixes), `REGEXP` and
 * `lamina_iregexp` registered by the client (`../sqlite.ts`), FTS5 trigram tables.
 *
 * @module
 */
import { placeholders } from "../dialect.js"
import { canonicalPath } from "../jsonPath.js"
import { raw, sql, type Sql } from "../sql.js"
import { escapeGlob, escapeLike } from "./escape.js"
import type { DateTransform, Introspection, JsonView, MatchMode, SqlDialect } from "./types.js"

/** The watermark table of a search index: rows with a greater id are not indexed yet (migration 171). */
export const searchTail = (fts: string): string => `${fts}_tail`

const strftime = (fmt: string, expr: Sql) => sql`CAST(strftime('${raw(fmt)}', ${expr}) AS INTEGER)`

const transform = (expr: Sql, t: DateTransform): Sql => {
  switch (t) {
    case "date":
      return sql`strftime('%Y-%m-%d', ${expr})`
    case "year":
      return strftime("%Y", expr)
    case "month":
      return strftime("%m", expr)
    case "day":
      return strftime("%d", expr)
    case "week":
      return strftime("%V", expr)
    case "week_day":
      return sql`(${strftime("%w", expr)} + 1)`
    case "quarter":
      return sql`((${strftime("%m", expr)} + 2) / 3)`
    case "hour":
      return strftime("%H", expr)
    case "minute":
      return strftime("%M", expr)
    case "second":
      return strftime("%S", expr)
  }
}

const textMatch = (expr: Sql, mode: MatchMode, text: string, caseInsensitive: boolean): Sql => {
  const pre = mode === "contains" || mode === "endswith"
  const post = mode === "contains" || mode === "startswith"
  if (!caseInsensitive) {
    // GLOB is case-sensitive and, for a prefix, uses the column's index.
    return sql`${expr} GLOB ${(pre ? "*" : "") + escapeGlob(text) + (post ? "*" : "")}`
  }
  // SQLite's LIKE ignores ASCII case.
  return sql`${expr} LIKE ${(pre ? "%" : "") + escapeLike(text) + (post ? "%" : "")} ESCAPE '\\'`
}

const jsonView = (col: Sql, keys: ReadonlyArray<string>): JsonView => {
  const path = canonicalPath(keys)
  const t = sql`json_type(${col}, ${path})`
  return {
    kind: sql`(CASE ${t} WHEN 'integer' THEN 'num' WHEN 'real' THEN 'num' WHEN 'true' THEN 'bool' WHEN 'false' THEN 'bool' ELSE ${t} END)`,
    num: sql`(CASE WHEN ${t} IN ('integer', 'real', 'true', 'false') THEN json_extract(${col}, ${path}) END)`,
    text: sql`(CASE WHEN ${t} = 'text' THEN json_extract(${col}, ${path}) END)`,
    // SQLite sorts NULL < numbers < text by itself.
    sort: [[sql`(CASE WHEN ${t} IN ('object', 'array') THEN NULL ELSE json_extract(${col}, ${path}) END)`, "json"]]
  }
}

const introspection: Introspection = {
  tables: sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'lamina\\_%' ESCAPE '\\' ORDER BY name`,
  columns: (table) => sql`SELECT name, type, "notnull" AS "notnull", pk FROM pragma_table_info(${table}) ORDER BY cid`,
  foreignKeys: (table) => sql`SELECT "from" AS "column", "table" AS target FROM pragma_foreign_key_list(${table})`,
  // Type affinity is all SQLite keeps: timestamps and JSON are text, booleans integers.
  storedType: (declared) => (/INT/i.test(declared) ? "int" : /REAL|FLOA|DOUB/i.test(declared) ? "float" : "str"),
  // An INTEGER PRIMARY KEY continues after the largest id by itself.
  afterExplicitIds: () => undefined
}

/** The SQLite dialect. */
export const sqliteDialect: SqlDialect = {
  name: "sqlite",
  placeholder: placeholders.sqlite,
  columnTypes: { id: "INTEGER PRIMARY KEY", int: "INTEGER", float: "REAL", text: "TEXT", key: "TEXT", ts: "TEXT", json: "TEXT", bool: "INTEGER" },
  bool: (b) => (b ? 1 : 0),
  byCodePoint: (expr) => expr,
  transform,
  textMatch,
  regexMatch: (expr, pattern, ci) => (ci ? sql`lamina_iregexp(${pattern}, ${expr})` : sql`${expr} REGEXP ${pattern}`),
  caseSensitivePattern: { wildcard: "*", escape: escapeGlob, match: (value, pattern) => sql`${value} GLOB (${pattern})` },
  jsonView,
  // One dynamically typed `value` column (numbers and strings; one index serves both).
  sideView: (alias) => {
    const value = raw(`${alias}."value"`)
    return { kind: raw(`${alias}."kind"`), num: value, text: value, sort: [[value, "json"]] }
  },
  jsonValue: (col, keys) => sql`(${col} -> ${canonicalPath(keys)})`,
  jsonArray: (value, from, order) => sql`(SELECT json_group_array(v) FROM (SELECT ${value} AS v FROM ${from} ORDER BY ${order}))`,
  // NULL already sorts as the smallest value.
  nullsSmallest: () => "",
  offsetOnly: (offset) => ` LIMIT -1 OFFSET ${offset}`,
  avg: (expr) => sql`AVG(${expr})`,
  ftsCandidates: (id, table, text) => {
    if ([...text].length < 3) return undefined // trigram tables need three characters
    const t = raw(`"${table.replace(/"/g, '""')}"`)
    // Rows past the index's watermark are not indexed yet (migration 171): always candidates.
    const tail = raw(`"${searchTail(table).replace(/"/g, '""')}"`)
    return sql`(${id} IN (SELECT rowid FROM ${t} WHERE ${t} MATCH ${`"${text.replace(/"/g, '""')}"`}) OR ${id} > (SELECT indexed_through FROM ${tail}))`
  },
  // BEGIN IMMEDIATE already holds the database's single write lock.
  transactionLocks: () => undefined,
  insertUnlessFound: () => undefined,
  oneTransaction: () => undefined,
  introspection
}
