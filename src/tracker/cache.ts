/**
 * Cache hits: find the run that computed a cache key, check its outputs are still there, and
 * rebuild its return value. A hit is refused when an output it created or returned is in trash
 * or deleted, or the bytes of one it saved are missing from storage or have another size (a
 * `stat` in a local folder, a HEAD on S3: `registry/artifact/stored.ts`), or when an
 * artifact or collection it loaded inside its body is in trash or no longer the latest version
 * of its family (the body would likely load the newer one now), or when a registry query its body
 * ran returns other records now (queries.ts), or a file a param named was edited since
 * (fileParams.ts).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import type { IntegrityError, StorageError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { firstUnstored, storedIn, type StoredState } from "../registry/artifact/stored.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow, decodeValue, type Model, type Row } from "../registry/model.js"
import { CollectionModel, FeatureModel, ProjectModel, RecordRegistryModel, ReferenceModel, SchemaModel, ULabelModel } from "../registry/catalog.js"
import { Collection } from "../registry/Collection.js"
import { decodeFeature } from "../registry/Feature.js"
import { decodeProject } from "../registry/Project.js"
import { decodeRecord } from "../registry/Record.js"
import { decodeReference } from "../registry/Reference.js"
import { decodeSchema } from "../registry/Schema.js"
import { decodeULabel } from "../registry/ULabel.js"
import { type Run, RunModel, decodeRun } from "../registry/Run.js"
import { decodeTransform, TransformModel } from "../registry/Transform.js"
import { parseParts, recheckedOf, type LoadedInput, type Rechecked } from "./cacheKey.js"
import { queryChanged, queryFailed, storedQueries, type StoredQuery } from "./queries.js"
import { filesChanged, type KeyFile } from "./fileParams.js"
import type { SqliteDirect } from "../db/sqlite.js"
import type { Reserved } from "../db/transaction.js"
import { computedRunRowSync, type Direct } from "./direct.js"
import { decodeResult, resultRefs, Unencodable, type Json } from "./canonical.js"

/**
 * What a hit check reads of the run that computed a key: its identity, its result and its
 * cache parts (the direct path reads only these columns: a whole run row costs 4× the lookup).
 */
export type HitRun = Pick<Run, "id" | "uid" | "_result" | "_cache_parts">

/** A usable earlier run for a cache key. */
export interface Hit {
  readonly run: HitRun
  /** The decoded return value (before any result schema). */
  readonly value: unknown
  /** Artifacts the reused run loaded inside its body. */
  readonly loaded: ReadonlyArray<LoadedInput>
  /** What the hit checked again, for the step whose body made the call (`RunState.absorb`). */
  readonly rechecked: Rechecked | undefined
  /** The artifacts the reused run saved (or saved again), whose bytes a remote store checks (`checkStored`). */
  readonly outputs: ReadonlyArray<Artifact>
}

/**
 * Why the newest run with a key cannot be reused, or undefined when it can. `read`: what its body
 * read changed (an artifact or collection it loaded, a query's rows, a file a param named), rather
 * than its outputs being unavailable.
 */
export type Refusal = { readonly run: HitRun; readonly reason: string; readonly read?: true }

/** A refusal because something the run's body read changed. */
const readChanged = (run: HitRun, reason: string): Refusal => ({ run, reason, read: true })

/**
 * The registries a step's result can hold a record of (branded records, `recordRef.ts`): the
 * model whose table holds it, and the decoder giving the record its registry's `get` gives.
 */
const resultRecords: Readonly<Record<string, { readonly model: Model; readonly decode: (row: Row) => unknown }>> = {
  Run: { model: RunModel, decode: decodeRun },
  Transform: { model: TransformModel, decode: decodeTransform },
  ULabel: { model: ULabelModel, decode: decodeULabel },
  Record: { model: RecordRegistryModel, decode: decodeRecord },
  Feature: { model: FeatureModel, decode: decodeFeature },
  Project: { model: ProjectModel, decode: decodeProject },
  Reference: { model: ReferenceModel, decode: decodeReference },
  Schema: { model: SchemaModel, decode: decodeSchema },
  Collection: { model: CollectionModel, decode: (row) => new Collection(row) }
}

/** A returned record as its registry gives it, or why the run cannot return it now. */
const recordFrom = (model: string, uid: string, raw: Record<string, unknown> | undefined): { readonly record: unknown } | string => {
  const kind = resultRecords[model]
  if (kind === undefined) return `its returned ${model} ${uid} cannot be read back`
  if (raw === undefined) return `its returned ${model} ${uid} was deleted`
  const row = decodeRow(kind.model, raw)
  if (row.branch === -1) return `its returned ${model} ${uid} is in trash`
  return { record: kind.decode(row) }
}

