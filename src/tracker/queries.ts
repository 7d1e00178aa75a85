/**
 * The registry queries a step's body ran, kept on its run (`_cache_parts.queries`) so a cache
 * hit runs them again: when one now returns other rows, the body would see other records, and
 * the hit is refused ("a registry query it ran now returns other records: …").
 *
 * A query is kept as its SQL text, bound parameters and a digest of the rows it returned. Rows
 * the run made itself are left out of the digest, when it is taken and when it is checked: the
 * artifacts and collections it saved (their `run_id`), the run itself and the runs it started or
 * that reused it. Else a step that lists `clean/` and saves into `clean/` would refuse its own
 * hits. A row made later than the query never was in its result, and an artifact saved again
 * keeps its row, so the digest is taken as the query returns. A count over its own outputs, or a
 * record of another registry it created (a ULabel), costs one more execution, after which the
 * query returns what the body saw.
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
  /** The run whose rows the digest left out, when not the one it is kept on (a step called inside it). */
  readonly maker?: number
}

/** The ids of the runs that made `row` (a record of `model`), to leave out the rows of one. */
const makersOf = (model: string, row: Record<string, unknown>): ReadonlyArray<unknown> =>
  model === "Run" ? [row["id"], row["initiated_by_run_id"], row["reused_run_id"]] : [row["run_id"]]

// bigint as text (JSON refuses it); no driver here returns one unless asked, so tried second.
const bigintAsText = (_k: string, v: unknown): unknown => (typeof v === "bigint" ? v.toString() : v)

/** The digest of `rows` without those run `maker` made: their values in column order (one statement, one order). */
const digestOf = (model: string, records: boolean, rows: ReadonlyArray<Record<string, unknown>>, maker: number): string => {
  const h = createHash("md5")
  let n = 0
  // Hashed 64 KB at a time: one update per row costs a fifth more.
  let text = ""
  for (const row of rows) {
    if (records && makersOf(model, row).some((r) => r !== null && r !== undefined && Number(r) === maker)) continue
    const values = Object.values(row)
    try {
      text += JSON.stringify(values)
    } catch {
      text += JSON.stringify(values, bigintAsText)
    }
    text += "\n"
    n++
    if (text.length > 65_536) {
      h.update(text)
      text = ""
    }
  }
  return `${n}:${h.update(text).digest("base64url")}`
}

/** One statement with its parameters, as a map key (a body running it twice keeps the first result). */
export const statementKey = (sql: string, params: ReadonlyArray<Bindable>): string => `${sql}\u0000${JSON.stringify(params)}`

/** A statement the body of run `runId` ran, as kept on the run. */
export const storedQuery = (q: RanQuery, runId: number): StoredQuery => ({
  model: q.model,
  what: q.what,
  sql: q.text,
  params: q.params,
  records: q.records,
  digest: digestOf(q.model, q.records, q.rows, runId)
})

/** Why a hit of run `runId` is refused, given the rows `q` returns now; undefined when they are the rows it returned then. */
export const queryChanged = (q: StoredQuery, rows: ReadonlyArray<Record<string, unknown>>, runId: number): string | undefined =>
  digestOf(q.model, q.records, rows, q.maker ?? runId) === q.digest ? undefined : `a registry query it ran now returns other records: ${q.what}`

/** `queries` of run `runId`, as passed on to the step that called it (each names whose rows it leaves out). */
export const withMaker = (queries: ReadonlyArray<StoredQuery>, runId: number): ReadonlyArray<StoredQuery> =>
  queries.map((q) => (q.maker !== undefined ? q : { ...q, maker: runId }))

/** Why a hit is refused when a stored query cannot run any more (the registry's tables changed). */
export const queryFailed = (q: StoredQuery, error: unknown): string =>
  `a registry query it ran cannot run again (${error instanceof Error ? error.message : String(error)}): ${q.what}`

const isStored = (q: unknown): q is StoredQuery => {
  if (typeof q !== "object" || q === null) return false
  const s = q as Partial<Record<keyof StoredQuery, unknown>>
  return (
    typeof s.sql === "string" && typeof s.digest === "string" && typeof s.model === "string" && typeof s.what === "string" && typeof s.records === "boolean" && Array.isArray(s.params) && (s.maker === undefined || typeof s.maker === "number")
  )
}

/** The stored queries of a run's cache parts (none when it kept none); undefined when unreadable. */
export const storedQueries = (raw: unknown): ReadonlyArray<StoredQuery> | undefined =>
  raw === undefined ? [] : Array.isArray(raw) && raw.every(isStored) ? raw : undefined
