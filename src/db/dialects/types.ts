/**
 * What differs between the SQL dialects Lamina speaks, as one object per backend
 * (`./sqlite.ts`, `./pg.ts`; Kysely's adapter idea): the query compiler, the search, the
 * migrations' column types and the registries' locks ask it instead of branching on the
 * dialect's name.
 *
 * @module
 */
import type { Dialect } from "../dialect.js"
import type { Bindable, Sql } from "../sql.js"

/** Column type tokens used by migrations and derived DDL. */
export interface ColumnTypes {
  /** Integer primary key. */
  readonly id: string
  /** Integer foreign key / counter (64-bit on Postgres). */
  readonly int: string
  /** Floating point. */
  readonly float: string
  /** Free text. */
  readonly text: string
  /** Text compared byte-wise, so `LIKE 'prefix%'` can use a b-tree index (keys, uids). */
  readonly key: string
  /** Timestamp with time zone (ISO 8601 text on SQLite). */
  readonly ts: string
  /** JSON document. */
  readonly json: string
  /** Boolean (0/1 on SQLite). */
  readonly bool: string
}

/** A timestamp transform (`created_at__year`). */
export type DateTransform = "date" | "year" | "month" | "day" | "week" | "week_day" | "quarter" | "hour" | "minute" | "second"

/** How a literal text match is anchored. */
export type MatchMode = "exact" | "contains" | "startswith" | "endswith"

/** The type a sort key orders as. */
export type SortType = "int" | "float" | "str" | "json"

/** How comparisons read a JSON value: its kind, number and text, and how it sorts. */
export interface JsonView {
  /** 'num' | 'text' | 'bool' | 'null' | 'object' | 'array' (NULL when the key is absent). */
  readonly kind: Sql
  /** The number (booleans as 1/0) when the kind is num or bool. */
  readonly num: Sql
  /** The string when the kind is text. */
  readonly text: Sql
  /** Sort keys, ascending: absent/null/objects first, then numbers (booleans as 1/0), then strings by code point. */
  readonly sort: ReadonlyArray<readonly [Sql, SortType]>
}

/** Literal pattern matching: wildcard, escaping and the match operator. */
export interface PatternSyntax {
  readonly wildcard: string
  readonly escape: (text: string) => string
  readonly match: (value: Sql, pattern: Sql) => Sql
}

/** The logical type of a stored column, as far as the dialect's declared type tells. */
export type StoredType = "int" | "float" | "str" | "bool" | "datetime" | "json"

/**
 * Reading the schema itself, for tools that walk every table (export and import of a dump).
 * Each query's rows have the column names given here on both backends.
 */
export interface Introspection {
  /** Lamina's tables (`lamina_…`): rows `{ name }`. */
  readonly tables: Sql
  /** A table's columns in order: rows `{ name, type, notnull, pk }` (`notnull`, `pk` truthy). */
  readonly columns: (table: string) => Sql
  /** A table's foreign keys: rows `{ column, target }` (the referenced table). */
  readonly foreignKeys: (table: string) => Sql
  /** The logical type of a declared column type (SQLite only knows integer, real and text). */
  readonly storedType: (declared: string) => StoredType
  /** After rows were inserted with explicit ids: move the table's id generator past them. */
  readonly afterExplicitIds: (table: string) => Sql | undefined
}

/** One SQL dialect. */
export interface SqlDialect {
  readonly name: Dialect
  /** The placeholder of the `n`-th bound parameter (1-based). */
  readonly placeholder: (n: number) => string
  readonly columnTypes: ColumnTypes
  /** A boolean as a bound parameter. */
  readonly bool: (b: boolean) => Bindable
  /** Text compared by code point (Postgres: `COLLATE "C"`). */
  readonly byCodePoint: (expr: Sql) => Sql
  /** A UTC timestamp transform as an integer (`date` as YYYY-MM-DD text). */
  readonly transform: (expr: Sql, transform: DateTransform) => Sql
  /** `expr` matches `text` literally, case-sensitive or not. */
  readonly textMatch: (expr: Sql, mode: MatchMode, text: string, caseInsensitive: boolean) => Sql
  /** `expr` matches a regular expression. */
  readonly regexMatch: (expr: Sql, pattern: string, caseInsensitive: boolean) => Sql
  /** Case-sensitive literal patterns (search ranks with them). */
  readonly caseSensitivePattern: PatternSyntax
  /** Expressions reading a key path of a JSON column. */
  readonly jsonView: (column: Sql, keys: ReadonlyArray<string>) => JsonView
  /** A JSON side table's value columns as a view (`alias` is the side table's alias). */
  readonly sideView: (alias: string) => JsonView
  /** The JSON value at a key path, selected as JSON. */
  readonly jsonValue: (column: Sql, keys: ReadonlyArray<string>) => Sql
  /** One JSON array of `value` over `from` (… WHERE …), ordered by `order`. */
  readonly jsonArray: (value: Sql, from: Sql, order: Sql) => Sql
  /** NULLS FIRST/LAST so NULL sorts as the smallest value ("" where that is native). */
  readonly nullsSmallest: (desc: boolean, nullable: boolean) => string
  /** An OFFSET without a LIMIT. */
  readonly offsetOnly: (offset: number) => string
  /** AVG as a double. */
  readonly avg: (expr: Sql) => Sql
  /** Candidate narrowing by a full-text table over `id`, if the dialect has one. */
  readonly ftsCandidates: (idColumn: Sql, table: string, text: string) => Sql | undefined
  /** A statement taking transaction-scoped locks on `names`, where writers need them. */
  readonly transactionLocks: (names: ReadonlyArray<string>) => Sql | undefined
  /**
   * One statement that reads `lookups` (each a `SELECT <returning> FROM table …`) and, only when
   * none of them finds a row, inserts `values` into `table`: rows tagged `lamina_which` = the
   * lookup's index, or `lookups.length` for the inserted row (its `returning` columns, default
   * `*`). Undefined where a query cannot write (SQLite has no data-modifying WITH): run the
   * lookups, then the insert.
   */
  readonly insertUnlessFound: (table: string, lookups: ReadonlyArray<Sql>, values: Readonly<Record<string, Bindable>>, returning?: string) => Sql | undefined
  /**
   * `statements` as one query text, their values written as literals, that the server runs as
   * one transaction, each statement reading its own snapshot (so one that follows a lock sees
   * what the lock's previous holder committed): a small transaction in one round trip.
   * `lockWaitMs` bounds each wait for a lock inside it: past it the server undoes the whole
   * transaction and fails with an error `isLockTimeout` (db/failure.ts) recognises. The
   * query's results are the statements', the last statement's last. Undefined where there is no
   * such thing (SQLite, whose direct path needs no round trips).
   */
  readonly oneTransaction: (statements: ReadonlyArray<Sql>, lockWaitMs: number) => string | undefined
  /** Queries over the schema itself. */
  readonly introspection: Introspection
}