const fetchRecord = (model: string, uid: string) =>
  Effect.gen(function* () {
    const table = resultRecords[model]?.model.table
    if (table === undefined) return recordFrom(model, uid, undefined)
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(table)} WHERE uid = ${uid}`
    return recordFrom(model, uid, rows[0])
  })

/** `fetchRecord` on SQLite's direct path (the same statements). */
const fetchRecordSync = (d: SqliteDirect, model: string, uid: string): { readonly record: unknown } | string => {
  const table = resultRecords[model]?.model.table
  if (table === undefined) return recordFrom(model, uid, undefined)
  return recordFrom(model, uid, d.prepare(`SELECT * FROM "${table}" WHERE uid = ?`).get(uid) as Record<string, unknown> | undefined)
}

/** The artifact rows a hit check reads: the run's own, those with `uids`, and `ids`. */
type ArtifactRows = (runId: number, uids: ReadonlyArray<string>, ids: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, SqlError | StorageError | IntegrityError, SqlClient.SqlClient>

const artifactRows: ArtifactRows = (runId, uids, ids) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE run_id = ${runId}${uids.length > 0 ? sql` OR ${sql.in("uid", uids)}` : sql``}${ids.length > 0 ? sql` OR ${sql.in("id", ids)}` : sql``}`
  )

/** What became of the bytes of an artifact a run saved (`storedIn`); checked within the hit's reads. */
export type StoredCheck = (a: Artifact) => StoredState

/** The fiber's store and storage, with the synchronous check when the store is a local folder. */
const storesHere = Effect.map(Effect.all([Effect.serviceOption(ObjectStore), Effect.serviceOption(Instance)]), ([store, instance]) =>
  Option.isSome(store) && Option.isSome(instance)
    ? { store: store.value, storageId: instance.value.storage.id, local: storedIn(store.value, instance.value.storage.id) }
    : undefined
)

/** The refusal for an output whose bytes are not in storage as it saved them. */
const unstored = (run: HitRun, a: Artifact, state: "missing" | "resized"): Refusal => ({
  run,
  reason:
    state === "missing"
      ? `the bytes of its output ${a.uid} are missing from storage ('${a.storageKey}')`
      : a.isFolder
        ? `the files of its output folder ${a.uid} in storage ('${a.storageKey}') are not the ${a.n_files ?? "?"} files of ${a.size ?? "?"} bytes it saved: files were removed, added or changed outside Lamina`
        : `the bytes of its output ${a.uid} in storage ('${a.storageKey}') are not the ${a.size} it saved: they were changed outside Lamina`
})

/**
 * Check a hit's outputs in a remote store (a HEAD per file, a listing per folder, 8 at a time):
 * the hit, or a refusal for the first whose bytes are gone or have another size (a folder:
 * another number of files or bytes). A local folder is checked within the hit's reads instead
 * (`StoredCheck`). `seen` keeps what the check found, by uid (the Tracker's claims consult it:
 * they cannot wait for S3 under SQLite's lock).
 */
export const checkStored = (store: ObjectStore, storageId: number, hit: Hit, seen?: Map<string, StoredState>): Effect.Effect<Hit | Refusal, StorageError> =>
  hit.outputs.length === 0
    ? Effect.succeed(hit)
    : Effect.map(firstUnstored(store, storageId, hit.outputs), (found) => {
        if (seen !== undefined) for (const a of hit.outputs) seen.delete(a.uid)
        if (found === undefined) return hit
        seen?.set(found.artifact.uid, found.state)
        return unstored(hit.run, found.artifact, found.state)
      })

/** `artifactRows` on SQLite's direct path (the same statement). */
const artifactRowsSync = (d: SqliteDirect, runId: number, uids: ReadonlyArray<string>, ids: ReadonlyArray<number>) =>
  d
    .prepare(
      `SELECT * FROM lamina_artifact WHERE run_id = ?${uids.length > 0 ? ` OR uid IN (${uids.map(() => "?").join(", ")})` : ""}${ids.length > 0 ? ` OR id IN (${ids.map(() => "?").join(", ")})` : ""}`
    )
    .all(runId, ...uids, ...ids) as ReadonlyArray<Record<string, unknown>>

