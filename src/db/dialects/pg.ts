/**
 * Postgres: TIMESTAMPTZ, real booleans, JSONB read with `#>`, `COLLATE "C"` so text orders by
 * code point as on SQLite, ILIKE and `~`/`~*`, explicit NULLS FIRST/LAST, advisory locks.
 *
 * @module
 */
import { placeholders } from "../dialect.js"
import { ident, join, param, raw, sql, type Bindable, type Sql } from "../sql.js"
import { escapeLike, pgStringLiteral } from "./escape.js"
import type { DateTransform, Introspection, JsonView, MatchMode, SortType, SqlDialect } from "./types.js"

const transform = (expr: Sql, t: DateTransform): Sql => {
  const utc = sql`(${expr} AT TIME ZONE 'UTC')`
  switch (t) {
    case "date":
      return sql`to_char(${utc}, 'YYYY-MM-DD')`
    case "second":
      return sql`CAST(FLOOR(EXTRACT(SECOND FROM ${utc})) AS INTEGER)`
    case "week_day":
      return sql`(CAST(EXTRACT(DOW FROM ${utc}) AS INTEGER) + 1)`
    default:
      return sql`CAST(EXTRACT(${raw(t.toUpperCase())} FROM ${utc}) AS INTEGER)`
  }
}

const textMatch = (expr: Sql, mode: MatchMode, text: string, caseInsensitive: boolean): Sql => {
  const pre = mode === "contains" || mode === "endswith"
  const post = mode === "contains" || mode === "startswith"
  const p = (pre ? "%" : "") + escapeLike(text) + (post ? "%" : "")
  return sql`${expr} ${raw(caseInsensitive ? "ILIKE" : "LIKE")} ${p} ESCAPE '\\'`
}

// Numbers (and booleans as 1/0) before strings, absent/null/containers first.
const sort = (num: Sql, text: Sql): ReadonlyArray<readonly [Sql, SortType]> => [
  [sql`(CASE WHEN ${num} IS NOT NULL THEN 1 WHEN ${text} IS NOT NULL THEN 2 ELSE 0 END)`, "int"],
  [num, "float"],
  [text, "str"]
]

const path = (col: Sql, keys: ReadonlyArray<string>) => sql`(${col} #> ARRAY[${join(keys.map(param), ", ")}]::text[])`

const jsonView = (col: Sql, keys: ReadonlyArray<string>): JsonView => {
  const j = path(col, keys)
  const num = sql`(CASE jsonb_typeof(${j}) WHEN 'number' THEN (${j} #>> '{}')::float8 WHEN 'boolean' THEN (CASE WHEN ${j} = 'true'::jsonb THEN 1 ELSE 0 END) END)`
  const text = sql`(CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${j} #>> '{}' END)`
  return {
    kind: sql`(CASE jsonb_typeof(${j}) WHEN 'number' THEN 'num' WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'bool' ELSE jsonb_typeof(${j}) END)`,
    num,
    text,
    sort: sort(num, text)
  }
}

