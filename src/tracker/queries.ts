/**
 * The registry queries a step's body ran, kept on its run (`_cache_parts.queries`) so a cache
 * hit runs them again: when one now returns other rows, the body would see other records, and
 * the hit is refused ("a registry query it ran now returns other records: …").
 *
 * A query is kept as its SQL text, bound parameters and a digest of the rows it returned. Rows
 * the run made itself are left out of the digest, when it is taken and when it is checked: the
 * artifacts it saved (or saved again), the collections it created, the run itself and the runs it
 * started. Else a step that lists `clean/` and saves into `clean/` would refuse its own hits.
 * Other rows it made (a ULabel it created) cost one more execution, after which the query
 * returns what the body saw.
 *
 * @module
 */
import { createHash } from "node:crypto"
import type { Bindable } from "../db/sql.js"
import type { RanQuery } from "../query/observe.js"

/** A query as kept on the run. */
export interface StoredQuery {
  readonly model: string
  /** The query as the user wrote it, for `why`. */
  readonly what: string
  readonly sql: string
  readonly params: ReadonlyArray<Bindable>
  /** Whether its rows are whole records (the run's own are left out of the digest). */
  readonly records: boolean
  readonly digest: string
  /** Whose rows the digest left out, when not the run's it is kept on (a query of a step called inside it). */
  readonly maker?: { readonly run: number; readonly artifacts: ReadonlyArray<number> }
}

/** One row of a result: a hash of its values, and what tells whether the run made it. */
interface RowPrint {
  readonly print: string
  /** Ids of runs that made the row (its `run_id`; a Run's own id, `initiated_by_run_id`, `reused_run_id`). */
  readonly runs: ReadonlyArray<unknown>
  /** The artifact's id, for Artifact rows (saved or saved again by the run). */
  readonly artifact?: number
}

/** A query seen during the body, its digest taken when the run ends (when all it made is known). */
export interface PendingQuery {
  readonly query: Omit<StoredQuery, "digest">
  readonly prints: ReadonlyArray<RowPrint>
}

/** What the run made, whose rows its queries leave out. */
export interface Maker {
  readonly runId: number
  /** Artifacts it saved or saved again. */
  readonly artifacts: ReadonlySet<number>
}

// A row's values in column order (one statement, one order); bigint as text (JSON refuses it).
const rowText = (row: Record<string, unknown>): string => JSON.stringify(Object.values(row), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))

const printsOf = (model: string, records: boolean, rows: ReadonlyArray<Record<string, unknown>>): ReadonlyArray<RowPrint> =>
  rows.map((row) => {
    const print = createHash("md5").update(rowText(row)).digest("base64url")
    if (!records) return { print, runs: [] }
    if (model === "Run") return { print, runs: [row["id"], row["initiated_by_run_id"], row["reused_run_id"]] }
    return { print, runs: "run_id" in row ? [row["run_id"]] : [], ...(model === "Artifact" ? { artifact: Number(row["id"]) } : {}) }
  })

const madeBy = (p: RowPrint, maker: Maker): boolean =>
  p.runs.some((r) => r !== null && r !== undefined && Number(r) === maker.runId) || (p.artifact !== undefined && maker.artifacts.has(p.artifact))

const digestOf = (prints: ReadonlyArray<RowPrint>, maker: Maker): string => {
  const h = createHash("md5")
  let n = 0
  for (const p of prints) {
    if (madeBy(p, maker)) continue
    h.update(`${p.print}\n`)
    n++
  }
  return `${n}:${h.digest("base64url")}`
}

/** A statement a body ran, pending its digest. */
export const pendingQuery = (q: RanQuery): PendingQuery => ({
  query: { model: q.model, what: q.what, sql: q.text, params: q.params, records: q.records },
  prints: printsOf(q.model, q.records, q.rows)
})

/** The query as kept on the run, once the run has ended. */
export const storedQuery = (p: PendingQuery, maker: Maker): StoredQuery => ({ ...p.query, digest: digestOf(p.prints, maker) })

/** Why a hit is refused, given the rows `q` returns now; undefined when they are the rows it returned then. */
export const queryChanged = (q: StoredQuery, rows: ReadonlyArray<Record<string, unknown>>, maker: Maker): string | undefined =>
  digestOf(printsOf(q.model, q.records, rows), q.maker === undefined ? maker : { runId: q.maker.run, artifacts: new Set(q.maker.artifacts) }) === q.digest
    ? undefined
    : `a registry query it ran now returns other records: ${q.what}`

/** `queries` of the run `maker` made, as passed on to the step that called it (each names whose rows it leaves out). */
export const withMaker = (queries: ReadonlyArray<StoredQuery>, maker: Maker): ReadonlyArray<StoredQuery> =>
  queries.map((q) => (q.maker !== undefined ? q : { ...q, maker: { run: maker.runId, artifacts: [...maker.artifacts] } }))

/** Why a hit is refused when a stored query cannot run any more (the registry's tables changed). */
export const queryFailed = (q: StoredQuery, error: unknown): string =>
  `a registry query it ran cannot run again (${error instanceof Error ? error.message : String(error)}): ${q.what}`

const isMaker = (m: unknown): boolean =>
  m === undefined || (typeof m === "object" && m !== null && typeof (m as { readonly run?: unknown }).run === "number" && Array.isArray((m as { readonly artifacts?: unknown }).artifacts))

const isStored = (q: unknown): q is StoredQuery => {
  if (typeof q !== "object" || q === null) return false
  const s = q as Partial<Record<keyof StoredQuery, unknown>>
  return (
    typeof s.sql === "string" && typeof s.digest === "string" && typeof s.model === "string" && typeof s.what === "string" && typeof s.records === "boolean" && Array.isArray(s.params) && isMaker(s.maker)
  )
}

/** The stored queries of a run's cache parts (none when it kept none); undefined when unreadable. */
export const storedQueries = (raw: unknown): ReadonlyArray<StoredQuery> | undefined =>
  raw === undefined ? [] : Array.isArray(raw) && raw.every(isStored) ? raw : undefined