/** What checking a computed run needs, read off the run alone. */
interface HitPlan {
  readonly run: HitRun
  readonly json: Json
  readonly refs: ReturnType<typeof resultRefs>
  /** Artifacts it loaded inside its body (its cached runs' inputs). */
  readonly loaded: ReadonlyArray<LoadedInput>
  /** Those and the ones steps its body called loaded: each must still be the latest. */
  readonly checkedLoaded: ReadonlyArray<LoadedInput>
  readonly uids: ReadonlyArray<string>
  readonly recreated: ReadonlySet<number>
  /** Ids of the artifacts it created (saved, returned or not): each must still exist. */
  readonly created: ReadonlyArray<number>
  /** Ids of the collections it loaded inside its body, or steps its body called did. */
  readonly collections: ReadonlyArray<number>
  /** False when the run created, returned and loaded no artifacts (the common no-op case): no rows to check. */
  readonly needsRows: boolean
  /** Files its params named when it ended, and those of steps its body called. */
  readonly files: ReadonlyArray<KeyFile>
  /** Registry queries its body ran, and steps its body called (undefined when a stored list is unreadable: refused). */
  readonly queries: ReadonlyArray<StoredQuery> | undefined
  /** What the run and the steps it called check again, for a caller of the hit. */
  readonly rechecked: Rechecked | undefined
}

/** What the steps a run called passed on to it, as stored; undefined when none, "unreadable" when malformed. */
const nestedOf = (raw: unknown): Rechecked | undefined | "unreadable" => {
  if (raw === undefined) return undefined
  const n = raw as Partial<Record<keyof Rechecked, unknown>> | null
  const queries = storedQueries(n?.queries)
  return n === null || typeof n !== "object" || !Array.isArray(n.loaded) || !Array.isArray(n.collections) || !Array.isArray(n.files) || queries === undefined
    ? "unreadable"
    : (n as Rechecked)
}

const planHit = (run: HitRun): HitPlan => {
  const json = ((run._result as { readonly value?: Json } | null)?.value ?? null) as Json
  const refs = resultRefs(json)
  const parts = parseParts(run._cache_parts)
  const loaded = parts?.loaded ?? []
  const own = storedQueries(parts?.queries)
  const nested = nestedOf(parts?.nested)
  const readable = own !== undefined && nested !== "unreadable"
  // Its own and what the steps it called passed on: all checked, all passed on to a caller.
  const rechecked = readable ? recheckedOf({ loaded, collections: parts?.collections ?? [], queries: own, files: parts?.files ?? [] }, nested, run.id) : undefined
  const checkedLoaded = rechecked?.loaded ?? loaded
  const uids = [...new Set([...refs.artifacts, ...checkedLoaded.map((l) => l.uid)])]
  const recreated = new Set(parts?.recreated ?? [])
  const created = parts?.created ?? []
  const needsRows = !(uids.length === 0 && parts !== undefined && created.length === 0 && recreated.size === 0)
  return {
    run,
    json,
    refs,
    loaded,
    checkedLoaded,
    uids,
    recreated,
    created,
    collections: rechecked?.collections ?? [],
    needsRows,
    files: rechecked?.files ?? [],
    queries: readable ? (rechecked?.queries ?? []) : undefined,
    rechecked
  }
}

/** Whether `a` is an output of the planned run: one it saved, or one it saved again (recreated). */
const savedBy = (plan: HitPlan, a: Artifact): boolean => a.run_id === plan.run.id || plan.recreated.has(a.id)

/** Check the run's artifact rows: a refusal, or the artifacts by uid. */
const judgeRows = (plan: HitPlan, rows: ReadonlyArray<Record<string, unknown>>, stored?: StoredCheck): Refusal | Map<string, Artifact> => {
  const { run, recreated } = plan
  const byUid = new Map<string, Artifact>()
  for (const row of rows) {
    const a = new Artifact(decodeRow(ArtifactModel, row))
    byUid.set(a.uid, a)
    if (savedBy(plan, a)) {
      if (a.branch === -1) return { run, reason: `its output ${a.uid} is in trash` }
      // Recomputing saves the same bytes again, and the save puts them back (save.ts).
      const state = stored?.(a)
      if (state !== undefined) return unstored(run, a, state)
    }
  }
  // A saved output deleted for good is gone from the rows (its run's are all read): the run's outputs are incomplete.
  if (recreated.size > 0 || plan.created.length > 0) {
    const ids = new Set<number>()
    for (const a of byUid.values()) ids.add(a.id)
    for (const id of [...plan.created, ...recreated]) if (!ids.has(id)) return { run, reason: `an artifact it saved (id ${id}) was deleted` }
  }
  for (const uid of plan.refs.artifacts) {
    const a = byUid.get(uid)
    if (a === undefined) return { run, reason: `its returned artifact ${uid} was deleted` }
    if (a.branch === -1) return { run, reason: `its returned artifact ${uid} is in trash` }
  }
  for (const l of plan.checkedLoaded) {
    const a = byUid.get(l.uid)
    if (a === undefined || a.branch === -1) return readChanged(run, `the artifact ${l.uid} it loaded was deleted or trashed`)
    if (!a.is_latest) return readChanged(run, `the artifact ${l.uid} it loaded has a newer version`)
  }
  return byUid
}

