/**
 * Planning `field__startswith` + `ORDER BY id` + `LIMIT` on SQLite.
 *
 * SQLite can answer `key GLOB 'raw/2025/*' ORDER BY id DESC LIMIT 100` two ways: walk the key
 * index over the whole prefix range and sort (fast for a narrow prefix), or walk the table
 * newest-first and stop after 100 matches (fast for a broad prefix). Its choice depends on
 * statistics and flips between data sets, so Lamina decides: a bounded index-only probe counts
 * the prefix's rows up to a threshold T = √(rows wanted × table size) — the size where both
 * walks cost about the same — and a prefix with at least T rows is matched without the index
 * (`+key GLOB …`, SQLite's documented way to keep a term off an index). Postgres plans this
 * well by itself (its planner weighs LIMIT), so the probe is SQLite-only.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import { sqlFailure } from "../db/failure.js"
import type { QNode } from "./Q.js"
import type { QueryState } from "./state.js"
import { escapeGlob } from "./values.js"

const NO_INDEX: unique symbol = Symbol.for("lamina/noIndex")

/** A filter value marked "match without the column's index" (internal to the compiler). */
export interface NoIndex {
  readonly [NO_INDEX]: unknown
}

/** Mark a value so its condition is evaluated without the column's index. */
export const noIndex = (value: unknown): NoIndex => ({ [NO_INDEX]: value })

/** True for a marked value. */
export const isNoIndex = (v: unknown): v is NoIndex => typeof v === "object" && v !== null && NO_INDEX in v

/** The value inside a mark. */
export const unwrapNoIndex = (v: NoIndex): unknown => v[NO_INDEX]

/**
 * The state to run: unchanged, or with broad `startswith` prefixes marked `noIndex` (SQLite,
 * id-ordered, limited queries only). `rows` is how many rows the query needs (offset + limit, or
 * a page size).
 */
export const planPrefixes = (dialect: Dialect, state: QueryState, rows: number | undefined) =>
  Effect.gen(function* () {
    if (dialect !== "sqlite" || rows === undefined || state.search !== undefined || state.distinct) return state
    if (state.order.some((k) => k !== "id" && k !== "-id")) return state
    const candidates: Array<readonly [number, string, string]> = []
    state.where.forEach((node, i) => {
      if (node._tag !== "Spec") return
      for (const [key, value] of Object.entries(node.spec)) {
        const [field, lookup, more] = key.split("__")
        if (lookup === "startswith" && more === undefined && typeof value === "string" && state.model.fields[field!] === "str") candidates.push([i, key, value])
      }
    })
    if (candidates.length === 0) return state
    const sql = yield* SqlClient.SqlClient
    const table = `"${state.model.table.replace(/"/g, '""')}"`
    const size = Number((yield* sql.unsafe<{ readonly n: number | null }>(`SELECT MAX(id) AS n FROM ${table}`))[0]?.n ?? 0)
    const threshold = Math.min(50_000, Math.max(1000, Math.ceil(Math.sqrt(rows * size))))
    const where: Array<QNode> = [...state.where]
    for (const [i, key, prefix] of candidates) {
      const field = key.split("__")[0]!
      const probe = yield* sql.unsafe<{ readonly n: number }>(
        `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${table} WHERE "${field.replace(/"/g, '""')}" GLOB ? LIMIT ?)`,
        [escapeGlob(prefix) + "*", threshold]
      )
      if (Number(probe[0]?.n ?? 0) < threshold) continue
      const node = where[i]!
      if (node._tag === "Spec") where[i] = { _tag: "Spec", spec: { ...node.spec, [key]: noIndex(prefix) } }
    }
    return { ...state, where }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Planning a ${state.model.name} query`)(e))))
