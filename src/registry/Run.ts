/**
 * Run registry: one execution of a transform, with its params, status and timing.
 *
 * Besides LaminDB's fields a run carries what the lineage engine needs: the cache key it was
 * computed under, the run it reused (status `cached`), its encoded return value, its error and
 * its logs. The write functions here are the only SQL the lineage engine issues for runs.
 *
 * @module
 */
import { randomFillSync } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { registryAccess } from "./access.js"
import { now, sqlFailure } from "./crud.js"
import { RunModel } from "./catalog.js"
import { brandRecord } from "./recordRef.js"
import { RunFeatures, RunStatus } from "./declarations/run.js"
import { annotationsOf } from "./annotate/manager.js"
import { planFeatureValues, writeFeatureLinks, type PlannedFeatures } from "./annotate/features.js"
import { encodeValue, type RecordOf, type Row } from "./model.js"
import { execute } from "../db/execute.js"
import { ident, join, sql as q, type Sql } from "../db/sql.js"

export { RunModel } from "./catalog.js"
export { RunStatus } from "./declarations/run.js"
import { BASE62, UID_LENGTH } from "./uid.js"



/** A run status name. */
export type RunStatusName = keyof typeof RunStatus

/** The status name of a code. */
export const statusName = (code: number): string =>
  (Object.entries(RunStatus).find(([, c]) => c === code)?.[0] as string | undefined) ?? `unknown(${code})`

/** The code of a status name; `InvalidArgument` for an unknown one (LaminDB's message). */
export const statusCode = (name: string): Effect.Effect<number, InvalidArgument> =>
  name in RunStatus
    ? Effect.succeed(RunStatus[name as RunStatusName])
    : Effect.fail(new InvalidArgument({ message: `Invalid Run status '${name}'. Valid: ${Object.keys(RunStatus).join(", ")}` }))

/**
 * A run record. Besides LaminDB's fields: `cache_key` (null when not cacheable),
 * `reused_run_id` (for a `cached` run, the run whose outputs it returned), `_result` (the
 * encoded return value), `_cache_parts` (what `Run.why` compares), `error` and `logs`.
 */
export type Run = RecordOf<typeof RunModel>

/** A run decoded from a row, branded so params and results can refer to it as `Run[<uid>]`. */
export const decodeRun = (row: Row): Run => brandRecord(row as unknown as Run, "Run")

/** The status name of a run. */
export const runStatus = (run: Pick<Run, "_status_code">): string => statusName(run._status_code)

// ---------------------------------------------------------------------------------------------
// Writes used by the lineage engine. Few statements per run: the step hot path counts on it.

/** Fields of a new run. */
export interface NewRun {
  /** The run's uid, when the caller needs it before the row is written (default: a new one). */
  readonly uid?: string
  readonly transformId: number
  readonly name?: string | null
  readonly entrypoint: string | null
  readonly params: unknown
  readonly status: number
  readonly startedAt: Date
  readonly finishedAt?: Date | null
  readonly initiatedByRunId: number | null
  readonly environmentId: number | null
  readonly cliArgs?: string | null
  readonly cacheKey: string | null
  readonly cacheParts: unknown
  readonly reusedRunId?: number | null
  readonly result?: unknown
  readonly userId: number | null
  /** The lease of an open run: its owner process and when it runs out unless renewed. */
  readonly lease?: { readonly owner: string; readonly expiresAt: Date }
  /** Feature values checked by `planRunFeatures`, written with the run row. */
  readonly features?: PlannedFeatures
}

/** The id and uid of an inserted run. */
export interface RunRef {
  readonly id: number
  readonly uid: string
}

