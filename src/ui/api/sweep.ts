/**
 * `/api/sweep`: a transform's runs (every version of its key) with their params and the
 * numeric values of their results, flattened to dotted paths, for the sweep comparison.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument, Run, Transform } from "../../index.js"
import { intParam, param } from "../http.js"
import { statusOf, transformItem } from "./records.js"
import type { SweepJson, SweepRun } from "./types.js"

type Scalar = number | string | boolean | null

/** Leaves of a JSON value by dotted path; encoded records (`$lamina`) count as one leaf. */
const leaves = (value: unknown, prefix: string, out: Map<string, unknown>): void => {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !("$lamina" in value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix === "" ? k : `${prefix}.${k}`, out)
    return
  }
  if (prefix !== "") out.set(prefix, value)
}

const flatten = (value: unknown): Map<string, unknown> => {
  const out = new Map<string, unknown>()
  leaves(value, "", out)
  return out
}

/** Runs of the transform `uid` (newest first, at most `limit`). */
export const sweepOf = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const uid = param(params, "transform")
    if (uid === undefined) return yield* new InvalidArgument({ message: "Pass 'transform': the uid of the transform whose runs to compare." })
    const limit = yield* intParam(params, "limit", 500, 1, 5000)
    const transform = yield* Transform.get(uid)
    const runs = yield* (transform.key === null ? Run.filter({ transform: transform.id }) : Run.filter({ transform__key: transform.key })).orderBy("-id").slice(0, limit).toArray()
    const paramKeys = new Set<string>()
    const metricKeys = new Set<string>()
    const rows = runs.map((r): SweepRun => {
      const p: Record<string, Scalar> = {}
      for (const [k, v] of flatten(r.params)) {
        p[k] = typeof v === "number" || typeof v === "string" || typeof v === "boolean" || v === null ? v : JSON.stringify(v)
        paramKeys.add(k)
      }
      const m: Record<string, number> = {}
      const result = typeof r._result === "object" && r._result !== null && "value" in r._result ? (r._result as { value: unknown }).value : undefined
      for (const [k, v] of flatten(result === undefined ? {} : typeof result === "object" ? result : { value: result }))
        if (typeof v === "number" && Number.isFinite(v)) {
          m[k] = v
          metricKeys.add(k)
        }
      return { uid: r.uid, status: statusOf(r._status_code), params: p, metrics: m }
    })
    // A result that echoes a param (`{ mse, learning_rate }`) is not a metric.
    const metrics = [...metricKeys].filter((k) => !paramKeys.has(k)).sort()
    return { transform: transformItem(transform), params: [...paramKeys].sort(), metrics, runs: rows } satisfies SweepJson
  })
