/**
 * `Run.why(uid)`: explain a run's cache outcome. For a cache hit, which run it reused; for an
 * executed step, which part of its cache key — code, a param, an input, the environment —
 * differs from the closest earlier run of the same step (the one with the fewest differences,
 * newest first), or why a run with the same key could not be reused.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../errors.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow } from "../registry/model.js"
import { decodeRun, RunModel, RunStatus, statusName, type Run } from "../registry/Run.js"
import { isBase62, UID_LENGTH } from "../registry/uid.js"
import { validateHit } from "../tracker/cache.js"
import { diffParts, parseParts, REACH, type CacheParts, type KeyChange } from "../tracker/cacheKey.js"
import { diffFingerprints, EDITED_AFTER_LOAD } from "./codeFingerprint.js"
import { loadFingerprints } from "./fingerprintRecord.js"

/** How a run came to be computed or reused. */
export type WhyOutcome =
  | "cached"
  | "first-run"
  | "changed"
  /** A run with the same key exists, but an output it saved or returned is gone or in trash. */
  | "outputs-unavailable"
  /** A run with the same key exists, but what its body read changed: a loaded artifact or collection, a query's rows, a file. */
  | "read-changed"
  | "previous-failed"
  | "same-key"
  | "not-cacheable"

/** The explanation of a run's cache outcome. */
export interface Explanation {
  readonly run: string
  readonly transform: string | null
  readonly status: string
  readonly outcome: WhyOutcome
  /** For a cache hit: the run reused. */
  readonly reusedRun?: string
  /** The earlier run compared against. */
  readonly closestRun?: string
  readonly changes: ReadonlyArray<KeyChange & { readonly beforeValue?: unknown; readonly afterValue?: unknown }>
  /** A sentence or two for people. */
  readonly message: string
}

const describeValue = (v: unknown): string => (v === undefined ? "unset" : JSON.stringify(v))