/** The column values of a new run's row (shared by the Effect and the direct SQLite writers). */
export const runValues = (r: NewRun, uid: string): Record<string, string | number | null> => {
  const t = encodeValue("datetime", r.startedAt)
  return {
    uid,
    name: r.name ?? null,
    transform_id: r.transformId,
    entrypoint: r.entrypoint,
    started_at: t,
    finished_at: r.finishedAt ? encodeValue("datetime", r.finishedAt) : null,
    params: encodeValue("json", r.params),
    cli_args: r.cliArgs ?? null,
    initiated_by_run_id: r.initiatedByRunId,
    environment_id: r.environmentId,
    _status_code: r.status,
    cache_key: r.cacheKey,
    _cache_parts: encodeValue("json", r.cacheParts),
    reused_run_id: r.reusedRunId ?? null,
    _result: r.result === undefined ? null : encodeValue("json", { value: r.result }),
    created_at: t,
    created_by_id: r.userId,
    branch: 1,
    is_locked: 0,
    _lease_owner: r.lease?.owner ?? null,
    _lease_expires_at: r.lease ? encodeValue("datetime", r.lease.expiresAt) : null,
    _features: r.features === undefined || Object.keys(r.features.json).length === 0 ? null : encodeValue("json", r.features.json)
  }
}

const runAnnotated = { model: RunModel, ...RunFeatures }

// Random bytes for run uids, drawn 4 KiB at a time: one syscall per ~250 runs, not per run.
const pool = Buffer.alloc(4096)
let poolAt = pool.length

/** A random run uid (16 base62 characters; rejection sampling keeps it uniform). */
export const newRunUid = (): string => {
  let out = ""
  while (out.length < UID_LENGTH.run) {
    if (poolAt >= pool.length) {
      randomFillSync(pool)
      poolAt = 0
    }
    const b = pool[poolAt++]! & 0x3f
    if (b < 62) out += BASE62[b]
  }
  return out
}

/** `insertRun`'s statement (its row, without feature links). */
export const insertRunStatement = (sql: SqlClient.SqlClient, r: NewRun, uid: string) =>
  sql<{ readonly id: number }>`INSERT INTO lamina_run ${sql.insert(runValues(r, uid))} RETURNING id`

/** Insert a run; returns its id and uid. */
export const insertRun = (r: NewRun) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const uid = r.uid ?? newRunUid()
    const rows = yield* insertRunStatement(sql, r, uid)
    const id = Number(rows[0]!.id)
    // Categorical feature values are label links (the JSON values went in with the row).
    if (r.features !== undefined) yield* writeFeatureLinks(runAnnotated, id, r.features)
    return { id, uid } satisfies RunRef
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving a Run")(e))))

/** How a run ended. */
export interface RunEnd {
  readonly status: number
  readonly finishedAt: Date
  readonly result?: unknown
  readonly error?: unknown
  readonly logs?: string | null
  /** Clear the cache key (a result that could not be encoded is not reusable). */
  readonly uncacheable?: boolean
  /** Final cache parts (with the inputs loaded during the run). */
  readonly cacheParts?: unknown
}

/** The columns a run's end sets (shared by the Effect and the direct SQLite writers). */
export const finishValues = (end: RunEnd): Record<string, string | number | null> => {
  const values: Record<string, string | number | null> = {
    _status_code: end.status,
    finished_at: encodeValue("datetime", end.finishedAt),
    // An ended run holds no lease (and leaves the partial lease index).
    _lease_owner: null,
    _lease_expires_at: null
  }
  // Wrapped in an object: a bare JSON string would not survive Postgres JSONB decoding.
  if (end.result !== undefined) values._result = encodeValue("json", { value: end.result })
  if (end.error !== undefined) values.error = encodeValue("json", end.error)
  if (end.logs) values.logs = end.logs
  if (end.uncacheable) values.cache_key = null
  if (end.cacheParts !== undefined) values._cache_parts = encodeValue("json", end.cacheParts)
  return values
}

/**
 * The statement recording how run `id` ended. A run already errored stays so: a concurrent save
 * from its output's path withdraws it (registry/sourceGuard.ts) while its completion may still
 * be queued, and that completion must not mark it completed again.
 */
export const finishRunStatement = (id: number, end: RunEnd): Sql => {
  const values = finishValues(end)
  return q`UPDATE lamina_run SET ${join(Object.keys(values).map((c) => q`${ident(c)} = ${values[c] ?? null}`), ", ")} WHERE id = ${id} AND _status_code <> ${RunStatus.errored}`
}