/** What a hit check reads of a loaded collection. */
interface CollectionRow {
  readonly id: number
  readonly uid: string
  readonly branch: unknown
  readonly is_latest: unknown
}

/** Check the collections the run loaded, as its loaded artifacts: a new version (a new member list) is a miss. */
const judgeCollections = (plan: HitPlan, rows: ReadonlyArray<CollectionRow>): Refusal | undefined => {
  for (const id of plan.collections) {
    const c = rows.find((r) => Number(r.id) === id)
    if (c === undefined || Number(c.branch) === -1) return readChanged(plan.run, `the collection (id ${id}) it loaded was deleted or trashed`)
    // SQLite stores booleans as 0/1, Postgres as booleans.
    if (Number(c.is_latest) !== 1) return readChanged(plan.run, `the collection ${c.uid} it loaded has a newer version`)
  }
  return undefined
}

/** The refusal for a run whose kept queries cannot be read (when unsure, recompute). */
const unreadableQueries = (plan: HitPlan): Refusal => ({ run: plan.run, reason: "what it read (its registry queries, or those of steps it called) is stored in a form this version cannot read" })

/** Rebuild the run's value from its checked artifacts and records (a decoding bug stays a defect). */
const decodeHit = (plan: HitPlan, byUid: ReadonlyMap<string, Artifact>, records: ReadonlyMap<string, unknown>): Hit | Refusal => {
  try {
    const value = decodeResult(plan.json, { artifact: (uid) => byUid.get(uid)!, record: (model, uid) => records.get(`${model}:${uid}`) })
    const outputs: Array<Artifact> = []
    for (const a of byUid.values()) if (savedBy(plan, a)) outputs.push(a)
    return { run: plan.run, value, loaded: plan.loaded, rechecked: plan.rechecked, outputs }
  } catch (e) {
    if (e instanceof Unencodable) return { run: plan.run, reason: `its result cannot be decoded: ${e.message}` }
    throw e
  }
}

/**
 * Check a computed run's outputs and decode its value; a `Refusal` says why it is unusable.
 * `readBack`: the run just completed on a runner and is read for its value, so what its body
 * saw (files, which are on the runner's host, and queries) and the bytes it just stored are not
 * checked again.
 */
export const validateHit = (run: HitRun, readBack = false) =>
  Effect.gen(function* () {
    const plan = planHit(run)
    const edited = readBack || plan.files.length === 0 ? undefined : filesChanged(plan.files)
    if (edited !== undefined) return readChanged(run, edited)
    const rows = plan.needsRows ? yield* artifactRows(run.id, plan.uids, [...plan.recreated]) : []
    const here = yield* storesHere
    const byUid = judgeRows(plan, rows, here?.local)
    if (!(byUid instanceof Map)) return byUid
    if (plan.collections.length > 0) {
      const sql = yield* SqlClient.SqlClient
      const refused = judgeCollections(plan, yield* sql<CollectionRow>`SELECT id, uid, branch, is_latest FROM lamina_collection WHERE ${sql.in("id", plan.collections)}`)
      if (refused !== undefined) return refused
    }
    if (plan.queries === undefined) return unreadableQueries(plan)
    for (const q of readBack ? [] : plan.queries) {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* Effect.either(sql.unsafe<Record<string, unknown>>(q.sql, q.params))
      const reason = rows._tag === "Left" ? queryFailed(q, rows.left) : queryChanged(q, rows.right, run.id)
      if (reason !== undefined) return readChanged(run, reason)
    }
    const records = new Map<string, unknown>()
    for (const r of plan.refs.records) {
      const rec = yield* fetchRecord(r.model, r.uid)
      if (typeof rec === "string") return { run, reason: rec } satisfies Refusal
      records.set(`${r.model}:${r.uid}`, rec.record)
    }
    const decoded = decodeHit(plan, byUid, records)
    return !readBack && here !== undefined && here.local === undefined && isHit(decoded) ? yield* checkStored(here.store, here.storageId, decoded) : decoded
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Checking a cached run")(e))))

/** What `hitRunStatement` reads. */
export interface HitRow {
  readonly id: number
  readonly uid: string
  readonly _result: unknown
  readonly _cache_parts: unknown
}

/**
 * The newest completed run for `cacheKey`, only the columns a hit check reads (SQLite's direct
 * path: `computedRunRowSync`): a whole run row is ~34 columns to describe, parse and decode.
 */
const hitRunStatement = (sql: SqlClient.SqlClient, cacheKey: string) =>
  // `_status_code = 0` literally: the partial index on completed runs applies only then.
  sql<HitRow>`SELECT id, uid, _result, _cache_parts FROM lamina_run WHERE cache_key = ${cacheKey} AND _status_code = 0 ORDER BY id DESC LIMIT 1`

/** The run a hit check reads, from `hitRunStatement`'s row. */
export const hitRunOf = (row: HitRow | undefined): HitRun | undefined =>
  row === undefined ? undefined : { id: Number(row.id), uid: row.uid, _result: decodeValue("json", row._result), _cache_parts: decodeValue("json", row._cache_parts) }

/**
 * The usable hit for `cacheKey`; else why the newest run with that key was refused, if any. The
 * run's row is read through `tx` when given (a reserved transaction's connection).
 */
export const lookupHit = (cacheKey: string, tx?: Reserved) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const statement = hitRunStatement(sql, cacheKey)
    const rows = yield* (tx === undefined ? statement : tx.run(statement)).pipe(Effect.mapError(sqlFailure("Looking up cached runs")))
    const run = hitRunOf(rows[0])
    if (run === undefined) return undefined
    return yield* validateHit(run)
  })

