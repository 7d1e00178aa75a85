/**
 * `Adapters.openlineage.export(...)`: the runs of the registry (one run and the runs it started,
 * or every run since a date, or all) as OpenLineage RunEvents, one JSON object per line.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as path from "node:path"
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument, StorageError } from "../../errors.js"
import { sqlFailure } from "../../registry/crud.js"
import { decodeValue, encodeValue } from "../../registry/model.js"
import { writeFileAtomic } from "../../storage/fileio.js"
import { jobName, runEvents, storageNamespace, type DatasetRef, type RunEvent, type RunFacts } from "./events.js"

/** Which runs to export. */
export interface ExportOptions {
  /** One run (by uid) and every run it started, transitively. */
  readonly run?: string | undefined
  /** Runs created at or after this time. */
  readonly since?: Date | undefined
}

interface RunRow {
  readonly id: number
  readonly uid: string
  readonly name: string | null
  readonly transform_id: number
  readonly _status_code: number
  readonly created_at: unknown
  readonly started_at: unknown
  readonly finished_at: unknown
  readonly params: unknown
  readonly error: unknown
  readonly reference_type: string | null
  readonly initiated_by_run_id: number | null
}

const CHUNK = 500

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : (decodeValue("datetime", v) as Date))
const json = (v: unknown): unknown => (v === null || v === undefined ? null : decodeValue("json", v))

/** The ids of `root` and every run it started. */
const descendants = (rootId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const ids = [rootId]
    let frontier = [rootId]
    while (frontier.length > 0) {
      const next: Array<number> = []
      for (let i = 0; i < frontier.length; i += CHUNK) {
        const rows = yield* sql<{ readonly id: number }>`SELECT id FROM lamina_run WHERE ${sql.in("initiated_by_run_id", frontier.slice(i, i + CHUNK))}`
        next.push(...rows.map((r) => Number(r.id)))
      }
      ids.push(...next)
      frontier = next
    }
    return ids
  })