/** Record how a run ended (`finishRunStatement`). */
export const finishRun = (id: number, end: RunEnd) => execute(finishRunStatement(id, end)).pipe(Effect.asVoid, Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Finishing a Run")(e))))

/** The tables linking artifacts to runs: inputs, returned outputs, recreated artifacts (registry/recreating.ts). */
export type RunLinkTable = "lamina_run_input_artifact" | "lamina_run_output_artifact" | "lamina_artifact_recreating_run"

/**
 * The statement linking artifacts to a run through `table`, ignoring duplicates; undefined for
 * no artifacts. The run by id, or by uid when its id is not known yet (`runByUid`).
 */
export const linkStatement = (table: RunLinkTable, run: number | Sql, artifactIds: Iterable<number>): Sql | undefined => {
  const ids = [...new Set(artifactIds)]
  return ids.length === 0 ? undefined : q`INSERT INTO ${ident(table)} (run_id, artifact_id) VALUES ${join(ids.map((id) => q`(${run}, ${id})`), ", ")} ON CONFLICT DO NOTHING`
}

/** The id of the run with `uid`, as a scalar subquery (a run inserted earlier in the same transaction). */
export const runByUid = (uid: string): Sql => q`(SELECT id FROM lamina_run WHERE uid = ${uid})`

/** `insertRunStatement` (without feature values) as a statement of `db/sql.ts`, returning nothing. */
export const insertRunSql = (r: NewRun, uid: string): Sql => {
  const values = runValues(r, uid)
  const columns = Object.keys(values)
  return q`INSERT INTO lamina_run (${join(columns.map(ident), ", ")}) VALUES (${join(columns.map((c) => q`${values[c] ?? null}`), ", ")})`
}

/** Link artifacts to a run through `table` (`linkStatement`). */
export const linkRun = (table: RunLinkTable, runId: number, artifactIds: Iterable<number>, what = "Linking artifacts to a Run") => {
  const statement = linkStatement(table, runId, artifactIds)
  return statement === undefined ? Effect.void : execute(statement).pipe(Effect.asVoid, Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(what)(e))))
}

/** Record artifacts as inputs of a run. */
export const addRunInputs = (runId: number, artifactIds: Iterable<number>) => linkRun("lamina_run_input_artifact", runId, artifactIds)

/** Record returned artifacts the run did not create itself as its outputs. */
export const addRunOutputs = (runId: number, artifactIds: Iterable<number>) => linkRun("lamina_run_output_artifact", runId, artifactIds)

/** Mark every run still `started` (or `scheduled`) among `ids` as aborted. */
export const abortRuns = (ids: ReadonlyArray<number>, error: unknown) =>
  Effect.gen(function* () {
    if (ids.length === 0) return
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE lamina_run SET _status_code = ${RunStatus.aborted}, finished_at = ${encodeValue("datetime", now())}, error = ${encodeValue("json", error)}, _lease_owner = NULL, _lease_expires_at = NULL WHERE ${sql.in("id", ids)} AND _status_code IN (${RunStatus.started}, ${RunStatus.scheduled})`
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Aborting runs")(e))))

/**
 * The Run registry: `Run.filter({...})`, `Run.get(uid)`. The public `Run` (`src/index.ts`) adds
 * `Run.why(uid)`, which lives with the cache it explains (`src/flow/why.ts`).
 */

/** Check feature values for a run about to start (nothing is written); pass the result as `NewRun.features`. */
export const planRunFeatures = (values: Readonly<Record<string, unknown>> | undefined) =>
  values === undefined ? Effect.succeed(undefined) : planFeatureValues(runAnnotated, values)

export const Run = {
  ...registryAccess(RunModel, decodeRun, UID_LENGTH.run),
  /** `features`, `labels`, `projects`, `references` of a run (LaminDB's `run.features`, …). */
  annotations: (run: Pick<Run, "id">) => annotationsOf(runAnnotated, run.id)
}