/** Drop param changes already explained by an input change of the same param. */
const dedupe = (changes: ReadonlyArray<KeyChange>): ReadonlyArray<KeyChange> => {
  const inputRoots = new Set(changes.filter((c) => c.component === "input").map((c) => (c.name ?? "").split(/[.[]/)[0]))
  return changes.filter((c) => c.component !== "param" || !inputRoots.has(c.name ?? ""))
}

/** Replace a "code the module imports changed" entry by the files and packages that changed. */
const expandReach = (before: CacheParts, after: CacheParts, changes: ReadonlyArray<KeyChange>) =>
  Effect.gen(function* () {
    const i = changes.findIndex((c) => c.component === "code" && c.name === REACH)
    if (i < 0 || before.code === undefined || after.code === undefined) return changes
    const stored = yield* loadFingerprints([before.code, after.code])
    const b = stored.get(before.code)
    const a = stored.get(after.code)
    if (b === undefined || a === undefined) return changes
    const detailed = diffFingerprints(b, a).map((d): KeyChange => {
      const what = d.kind === "file" ? `file '${d.name}'` : `package '${d.name}'`
      const detail =
        d.before === undefined
          ? `${what} is newly reached by the step's module`
          : d.after === undefined
            ? `${what} is no longer reached by the step's module`
            : d.after.startsWith(EDITED_AFTER_LOAD)
              ? `${what} was edited after the process loaded the step's module (it ran the code it loaded; other processes do not reuse this run)`
              : d.kind === "file"
                ? d.after === "missing" ? `${what} was deleted` : `${what} changed`
                : `${what} changed (${d.before} → ${d.after})`
      return { component: d.kind === "file" ? "code" : "package", name: d.name, ...(d.before !== undefined ? { before: d.before } : {}), ...(d.after !== undefined ? { after: d.after } : {}), detail }
    })
    return detailed.length === 0 ? changes : [...changes.slice(0, i), ...detailed, ...changes.slice(i + 1)]
  })

/** Explain run `uid`'s cache outcome. */
export const explainRun = (uid: string) =>
  Effect.gen(function* () {
    if (!isBase62(uid) || uid.length !== UID_LENGTH.run)
      return yield* new InvalidArgument({ message: `'${uid}' is not a run uid (${UID_LENGTH.run} base62 characters). List runs with 'lamina ls run'.` })
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT r.*, t.key AS transform_key FROM lamina_run r JOIN lamina_transform t ON t.id = r.transform_id WHERE r.uid = ${uid}`
    if (rows[0] === undefined) return yield* new DoesNotExist({ registry: "Run", message: `No run with uid '${uid}'.` })
    const run = decodeRun(decodeRow(RunModel, rows[0]))
    const key = (rows[0].transform_key as string | null) ?? null
    const base = { run: run.uid, transform: key, status: statusName(run._status_code) }
    if (run._status_code === RunStatus.cached) {
      const reused = yield* sql<{ readonly uid: string; readonly finished_at: string | Date | null }>`SELECT uid, finished_at FROM lamina_run WHERE id = ${run.reused_run_id ?? -1}`
      const r = reused[0]
      return {
        ...base,
        outcome: "cached",
        ...(r ? { reusedRun: r.uid } : {}),
        changes: [],
        message: `Run ${run.uid} was a cache hit: it reused the outputs of run ${r?.uid ?? "(deleted)"}${r?.finished_at ? `, computed ${new Date(r.finished_at).toISOString()}` : ""}, without executing.`
      } satisfies Explanation
    }
    const parts = parseParts(run._cache_parts)
    if (parts === undefined)
      return {
        ...base,
        outcome: "not-cacheable",
        changes: [],
        message: `Run ${run.uid} has no cache key: it is a flow or script run (never cached), or a step with cache: false.`
      } satisfies Explanation
    if (parts.refused !== undefined)
      return {
        ...base,
        outcome: parts.refused.read === true ? "read-changed" : "outputs-unavailable",
        closestRun: parts.refused.run,
        changes: [],
        message: `Run ${run.uid} executed because the earlier run ${parts.refused.run} with the same cache key could not be reused: ${parts.refused.reason}.`
      } satisfies Explanation
    const candidates = (yield* sql<Record<string, unknown>>`SELECT r.* FROM lamina_run r JOIN lamina_transform t ON t.id = r.transform_id
      WHERE t.key = ${key} AND r.id < ${run.id} AND r._cache_parts IS NOT NULL AND r._status_code <> ${RunStatus.cached}
      ORDER BY r.id DESC LIMIT 200`).map((row) => decodeRun(decodeRow(RunModel, row)))
    let best: { run: Run; parts: CacheParts; changes: ReadonlyArray<KeyChange> } | undefined
    for (const c of candidates) {
      const p = parseParts(c._cache_parts)
      if (p === undefined) continue
      const changes = dedupe(diffParts(p, parts, c.cache_key !== run.cache_key))
      const better =
        best === undefined ||
        changes.length < best.changes.length ||
        (changes.length === best.changes.length && changes.length === 0 && best.run._status_code !== RunStatus.completed && c._status_code === RunStatus.completed)
      if (better) best = { run: c, parts: p, changes }
    }
    if (best === undefined)
      return {
        ...base,
        outcome: "first-run",
        changes: [],
        message: `Run ${run.uid} executed because no earlier run of '${key}' exists to reuse: it is the first.`
      } satisfies Explanation
    const closest = best.run
    if (best.changes.length === 0) {
      if (closest._status_code === RunStatus.completed) {
        const checked = yield* validateHit(closest)
        const refused = "reason" in checked ? checked.reason : undefined
        return {
          ...base,
          outcome: refused === undefined ? "same-key" : "read" in checked && checked.read === true ? "read-changed" : "outputs-unavailable",
          closestRun: closest.uid,
          changes: [],
          message:
            refused !== undefined
              ? `Run ${run.uid} executed because the earlier run ${closest.uid} with the same cache key cannot be reused: ${refused}.`
              : `Run ${run.uid} has the same cache key as the earlier run ${closest.uid}, which was not reusable when this run started (it was still running, or its outputs have been restored since).`
        } satisfies Explanation
      }
      return {
        ...base,
        outcome: "previous-failed",
        closestRun: closest.uid,
        changes: [],
        message: `Run ${run.uid} executed because the earlier run ${closest.uid} with the same cache key ${statusName(closest._status_code)}; only completed runs are reused.`
      } satisfies Explanation
    }
    const beforeParams = (closest.params ?? {}) as Record<string, unknown>
    const afterParams = (run.params ?? {}) as Record<string, unknown>
    // Values from `run.params`, when it shows them: a method's receiver (`this`) and null or undefined params are not recorded there.
    const shown = (name: string) => beforeParams[name] !== undefined || afterParams[name] !== undefined
    const changes = (yield* expandReach(best.parts, parts, best.changes)).map((c) =>
      c.component === "param" && c.name !== undefined && !(parts.secrets ?? []).includes(c.name) && shown(c.name)
        ? { ...c, beforeValue: beforeParams[c.name], afterValue: afterParams[c.name], detail: `${c.detail} (${describeValue(beforeParams[c.name])} → ${describeValue(afterParams[c.name])})` }
        : c
    )
    return {
      ...base,
      outcome: "changed",
      closestRun: closest.uid,
      changes,
      message: `Run ${run.uid} executed because, compared with the closest earlier run ${closest.uid} of '${key}': ${changes.map((c) => c.detail).join("; ")}.`
    } satisfies Explanation
  }).pipe(
    Effect.map((e): Explanation => e),
    Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Explaining a run")(e)))
  )
