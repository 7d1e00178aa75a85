/**
 * The dialect object of a backend.
 *
 * @module
 */
import type { Dialect } from "../dialect.js"
import { pgDialect } from "./pg.js"
import { sqliteDialect } from "./sqlite.js"
import type { SqlDialect } from "./types.js"

export type { ColumnTypes, DateTransform, JsonView, MatchMode, PatternSyntax, SortType, SqlDialect } from "./types.js"

/** The dialect object of `name`. */
export const sqlDialect = (name: Dialect): SqlDialect => (name === "pg" ? pgDialect : sqliteDialect)
