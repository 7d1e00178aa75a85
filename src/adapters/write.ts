/**
 * The one seam through which the adapters write: an `IngestWriter` applies a plan, one launch
 * (a pipeline run with its task runs, their artifacts and links) per transaction, so a failure
 * never leaves a half-ingested run. It is idempotent: runs are identified by their reference
 * (a trace's hash, a Snakemake job), files by content.
 *
 * Everything goes through the engine's `Tracker`: transforms (found or created, versioned by
 * source, cached per process), and each launch's runs with `recordFinishedRuns` — finished runs
 * need no lease or heartbeat, and a launch must land whole: thousands of task runs, the
 * artifacts they created and their links in one transaction with multi-row inserts.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { makeDirectory } from "../storage/fileio.js"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import type { LaminaError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import type { Lamina } from "../instance/Lamina.js"
import { nextFreeUid, refreshLatest } from "../registry/artifact/family.js"
import { virtualStorageKey } from "../registry/artifact/paths.js"
import { now, sqlFailure } from "../registry/crud.js"
import { lockFor } from "../registry/locks.js"
import { encodeValue } from "../registry/model.js"
import { RunStatus } from "../registry/Run.js"
import type { Transform } from "../registry/Transform.js"
import type { FinishedLinks, FinishedRun } from "../tracker/finished.js"
import { Tracker } from "../tracker/Tracker.js"
import { splitUid } from "../registry/uid.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { isPlannedBytes, type IngestPlan, type PlannedFile, type PlannedLaunch, type PlannedRun, type PlannedTransform } from "./plan.js"
import { stageFiles, unstage, type Staged, type StagedNew } from "./stage.js"
import type { IngestSummary } from "./summary.js"
import type { IngestWarning } from "./warnings.js"

/** Progress of a write: files staged and runs written so far. */
export interface WriteProgress {
  readonly launch: number
  readonly launches: number
  readonly files: number
  readonly filesTotal: number
}

/** Options of a write. */
export interface WriteOptions {
  readonly onProgress?: ((p: WriteProgress) => void) | undefined
  /** A run that started the launches (`lamina run`): their pipeline runs become its children. */
  readonly parentRunId?: number | undefined
}

/** Applies ingest plans. */
export interface IngestWriter {
  readonly write: (plan: IngestPlan, options?: WriteOptions) => Effect.Effect<IngestSummary, LaminaError, Lamina>
}

const CHUNK = 500
/** Rows per multi-row insert (well under SQLite's bound-parameter limit at ~20 columns). */
const BATCH = 200

/** Runs already recorded with these references: reference → id. */
const runsByReference = (referenceType: string, references: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const out = new Map<string, { readonly id: number; readonly status: number }>()
    for (let i = 0; i < references.length; i += CHUNK) {
      const part = references.slice(i, i + CHUNK)
      const rows = yield* sql<{ readonly id: number; readonly reference: string; readonly _status_code: number }>`SELECT id, reference, _status_code FROM lamina_run WHERE reference_type = ${referenceType} AND ${sql.in("reference", part)} ORDER BY id`
      for (const r of rows) if (!out.has(r.reference)) out.set(r.reference, { id: Number(r.id), status: Number(r._status_code) })
    }
    return out
  }).pipe(Effect.mapError(sqlFailure("Looking up ingested runs")))

