/**
 * Which tables a dump holds and how their rows connect, derived from the registry catalog
 * (every declared registry with its fields and relations, every link table) and, for tables no
 * declaration describes (link tables' own columns, side tables like code fingerprints), from the
 * database's schema. A registry or link table declared later is dumped without code changes.
 * Left out: tables derived from others (JSON side tables, search indexes — their triggers
 * rebuild them on import), the state of processes in flight (cache claims, version slots), and
 * the migration log.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { currentDialect } from "../../db/dialect.js"
import { sqlDialect } from "../../db/dialects/index.js"
import type { Sql } from "../../db/sql.js"
import { catalog } from "../../registry/catalog.js"
import { sqlFailure } from "../../registry/crud.js"
import type { FieldType, Model } from "../../registry/model.js"

/** A reference from a column to another table's `id`. */
export interface DumpReference {
  readonly column: string
  readonly table: string
}

/** One dumped table. */
export interface DumpTable {
  readonly table: string
  /** The registry it holds, for registry tables. */
  readonly registry?: string
  /** Column → logical type (how values are written to and read from JSON). */
  readonly columns: Readonly<Record<string, FieldType>>
  /** Columns that may hold NULL. */
  readonly nullable: ReadonlyArray<string>
  /** Whether rows have an integer `id` (kept on import where it is free). */
  readonly hasId: boolean
  /** Column sets each identifying a row across instances (`uid`; unique fields; else the other columns). */
  readonly keys: ReadonlyArray<ReadonlyArray<string>>
  readonly references: ReadonlyArray<DumpReference>
}

/** Process state and bookkeeping: meaningless in another instance. */
const TRANSIENT = new Set(["lamina_migration", "lamina_run_claim", "lamina_artifact_slot"])

/** Run a dialect-built statement. */
export const runSql = <A extends object>(statement: Sql) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { text, params } = statement.render(yield* currentDialect)
    return yield* sql.unsafe<A>(text, params as Array<unknown>)
  })

interface ColumnRow {
  readonly name: string
  readonly type: string
  readonly notnull: unknown
  readonly pk: unknown
}

const truthy = (v: unknown): boolean => v === true || v === 1 || v === "1" || v === "t" || (typeof v === "number" && v > 0)

/** What the database says about a table. */
const describeTable = (table: string) =>
  Effect.gen(function* () {
    const q = sqlDialect(yield* currentDialect).introspection
    const columns = yield* runSql<ColumnRow>(q.columns(table))
    const fks = yield* runSql<{ readonly column: string; readonly target: string }>(q.foreignKeys(table))
    return {
      columns: columns.map((c) => ({ name: c.name, type: q.storedType(c.type), notnull: truthy(c.notnull), pk: truthy(c.pk) })),
      fks: fks.map((f) => ({ column: f.column, table: f.target }))
    }
  })

/** Tables derived from others, from the declarations: JSON side tables and search indexes. */
const derivedTables = (models: ReadonlyArray<Model>): ((table: string) => boolean) => {
  const side = new Set(models.flatMap((m) => Object.values(m.jsonIndexes).map((j) => j.table)))
  const search = models.flatMap((m) => (m.searchIndex === undefined ? [] : [m.searchIndex]))
  // FTS5 keeps shadow tables named `{index}_data`, `{index}_idx`, …
  return (t) => side.has(t) || search.some((s) => t === s || t.startsWith(`${s}_`))
}

const dedupe = (refs: ReadonlyArray<DumpReference>): ReadonlyArray<DumpReference> => {
  const seen = new Set<string>()
  return refs.filter((r) => (seen.has(r.column) ? false : (seen.add(r.column), true)))
}

/**
 * The dump plan of the connected database: registry tables in catalog order, then link tables,
 * then every other table, each with its columns, keys and references.
 */
export const dumpPlan = Effect.gen(function* () {
  const models = Object.values(catalog as Readonly<Record<string, Model>>)
  const q = sqlDialect(yield* currentDialect).introspection
  const present = new Set((yield* runSql<{ readonly name: string }>(q.tables)).map((r) => r.name))
  const derived = derivedTables(models)
  const out: Array<DumpTable> = []
  const planned = new Set<string>()

  for (const m of models) {
    if (!present.has(m.table)) continue
    const db = yield* describeTable(m.table)
    const stored = new Set(db.columns.map((c) => c.name))
    // Declared fields the database has (a declaration never names a column its migration lacks:
    // a test checks it); declared types, so JSON and timestamps survive a change of backend.
    const columns: Record<string, FieldType> = {}
    for (const [name, type] of Object.entries(m.fields)) if (stored.has(name)) columns[name] = type
    const unique = Object.entries(m.columns).filter(([n, d]) => d.unique === true && n !== "uid" && stored.has(n)).map(([n]) => [n])
    out.push({
      table: m.table,
      registry: m.name,
      columns,
      nullable: Object.entries(m.columns).filter(([n, d]) => d.nullable && stored.has(n)).map(([n]) => n),
      hasId: "id" in columns,
      keys: [["uid"], ...unique],
      references: dedupe([...Object.values(m.relations).map((r) => ({ column: r.column, table: r.target().table })), ...db.fks])
    })
    planned.add(m.table)
  }
  const linkRefs = new Map<string, Array<DumpReference>>()
  for (const m of models)
    for (const l of Object.values(m.links)) {
      const refs = linkRefs.get(l.table) ?? []
      refs.push({ column: l.selfColumn, table: m.table }, { column: l.otherColumn, table: l.target().table })
      linkRefs.set(l.table, refs)
    }
  const rest = [...present].filter((t) => !planned.has(t) && !TRANSIENT.has(t) && !derived(t)).sort((a, b) => Number(linkRefs.has(b)) - Number(linkRefs.has(a)))
  for (const table of rest) {
    const db = yield* describeTable(table)
    const columns: Record<string, FieldType> = {}
    for (const c of db.columns) columns[c.name] = c.type
    const hasId = "id" in columns
    const pk = db.columns.filter((c) => c.pk).map((c) => c.name)
    // A row is the same row elsewhere when its primary key is (unless that is a surrogate id);
    // a link row when it links the same records.
    const key = pk.length > 0 && !(pk.length === 1 && pk[0] === "id") ? pk : db.columns.map((c) => c.name).filter((n) => n !== "id")
    out.push({
      table,
      columns,
      nullable: db.columns.filter((c) => !c.notnull).map((c) => c.name),
      hasId,
      keys: [key],
      references: dedupe([...(linkRefs.get(table) ?? []), ...db.fks])
    })
  }
  return out
}).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading the registry's schema")(e))))
