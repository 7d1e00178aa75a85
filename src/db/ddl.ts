/**
 * Column types per dialect, so each migration is written once for SQLite and Postgres. The
 * types themselves are part of each dialect object (`./dialects/`).
 *
 * @module
 */
import type { Dialect } from "./dialect.js"
import { sqlDialect, type ColumnTypes } from "./dialects/index.js"

export type { ColumnTypes } from "./dialects/index.js"

/** The column types of a dialect. */
export const columnTypes = (dialect: Dialect): ColumnTypes => sqlDialect(dialect).columnTypes