/** The transform of a planned one: found or created (versioned by its source), metadata filled in. */
const transformOf = (t: PlannedTransform, known: Map<string, Transform>) =>
  Effect.gen(function* () {
    const id = `${t.key}\u0000${t.source}`
    const hit = known.get(id)
    if (hit !== undefined) return hit
    const tracker = yield* Tracker
    const transform = yield* tracker.ensureTransform({ key: t.key, kind: t.kind, source: t.source, description: t.description ?? null })
    const missing: Record<string, string> = {}
    if (t.versionTag !== undefined && transform.version_tag === null) missing.version_tag = t.versionTag
    if (t.reference !== undefined && transform.reference === null) missing.reference = t.reference
    if (t.referenceType !== undefined && transform.reference_type === null) missing.reference_type = t.referenceType
    if (Object.keys(missing).length > 0) {
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE lamina_transform SET ${sql.update(missing)} WHERE id = ${transform.id}`.pipe(Effect.mapError(sqlFailure("Updating a Transform")))
    }
    const filled = { ...transform, ...missing } as Transform
    known.set(id, filled)
    return filled
  })

/**
 * Transform predecessors (a DAG's process edges) among the transforms of these runs, like the
 * transforms themselves outside the launch's transaction: idempotent metadata.
 */
const linkPredecessors = (runs: ReadonlyArray<PlannedRun>, transformIds: ReadonlyMap<PlannedRun, number>) =>
  Effect.gen(function* () {
    const byKey = new Map<string, number>()
    for (const r of runs) byKey.set(r.transform.key, transformIds.get(r)!)
    const rows = new Map<string, { transform_id: number; predecessor_id: number }>()
    for (const r of runs)
      for (const p of r.transform.predecessors ?? []) {
        const self = transformIds.get(r)!
        const pred = byKey.get(p)
        if (pred !== undefined && pred !== self) rows.set(`${self}:${pred}`, { transform_id: self, predecessor_id: pred })
      }
    if (rows.size === 0) return
    const sql = yield* SqlClient.SqlClient
    const all = [...rows.values()]
    for (let i = 0; i < all.length; i += CHUNK)
      yield* sql`INSERT INTO lamina_transform_predecessor ${sql.insert(all.slice(i, i + CHUNK))} ON CONFLICT DO NOTHING`.pipe(Effect.mapError(sqlFailure("Linking transform predecessors")))
  })

/** Environment bytes become a small temporary file, staged like any other. */
const bytesFile = (dir: string, bytes: { readonly bytes: Uint8Array; readonly name: string; readonly description: string }, i: number): PlannedFile => {
  const file = path.join(dir, String(i), bytes.name)
  makeDirectory(path.dirname(file))
  writeFileSync(file, bytes.bytes)
  return { path: file, key: "", isFolder: false, description: bytes.description, kind: "__lamina_run__" }
}

/** Every file a run names, with whether the run wrote it. */
const filesOf = (run: PlannedRun, envFile: PlannedFile | undefined): ReadonlyArray<PlannedFile> => [
  ...run.inputs,
  ...run.outputs,
  ...(run.report ? [run.report] : []),
  ...(envFile ? [envFile] : [])
]

interface LaunchResult {
  newRuns: number
  existingRuns: number
  cached: number
  failed: number
  newArtifacts: number
  existingArtifacts: number
}

/** Write one launch in one transaction. `refs` maps references of runs written so far to ids. */
const writeLaunch = (
  launch: PlannedLaunch,
  transforms: Map<string, Transform>,
  refs: Map<string, number>,
  warnings: Array<IngestWarning>,
  onFile: () => void,
  parentRunId: number | null
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const instance = yield* Instance
    const all = [launch.run, ...launch.children]
    const byType = new Map<string, Array<string>>()
    for (const r of all) byType.set(r.referenceType, [...(byType.get(r.referenceType) ?? []), r.reference])
    const existing = new Map<string, number>()
    for (const [type, references] of byType)
      for (const [ref, row] of yield* runsByReference(type, references)) existing.set(`${type}\u0000${ref}`, row.id)
    const idOf = (r: PlannedRun) => existing.get(`${r.referenceType}\u0000${r.reference}`)
    const fresh = all.filter((r) => idOf(r) === undefined)
    for (const r of all) {
      const id = idOf(r)
      if (id !== undefined) refs.set(`${r.referenceType}\u0000${r.reference}`, id)
    }
    const result: LaunchResult = { newRuns: 0, existingRuns: all.length - fresh.length, cached: 0, failed: 0, newArtifacts: 0, existingArtifacts: 0 }
    if (fresh.length === 0) return result

    // Transforms first: found or created outside the launch's transaction (idempotent, versioned).
    const transformIds = new Map<PlannedRun, number>()
    for (const r of fresh) transformIds.set(r, (yield* transformOf(r.transform, transforms)).id)
    yield* linkPredecessors(fresh, transformIds)

    // Environment bytes → temporary files, staged with the rest.
    const tmp = mkdtempSync(path.join(os.tmpdir(), "lamina-ingest-"))
    const envFiles = new Map<PlannedRun, PlannedFile>()
    fresh.forEach((r, i) => {
      if (r.environment === undefined) return
      envFiles.set(r, isPlannedBytes(r.environment) ? bytesFile(tmp, r.environment, i) : r.environment)
    })
    const unique = new Map<string, PlannedFile>()
    for (const r of fresh) for (const f of filesOf(r, envFiles.get(r))) if (!unique.has(f.path)) unique.set(f.path, f)
    const { staged, copies } = yield* stageFiles([...unique.values()], warnings, onFile).pipe(
      Effect.ensuring(Effect.sync(() => rmSync(tmp, { recursive: true, force: true })))
    )

    const t = encodeValue("datetime", now())
    // New versions move their bytes to the version's uid inside the transaction: on failure those go too.
    const moved: Array<string> = []
    // The pipeline run first (when new), so its children can name it.
    const children = fresh.filter((r) => r !== launch.run)
    const ordered = idOf(launch.run) === undefined ? [launch.run, ...children] : children
    const existingParent = idOf(launch.run)
    const finished: ReadonlyArray<FinishedRun> = ordered.map((r) => ({
      name: r.name,
      transformId: transformIds.get(r)!,
      status: r.status,
      params: r.params,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      reference: r.reference,
      referenceType: r.referenceType,
      cliArgs: r.cliArgs,
      error: r.error === undefined ? undefined : { _tag: "WorkflowFailed", ...r.error },
      reusedRunId: r.reusedReference === undefined ? null : refs.get(`${r.referenceType}\u0000${r.reusedReference}`) ?? null,
      parent: r === launch.run ? (parentRunId === null ? undefined : { id: parentRunId }) : existingParent !== undefined ? { id: existingParent } : { index: 0 }
    }))
    // Artifacts and links, inside the Tracker's transaction once the runs have ids.
    const artifacts = (ids: ReadonlyArray<number>) =>
      Effect.gen(function* () {
        const runIds = new Map<PlannedRun, number>()
        ordered.forEach((r, i) => runIds.set(r, ids[i]!))
        // A file's creator is the first run that lists it as an output.
        const creator = new Map<string, number>()
        for (const r of fresh) for (const o of r.outputs) if (!creator.has(o.path)) creator.set(o.path, runIds.get(r)!)
        const artifactIds = new Map<string, number>()
        const byHash = new Map<string, StagedNew>()
        const twins: Array<[string, StagedNew]> = []
        const families: Array<StagedNew> = []
        const versions: Array<StagedNew> = []
        for (const [p, st] of staged) {
          if (st._tag === "existing") {
            artifactIds.set(p, st.id)
            result.existingArtifacts++
            continue
          }
          // Two paths with one content in this launch: one artifact.
          const twin = st.content.size > 0 ? byHash.get(st.content.hash) : undefined
          if (twin !== undefined) {
            twins.push([p, twin])
            result.existingArtifacts++
            continue
          }
          if (st.content.size > 0) byHash.set(st.content.hash, st)
          ;(st.revises === undefined ? families : versions).push(st)
          result.newArtifacts++
        }
        for (let i = 0; i < families.length; i += BATCH) {
          const batch = families.slice(i, i + BATCH)
          const rows = batch.map((st) => artifactRow(st, st.uid, creator.get(st.file.path) ?? null, instance.storage.id, instance.user.id, t))
          const ids = new Map((yield* sql<{ readonly id: number; readonly uid: string }>`INSERT INTO lamina_artifact ${sql.insert(rows)} RETURNING id, uid`).map((x) => [x.uid, Number(x.id)]))
          for (const st of batch) artifactIds.set(st.file.path, ids.get(st.uid)!)
        }
        for (const st of versions) artifactIds.set(st.file.path, yield* insertVersion(st, creator.get(st.file.path) ?? null, instance.storage.id, instance.user.id, moved))
        for (const [p, twin] of twins) artifactIds.set(p, artifactIds.get(twin.file.path)!)
        // Links: inputs; outputs another run created; report and environment.
        const inputs: Array<{ run_id: number; artifact_id: number }> = []
        const outputs: Array<{ run_id: number; artifact_id: number }> = []
        const described: Array<{ runId: number; reportId: number | null; environmentId: number | null }> = []
        for (const r of fresh) {
          const runId = runIds.get(r)!
          for (const f of r.inputs) {
            const a = artifactIds.get(f.path)
            if (a !== undefined) inputs.push({ run_id: runId, artifact_id: a })
          }
          for (const f of r.outputs) {
            const a = artifactIds.get(f.path)
            if (a !== undefined && (creator.get(f.path) !== runId || staged.get(f.path)?._tag === "existing")) outputs.push({ run_id: runId, artifact_id: a })
          }
          const report = r.report === undefined ? undefined : artifactIds.get(r.report.path)
          const envPath = envFiles.get(r)?.path
          const env = envPath === undefined ? undefined : artifactIds.get(envPath)
          if (report !== undefined || env !== undefined) described.push({ runId, reportId: report ?? null, environmentId: env ?? null })
        }
        return { inputs, outputs, described } satisfies FinishedLinks
      }).pipe(Effect.mapError((e) => (e instanceof SqlError ? sqlFailure(`Writing the run of ${launch.source}`)(e) : e)))
    const tracker = yield* Tracker
    const ids = yield* tracker.recordFinishedRuns({ runs: finished, artifacts }).pipe(
      Effect.tapError(() =>
        Effect.zipRight(unstage(copies), Effect.flatMap(ObjectStore, (store) => Effect.forEach(moved, (key) => Effect.ignore(store.remove(key)), { discard: true })))
      )
    )
    ordered.forEach((r, i) => {
      refs.set(`${r.referenceType}\u0000${r.reference}`, ids[i]!)
      if (r.status === RunStatus.cached) result.cached++
      if (r.status === RunStatus.errored || r.status === RunStatus.aborted) result.failed++
    })
    result.newRuns = fresh.length
    return result
  })

/** The row of a staged file. */
const artifactRow = (s: StagedNew, uid: string, runId: number | null, storageId: number, userId: number, t: unknown) => ({
  uid,
  key: s.file.key === "" ? null : s.file.key,
  description: s.file.description ?? null,
  storage_id: storageId,
  suffix: s.suffix,
  kind: s.file.kind ?? null,
  size: s.content.size,
  hash: s.content.hash,
  hash_type: s.content.hash_type,
  n_files: s.content.n_files ?? 1,
  is_latest: encodeValue("bool", true),
  run_id: runId,
  _key_is_virtual: encodeValue("bool", true),
  created_at: t as string,
  updated_at: t as string,
  created_by_id: userId,
  branch: 1,
  is_locked: encodeValue("bool", false)
})

/** Register a staged file as the next version of the latest artifact at its key. */
const insertVersion = (s: StagedNew, runId: number | null, storageId: number, userId: number, moved: Array<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const store = yield* ObjectStore
    const stem = splitUid(s.revises!.uid).stem
    yield* lockFor([`lamina-artifact-family:${stem}`])
    const uid = yield* nextFreeUid(stem)
    const target = virtualStorageKey(uid, s.suffix, s.file.isFolder)
    yield* store.move(s.storageKey, target)
    moved.push(target)
    const rows = yield* sql<{ readonly id: number }>`INSERT INTO lamina_artifact ${sql.insert(artifactRow(s, uid, runId, storageId, userId, encodeValue("datetime", now())))} RETURNING id`
    yield* refreshLatest(stem)
    return Number(rows[0]!.id)
  })

/**
 * The writer over the registry: transforms through the Tracker, runs, artifacts and links
 * by SQL, one transaction per launch.
 */
export const registryWriter: IngestWriter = {
  write: (plan, options = {}) =>
    Effect.gen(function* () {
      const onProgress = options.onProgress
      const warnings: Array<IngestWarning> = [...plan.warnings]
      const transforms = new Map<string, Transform>()
      const refs = new Map<string, number>()
      const summary = { runs: { new: 0, existing: 0 }, cached: 0, failed: 0, artifacts: { new: 0, existing: 0 } }
      const filesTotal = plan.launches.reduce((n, l) => n + [l.run, ...l.children].reduce((m, r) => m + r.inputs.length + r.outputs.length, 0), 0)
      let files = 0
      let i = 0
      for (const launch of plan.launches) {
        i++
        const r = yield* writeLaunch(launch, transforms, refs, warnings, () => {
          files++
          if (onProgress && files % 100 === 0) onProgress({ launch: i, launches: plan.launches.length, files, filesTotal })
        }, options.parentRunId ?? null)
        summary.runs.new += r.newRuns
        summary.runs.existing += r.existingRuns
        summary.cached += r.cached
        summary.failed += r.failed
        summary.artifacts.new += r.newArtifacts
        summary.artifacts.existing += r.existingArtifacts
        onProgress?.({ launch: i, launches: plan.launches.length, files, filesTotal })
      }
      return { tool: plan.tool, launches: plan.launches.length, ...summary, warnings } satisfies IngestSummary
    })
}