/** The events of the selected runs, in run order. */
export const openLineageEvents = (options: ExportOptions = {}) =>
  Effect.gen(function* () {
    if (options.run !== undefined && options.since !== undefined)
      return yield* new InvalidArgument({ message: "Pass a run uid or --since, not both." })
    if (options.since !== undefined && Number.isNaN(options.since.getTime()))
      return yield* new InvalidArgument({ message: "--since needs a date like 2026-03-25 or 2026-03-25T09:50:00Z." })
    const sql = yield* SqlClient.SqlClient
    let runs: ReadonlyArray<RunRow>
    if (options.run !== undefined) {
      const root = yield* sql<{ readonly id: number }>`SELECT id FROM lamina_run WHERE uid = ${options.run}`
      if (root[0] === undefined) return yield* new DoesNotExist({ registry: "Run", message: `No run with uid '${options.run}'. List runs with 'lamina ls run'.` })
      const ids = yield* descendants(Number(root[0].id))
      const out: Array<RunRow> = []
      for (let i = 0; i < ids.length; i += CHUNK) out.push(...(yield* sql<RunRow>`SELECT * FROM lamina_run WHERE ${sql.in("id", ids.slice(i, i + CHUNK))}`))
      runs = out.sort((a, b) => Number(a.id) - Number(b.id))
    } else if (options.since !== undefined) {
      runs = yield* sql<RunRow>`SELECT * FROM lamina_run WHERE created_at >= ${encodeValue("datetime", options.since)} ORDER BY id`
    } else runs = yield* sql<RunRow>`SELECT * FROM lamina_run ORDER BY id`
    if (runs.length === 0) return [] as ReadonlyArray<RunEvent>

    const transforms = new Map<number, { uid: string; key: string | null; reference: string | null; reference_type: string | null; version_tag: string | null }>()
    for (const row of yield* sql<{ id: number; uid: string; key: string | null; reference: string | null; reference_type: string | null; version_tag: string | null }>`SELECT id, uid, key, reference, reference_type, version_tag FROM lamina_transform`)
      transforms.set(Number(row.id), row)
    const storages = new Map<number, string>()
    for (const row of yield* sql<{ id: number; root: string }>`SELECT id, root FROM lamina_storage`) storages.set(Number(row.id), row.root)

    const ids = runs.map((r) => Number(r.id))
    const inputs = new Map<number, Array<DatasetRef>>()
    const outputs = new Map<number, Array<DatasetRef>>()
    const dataset = (a: { storage_id: number; key: string | null; uid: string; suffix: string }): DatasetRef => ({
      namespace: storageNamespace(storages.get(Number(a.storage_id)) ?? "unknown"),
      name: a.key ?? `.lamina/${a.uid}${a.suffix}`
    })
    const push = (m: Map<number, Array<DatasetRef>>, id: number, d: DatasetRef) => {
      const list = m.get(id) ?? []
      if (!list.some((x) => x.name === d.name && x.namespace === d.namespace)) list.push(d)
      m.set(id, list)
    }
    type ArtifactLink = { run_id: number; storage_id: number; key: string | null; uid: string; suffix: string }
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK)
      for (const a of yield* sql<ArtifactLink>`SELECT l.run_id, a.storage_id, a.key, a.uid, a.suffix FROM lamina_run_input_artifact l JOIN lamina_artifact a ON a.id = l.artifact_id WHERE ${sql.in("l.run_id", part)}`)
        push(inputs, Number(a.run_id), dataset(a))
      for (const a of yield* sql<ArtifactLink>`SELECT run_id, storage_id, key, uid, suffix FROM lamina_artifact WHERE branch <> -1 AND ${sql.in("run_id", part)}`)
        push(outputs, Number(a.run_id), dataset(a))
      for (const a of yield* sql<ArtifactLink>`SELECT l.run_id, a.storage_id, a.key, a.uid, a.suffix FROM lamina_run_output_artifact l JOIN lamina_artifact a ON a.id = l.artifact_id WHERE ${sql.in("l.run_id", part)}`)
        push(outputs, Number(a.run_id), dataset(a))
    }
    // Parents outside the selection still name their job.
    const parents = new Map<number, { uid: string; transform_id: number }>()
    for (const r of runs) parents.set(Number(r.id), { uid: r.uid, transform_id: Number(r.transform_id) })
    const missing = [...new Set(runs.flatMap((r) => (r.initiated_by_run_id === null || parents.has(Number(r.initiated_by_run_id)) ? [] : [Number(r.initiated_by_run_id)])))]
    for (let i = 0; i < missing.length; i += CHUNK)
      for (const p of yield* sql<{ id: number; uid: string; transform_id: number }>`SELECT id, uid, transform_id FROM lamina_run WHERE ${sql.in("id", missing.slice(i, i + CHUNK))}`)
        parents.set(Number(p.id), { uid: p.uid, transform_id: Number(p.transform_id) })

    const events: Array<RunEvent> = []
    for (const r of runs) {
      const t = transforms.get(Number(r.transform_id))!
      const parent = r.initiated_by_run_id === null ? undefined : parents.get(Number(r.initiated_by_run_id))
      const facts: RunFacts = {
        uid: r.uid,
        name: r.name,
        status: Number(r._status_code),
        createdAt: date(r.created_at)!,
        startedAt: date(r.started_at),
        finishedAt: date(r.finished_at),
        params: json(r.params),
        error: json(r.error),
        referenceType: r.reference_type,
        transform: { uid: t.uid, key: t.key, reference: t.reference, referenceType: t.reference_type, versionTag: t.version_tag },
        parent: parent === undefined ? undefined : { uid: parent.uid, jobName: jobName(transforms.get(parent.transform_id) ?? { key: null, uid: parent.uid }) },
        inputs: inputs.get(Number(r.id)) ?? [],
        outputs: outputs.get(Number(r.id)) ?? []
      }
      events.push(...runEvents(facts))
    }
    return events as ReadonlyArray<RunEvent>
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading runs for the OpenLineage export")(e))))

/** JSON lines of the events. */
export const toJsonLines = (events: ReadonlyArray<RunEvent>): string => events.map((e) => JSON.stringify(e)).join("\n") + (events.length > 0 ? "\n" : "")

/** Write the events of the selected runs to `file` (whole or not at all); the number written. */
export const exportOpenLineage = (file: string, options: ExportOptions = {}) =>
  Effect.gen(function* () {
    const events = yield* openLineageEvents(options)
    const abs = path.resolve(file)
    yield* Effect.tryPromise({
      try: () => writeFileAtomic(abs, toJsonLines(events)),
      catch: (cause) => new StorageError({ message: `Cannot write '${file}': ${String(cause)}. Check the folder exists and is writable.`, path: abs, cause })
    })
    return { file: abs, events: events.length }
  })
