/**
 * The shape of one schema change, and the columns every record table shares.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Dialect } from "../dialect.js"

/** One schema change. */
export interface Migration {
  /** Position in the list, starting at 1; never reused. */
  readonly id: number
  readonly name: string
  readonly statements: (dialect: Dialect) => ReadonlyArray<string>
}

/** Fields every record carries (LaminDB's BaseRecord + branch/lock/aux). */
export const recordFields = (dialect: Dialect): string => {
  const t = columnTypes(dialect)
  return `created_at ${t.ts} NOT NULL,
    created_by_id ${t.int} REFERENCES lamina_user(id),
    branch ${t.int} NOT NULL DEFAULT 1,
    is_locked ${t.bool} NOT NULL DEFAULT FALSE,
    _aux ${t.json}`
}
