/**
 * Cache hits: find the run that computed a cache key, check its outputs are still there, and
 * rebuild its return value. A hit is refused when an output it created or returned is in trash
 * or deleted, or when an artifact it loaded inside its body is in trash or no longer the
 * latest version of its family (the body would likely load the newer one now).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { IntegrityError, StorageError } from "../errors.js"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow } from "../registry/model.js"
import { findComputedRun, type Run, RunModel, decodeRun } from "../registry/Run.js"
import { decodeTransform, TransformModel } from "../registry/Transform.js"
import { parseParts, type LoadedInput } from "./cacheKey.js"
import { computedRunRowSync, type Direct } from "./direct.js"
import { decodeResult, resultRefs, Unencodable, type Json } from "./canonical.js"

/** A usable earlier run for a cache key. */
export interface Hit {
  readonly run: Run
  /** The decoded return value (before any result schema). */
  readonly value: unknown
  /** Artifacts the reused run loaded inside its body. */
  readonly loaded: ReadonlyArray<LoadedInput>
}

/** Why the newest run with a key cannot be reused, or undefined when it can. */
export type Refusal = { readonly run: Run; readonly reason: string }

const fetchRecord = (model: string, uid: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    if (model === "Run") {
      const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_run WHERE uid = ${uid}`
      return rows[0] === undefined ? undefined : decodeRun(decodeRow(RunModel, rows[0]))
    }
    if (model === "Transform") {
      const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_transform WHERE uid = ${uid}`
      return rows[0] === undefined ? undefined : decodeTransform(decodeRow(TransformModel, rows[0]))
    }
    return undefined
  })

/** The artifact rows a hit check reads: the run's own, those with `uids`, and `ids`. */
type ArtifactRows = (runId: number, uids: ReadonlyArray<string>, ids: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError | StorageError | IntegrityError, SqlClient.SqlClient>

const artifactRows: ArtifactRows = (runId, uids, ids) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE run_id = ${runId}${uids.length > 0 ? sql` OR ${sql.in("uid", uids)}` : sql``}${ids.length > 0 ? sql` OR ${sql.in("id", ids)}` : sql``}`
  )

/** `artifactRows` on SQLite's direct path (the same statement). */
const artifactRowsDirect =
  (direct: Direct): ArtifactRows =>
  (runId, uids, ids) =>
    direct.read("Checking a cached run", (d) =>
      d
        .prepare(
          `SELECT * FROM lamina_artifact WHERE run_id = ?${uids.length > 0 ? ` OR uid IN (${uids.map(() => "?").join(", ")})` : ""}${ids.length > 0 ? ` OR id IN (${ids.map(() => "?").join(", ")})` : ""}`
        )
        .all(runId, ...uids, ...ids) as ReadonlyArray<Record<string, unknown>>
    )

/** Check a computed run's outputs and decode its value; a `Refusal` says why it is unusable. */
export const validateHit = (run: Run, rowsOf: ArtifactRows = artifactRows) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const json = ((run._result as { readonly value?: Json } | null)?.value ?? null) as Json
    const refs = resultRefs(json)
    const parts = parseParts(run._cache_parts)
    const loaded = parts?.loaded ?? []
    const uids = [...new Set([...refs.artifacts, ...loaded.map((l) => l.uid)])]
    const recreated = new Set(parts?.recreated ?? [])
    // Runs that created, returned and loaded no artifacts need no check (the common no-op case).
    const rows =
      uids.length === 0 && parts !== undefined && (parts.created ?? []).length === 0 && recreated.size === 0
        ? []
        : yield* rowsOf(run.id, uids, [...recreated])
    const byUid = new Map<string, Artifact>()
    for (const row of rows) {
      const a = new Artifact(decodeRow(ArtifactModel, row))
      byUid.set(a.uid, a)
      if ((a.run_id === run.id || recreated.has(a.id)) && a.branch === -1) return { run, reason: `its output ${a.uid} is in trash` } as Refusal
    }
    for (const id of recreated)
      if (![...byUid.values()].some((a) => a.id === id)) return { run, reason: `an artifact it saved (id ${id}) was deleted` } as Refusal
    for (const uid of refs.artifacts) {
      const a = byUid.get(uid)
      if (a === undefined) return { run, reason: `its returned artifact ${uid} was deleted` } as Refusal
      if (a.branch === -1) return { run, reason: `its returned artifact ${uid} is in trash` } as Refusal
    }
    for (const l of loaded) {
      const a = byUid.get(l.uid)
      if (a === undefined || a.branch === -1) return { run, reason: `the artifact ${l.uid} it loaded was deleted or trashed` } as Refusal
      if (!a.is_latest) return { run, reason: `the artifact ${l.uid} it loaded has a newer version` } as Refusal
    }
    const records = new Map<string, unknown>()
    for (const r of refs.records) {
      const rec = yield* fetchRecord(r.model, r.uid)
      if (rec === undefined) return { run, reason: `its returned ${r.model} ${r.uid} was deleted` } as Refusal
      records.set(`${r.model}:${r.uid}`, rec)
    }
    try {
      const value = decodeResult(json, { artifact: (uid) => byUid.get(uid)!, record: (model, uid) => records.get(`${model}:${uid}`) })
      return { run, value, loaded } as Hit
    } catch (e) {
      if (e instanceof Unencodable) return { run, reason: `its result cannot be decoded: ${e.message}` } as Refusal
      throw e
    }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Checking a cached run")(e))))

/** The usable hit for `cacheKey`; else why the newest run with that key was refused, if any. */
export const lookupHit = (cacheKey: string) =>
  Effect.gen(function* () {
    const run = yield* findComputedRun(cacheKey)
    if (run === undefined) return undefined
    return yield* validateHit(run)
  })

/** `lookupHit` with the run found on SQLite's direct path (see `direct.ts`). */
export const lookupHitDirect = (direct: Direct, cacheKey: string) =>
  Effect.flatMap(direct.read("Looking up cached runs", (d) => computedRunRowSync(d, cacheKey)), (row) =>
    row === undefined ? Effect.succeed(undefined) : validateHit(decodeRun(decodeRow(RunModel, row)), artifactRowsDirect(direct))
  )

/** True for a usable hit (not a refusal). */
export const isHit = (h: Hit | Refusal | undefined): h is Hit => h !== undefined && "value" in h