/** A hit check's reads, done; `decode` rebuilds the value outside the statement's error mapping. */
export type CheckedHit = Refusal | undefined | { readonly decode: () => Hit | Refusal }

/**
 * `lookupHit` on SQLite's direct path (see `direct.ts`), as plain calls on the connection: the
 * run, its artifact rows and returned records, with the same statements and checks. Call it
 * through `Direct.read`/`Direct.run`; then `decodeChecked` finishes it.
 */
export const lookupHitSync = (d: SqliteDirect, cacheKey: string, stored: StoredCheck | undefined): CheckedHit => {
  const run = hitRunOf(computedRunRowSync(d, cacheKey))
  if (run === undefined) return undefined
  const plan = planHit(run)
  const edited = plan.files.length === 0 ? undefined : filesChanged(plan.files)
  if (edited !== undefined) return readChanged(run, edited)
  const byUid = judgeRows(plan, plan.needsRows ? artifactRowsSync(d, run.id, plan.uids, [...plan.recreated]) : [], stored)
  if (!(byUid instanceof Map)) return byUid
  if (plan.collections.length > 0) {
    const rows = d.prepare(`SELECT id, uid, branch, is_latest FROM lamina_collection WHERE id IN (${plan.collections.map(() => "?").join(", ")})`).all(...plan.collections) as ReadonlyArray<CollectionRow>
    const refused = judgeCollections(plan, rows)
    if (refused !== undefined) return refused
  }
  if (plan.queries === undefined) return unreadableQueries(plan)
  for (const q of plan.queries) {
    let reason: string | undefined
    try {
      reason = queryChanged(q, d.prepare(q.sql).all(...q.params) as ReadonlyArray<Record<string, unknown>>, run.id)
    } catch (e) {
      reason = queryFailed(q, e)
    }
    if (reason !== undefined) return readChanged(run, reason)
  }
  const records = new Map<string, unknown>()
  for (const r of plan.refs.records) {
    const rec = fetchRecordSync(d, r.model, r.uid)
    if (typeof rec === "string") return { run, reason: rec }
    records.set(`${r.model}:${r.uid}`, rec.record)
  }
  return { decode: () => decodeHit(plan, byUid, records) }
}

/** Finish a `lookupHitSync`: decode the value (a decoding bug is a defect, as in `validateHit`). */
export const decodeChecked = (checked: CheckedHit): Hit | Refusal | undefined =>
  checked !== undefined && "decode" in checked ? checked.decode() : checked

/** `lookupHit` on SQLite's direct path: one synchronous read (see `lookupHitSync`). */
export const lookupHitDirect = (direct: Direct, cacheKey: string, stored: StoredCheck | undefined): Effect.Effect<Hit | Refusal | undefined, StorageError | IntegrityError> =>
  Effect.map(
    direct.read("Looking up cached runs", (d) => lookupHitSync(d, cacheKey, stored)),
    decodeChecked
  )

/** True for a usable hit (not a refusal). */
export const isHit = (h: Hit | Refusal | undefined): h is Hit => h !== undefined && "value" in h