const introspection: Introspection = {
  tables: sql`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name LIKE 'lamina\\_%' ORDER BY table_name`,
  columns: (table) => sql`SELECT c.column_name AS name, c.data_type AS type, (c.is_nullable = 'NO') AS "notnull",
      EXISTS (SELECT 1 FROM information_schema.table_constraints tc
        JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
        WHERE tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name) AS pk
    FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = ${table} ORDER BY c.ordinal_position`,
  foreignKeys: (table) => sql`SELECT k.column_name AS "column", u.table_name AS target FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
    JOIN information_schema.constraint_column_usage u ON u.constraint_name = tc.constraint_name AND u.table_schema = tc.table_schema
    WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() AND tc.table_name = ${table}`,
  storedType: (declared) => {
    const t = declared.toLowerCase()
    if (/^(bigint|integer|smallint)$/.test(t)) return "int"
    if (/^(double precision|real|numeric)/.test(t)) return "float"
    if (t === "boolean") return "bool"
    if (t.startsWith("timestamp")) return "datetime"
    if (t === "json" || t === "jsonb") return "json"
    return "str"
  },
  // Identity columns keep their own counter: move it past ids inserted explicitly.
  afterExplicitIds: (table) =>
    sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), COALESCE((SELECT MAX(id) FROM ${raw(`"${table.replace(/"/g, '""')}"`)}), 0) + 1, false)`
}

/**
 * The lookups and the conditional insert as one data-modifying WITH: every part reads the
 * statement's one snapshot, so the insert happens exactly when the rows returned say nothing
 * was found (a save's round trip fewer).
 */
const insertUnlessFound = (table: string, lookups: ReadonlyArray<Sql>, values: Readonly<Record<string, Bindable>>, returning = "*"): Sql => {
  const t = ident(table)
  const columns = Object.keys(values)
  const found = lookups.map((q, i) => sql`${raw(`lamina_l${i}`)} AS (${q})`)
  const absent = lookups.length === 0 ? raw("TRUE") : join(lookups.map((_, i) => raw(`NOT EXISTS (SELECT 1 FROM lamina_l${i})`)), " AND ")
  const insert = sql`lamina_new AS (INSERT INTO ${t} (${join(columns.map(ident), ", ")}) SELECT ${join(columns.map((c) => param(values[c] ?? null)), ", ")} WHERE ${absent} RETURNING ${raw(returning)})`
  const rows = [...lookups.map((_, i) => raw(`SELECT ${i} AS lamina_which, lamina_l${i}.* FROM lamina_l${i}`)), raw(`SELECT ${lookups.length} AS lamina_which, lamina_new.* FROM lamina_new`)]
  return sql`WITH ${join([...found, insert], ", ")} ${join(rows, " UNION ALL ")}`
}

/**
 * A value as the literal of the text the driver would send as its parameter: untyped (quoted)
 * like an untyped parameter, so the server resolves it from context the same way.
 */
const literal = (value: Bindable): string => (value === null ? "NULL" : pgStringLiteral(String(value)))

/**
 * Statements joined into one simple query, which takes no parameters: values become literals.
 * Postgres runs a multi-statement simple query as one implicit transaction (all or nothing,
 * rolled back on error, nothing left open on the connection), each statement with a fresh
 * snapshot under READ COMMITTED. `SET LOCAL` bounds its lock waits for that transaction alone.
 */
const oneTransaction = (statements: ReadonlyArray<Sql>, lockWaitMs: number): string =>
  [
    // 0 would mean no bound at all.
    `SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockWaitMs))}ms'`,
    ...statements.map((s) => s.parts.map((p) => (p._tag === "text" ? p.text : literal(p.value))).join(""))
  ].join(";\n")

/** The Postgres dialect. */
export const pgDialect: SqlDialect = {
  name: "pg",
  placeholder: placeholders.pg,
  columnTypes: {
    id: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    int: "BIGINT",
    float: "DOUBLE PRECISION",
    text: "TEXT",
    key: `TEXT COLLATE "C"`,
    ts: "TIMESTAMPTZ",
    json: "JSONB",
    bool: "BOOLEAN"
  },
  bool: (b) => b,
  byCodePoint: (expr) => sql`${expr} COLLATE "C"`,
  transform,
  textMatch,
  regexMatch: (expr, pattern, ci) => sql`${expr} ${raw(ci ? "~*" : "~")} ${pattern}`,
  caseSensitivePattern: { wildcard: "%", escape: escapeLike, match: (value, pattern) => sql`${value} LIKE (${pattern}) ESCAPE '\\'` },
  jsonView,
  // `num_value` and `text_value` columns, each with its own index.
  sideView: (alias) => {
    const num = raw(`${alias}."num_value"`)
    const text = raw(`${alias}."text_value"`)
    return { kind: raw(`${alias}."kind"`), num, text, sort: sort(num, text) }
  },
  jsonValue: path,
  jsonArray: (value, from, order) => sql`(SELECT COALESCE(json_agg(${value} ORDER BY ${order}), '[]'::json) FROM ${from})`,
  nullsSmallest: (desc, nullable) => (nullable ? (desc ? " NULLS LAST" : " NULLS FIRST") : ""),
  offsetOnly: (offset) => ` OFFSET ${offset}`,
  avg: (expr) => sql`CAST(AVG(${expr}) AS DOUBLE PRECISION)`,
  // pg_trgm GIN indexes serve the ILIKE candidate filter by themselves.
  ftsCandidates: () => undefined,
  // One round trip; the select list is evaluated left to right, in sorted (deadlock-free) order.
  transactionLocks: (names) => sql`SELECT ${join([...names].sort().map((n) => sql`pg_advisory_xact_lock(hashtext(${n}))`), ", ")}`,
  insertUnlessFound,
  oneTransaction,
  introspection
}
