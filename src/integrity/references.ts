/**
 * Dangling references: a record's foreign key or a link row (run inputs, collection members,
 * labels…) pointing at a row that does not exist. Derived from the catalog — every declared
 * relation and link table, including registries declared later — so nothing here names a
 * registry. Link rows that point at nothing link nothing: `--fix` deletes them. A foreign key
 * is reported, never changed (it may be the only trace of what a record referred to).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { IntegrityError, StorageError } from "../errors.js"
import { catalog } from "../registry/catalog.js"
import { sqlFailure } from "../registry/crud.js"
import type { Model } from "../registry/model.js"
import type { Problem } from "./problem.js"

type SqlFailure = IntegrityError | StorageError

/** A reference to check: `table.column` → `target.id`. */
interface Reference {
  readonly table: string
  /** The column naming a referring row in messages: a record's uid, a link row's missing id. */
  readonly label: string
  readonly column: string
  readonly target: Model
  /** Link rows are deleted by `--fix`; record columns are only reported. */
  readonly link: boolean
}

/** Every declared reference of the catalog: forward relations and both columns of each link table. */
export const declaredReferences = (): ReadonlyArray<Reference> => {
  const models = Object.values(catalog as Readonly<Record<string, Model>>)
  const out: Array<Reference> = []
  const links = new Set<string>()
  for (const m of models) {
    for (const r of Object.values(m.relations)) out.push({ table: m.table, label: "uid", column: r.column, target: r.target(), link: false })
    for (const l of Object.values(m.links)) {
      // Each link table is seen from both sides; its two columns are checked once.
      if (links.has(l.table)) continue
      links.add(l.table)
      out.push({ table: l.table, label: l.selfColumn, column: l.selfColumn, target: m, link: true })
      out.push({ table: l.table, label: l.otherColumn, column: l.otherColumn, target: l.target(), link: true })
    }
  }
  return out
}

/** A dangling reference found. */
export interface Dangling {
  readonly reference: Reference
  /** How many rows point at nothing. */
  readonly count: number
  /** A few of them (uid or id) for the message. */
  readonly examples: ReadonlyArray<string>
}

const danglingOf = (ref: Reference): Effect.Effect<Dangling | undefined, SqlFailure, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly label: string | number }>`
      SELECT t.${sql(ref.label)} AS label FROM ${sql(ref.table)} t
      WHERE t.${sql(ref.column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${sql(ref.target.table)} x WHERE x.id = t.${sql(ref.column)})`
    return rows.length === 0 ? undefined : { reference: ref, count: rows.length, examples: rows.slice(0, 5).map((r) => String(r.label)) }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Checking ${ref.table}.${ref.column}`)(e))))

/** Every reference that points at a missing row. */
export const checkReferences = Effect.map(Effect.forEach(declaredReferences(), danglingOf), (found) => found.filter((d): d is Dangling => d !== undefined))

/** A dangling reference as a problem. */
export const danglingProblem = (d: Dangling): Problem => {
  const { table, column, target, link } = d.reference
  const more = d.count > d.examples.length ? `, … (${d.count} in all)` : ""
  return {
    kind: "dangling-reference",
    subject: `${table}.${column}`,
    message: link
      ? `${d.count} row(s) of ${table} point through ${column} at ${target.name} records that do not exist (missing ids ${[...new Set(d.examples)].join(", ")}${more}). They link nothing: 'lamina check --fix' deletes them.`
      : `${d.count} record(s) of ${table} have ${column} pointing at a ${target.name} that does not exist (${d.examples.join(", ")}${more}). Restore the missing ${target.name} from a backup or an export, or clear the field.`,
    repair: link ? "fix" : "manual"
  }
}

/** Delete the link rows of a dangling link reference. */
export const deleteDanglingLinks = (d: Dangling) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { table, column, target } = d.reference
    yield* sql`DELETE FROM ${sql(table)} WHERE ${sql(column)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${sql(target.table)} x WHERE x.id = ${sql(table)}.${sql(column)})`
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Deleting dangling rows of ${d.reference.table}`)(e))))
