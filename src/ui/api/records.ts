/**
 * Registry records as the UI's JSON (`ArtifactItem`, `RunItem`, `TransformItem`), with the
 * related records they name (creator handle, run uid, transform key) loaded in one query per
 * relation for a whole page.
 *
 * @module
 */
import { Effect } from "effect"
import { Artifact, Run, RunStatus, Transform, User } from "../../index.js"
import type { ArtifactItem, RunItem, TransformItem } from "./types.js"

type ArtifactRecord = Artifact
type RunRecord = Effect.Effect.Success<ReturnType<typeof Run.get>>
type TransformRecord = Effect.Effect.Success<ReturnType<typeof Transform.get>>

const statusNames = new Map<number, string>(Object.entries(RunStatus).map(([name, code]) => [code, name]))

/** A run status code's name. */
export const statusOf = (code: number): string => statusNames.get(code) ?? `unknown(${code})`

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())

const ids = (values: ReadonlyArray<number | null>): Array<number> => [...new Set(values.filter((v): v is number => v !== null))]

/** Records by id (one query). */
const byId = <A extends { readonly id: number }>(list: ReadonlyArray<A>): Map<number, A> => new Map(list.map((a) => [a.id, a]))

/** Users' handles by id. */
const handles = (userIds: ReadonlyArray<number | null>) =>
  Effect.map(ids(userIds).length === 0 ? Effect.succeed([]) : User.filter({ id__in: ids(userIds) }).toArray(), (users) => new Map(users.map((u) => [u.id, u.handle])))

/** Runs by id, trash included (a trashed run still explains where an artifact came from). */
export const runsById = (runIds: ReadonlyArray<number | null>) =>
  Effect.map(ids(runIds).length === 0 ? Effect.succeed([] as ReadonlyArray<RunRecord>) : Run.filter({ id__in: ids(runIds) }).toArray(), byId)

/** Transforms by id. */
export const transformsById = (transformIds: ReadonlyArray<number | null>) =>
  Effect.map(ids(transformIds).length === 0 ? Effect.succeed([] as ReadonlyArray<TransformRecord>) : Transform.filter({ id__in: ids(transformIds) }).toArray(), byId)

/** Artifacts as list items. */
export const artifactItems = (list: ReadonlyArray<ArtifactRecord>) =>
  Effect.gen(function* () {
    const [users, runs] = yield* Effect.all([handles(list.map((a) => a.created_by_id)), runsById(list.map((a) => a.run_id))])
    return list.map((a): ArtifactItem => ({
      uid: a.uid,
      key: a.key,
      description: a.description,
      suffix: a.suffix,
      kind: a.kind,
      otype: a.otype,
      size: a.size,
      hash: a.hash,
      n_files: a.n_files,
      n_observations: a.n_observations,
      version: a.version,
      is_latest: a.is_latest,
      branch: a.branch,
      created_at: a.created_at.toISOString(),
      created_by: a.created_by_id === null ? null : (users.get(a.created_by_id) ?? null),
      run: a.run_id === null ? null : (runs.get(a.run_id)?.uid ?? null)
    }))
  })

/** Flat params object of a run (non-objects wrapped as `{ value }`). */
const paramsOf = (params: unknown): Readonly<Record<string, unknown>> =>
  typeof params === "object" && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : params === null || params === undefined ? {} : { value: params }

/** Runs as list items. */
export const runItems = (list: ReadonlyArray<RunRecord>) =>
  Effect.gen(function* () {
    const [transforms, related] = yield* Effect.all([
      transformsById(list.map((r) => r.transform_id)),
      runsById(list.flatMap((r) => [r.reused_run_id, r.initiated_by_run_id]))
    ])
    return list.map((r): RunItem => {
      const t = transforms.get(r.transform_id)
      return {
        uid: r.uid,
        name: r.name ?? r.entrypoint,
        status: statusOf(r._status_code),
        transform: t === undefined ? null : { uid: t.uid, key: t.key },
        started_at: iso(r.started_at),
        finished_at: iso(r.finished_at),
        duration_ms: r.started_at !== null && r.finished_at !== null ? r.finished_at.getTime() - r.started_at.getTime() : null,
        params: paramsOf(r.params),
        reused_run: r.reused_run_id === null ? null : (related.get(r.reused_run_id)?.uid ?? null),
        initiated_by_run: r.initiated_by_run_id === null ? null : (related.get(r.initiated_by_run_id)?.uid ?? null)
      }
    })
  })

/** A transform as a list item. */
export const transformItem = (t: TransformRecord): TransformItem => ({
  uid: t.uid,
  key: t.key,
  description: t.description,
  kind: t.kind,
  version: t.version_tag ?? t.uid.slice(-4),
  is_latest: t.is_latest,
  created_at: t.created_at.toISOString()
})

export type { ArtifactRecord, RunRecord, TransformRecord }
