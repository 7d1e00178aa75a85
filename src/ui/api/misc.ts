/**
 * The small endpoints: the instance (`/api/info`), transforms (`/api/transforms`), a search
 * across registries (`/api/search`), the fields filters can use (`/api/filters`) and the change
 * stamp live pages poll (`/api/changes`).
 *
 * @module
 */
import { Effect } from "effect"
import { Agg, Artifact, Instance, InvalidArgument, Run, Transform } from "../../index.js"
import { intParam, param } from "../http.js"
import { artifactItems, runItems, transformItem } from "./records.js"
import type { Changes, FilterField, Info, TransformItem } from "./types.js"

/** The connected instance. */
export const info = Effect.map(Instance, (i): Info => ({ name: i.settings.name, storage: i.settings.storage, dialect: i.dialect, user: i.user.handle, readOnly: true }))

/** Transforms, newest first (`q` searches key and description). */
export const listTransforms = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const limit = yield* intParam(params, "limit", 200, 1, 1000)
    const text = param(params, "q")
    const rows = text === undefined ? yield* Transform.filter().orderBy("-id").slice(0, limit).toArray() : yield* Transform.search(text, { limit }).toArray()
    return { items: rows.map(transformItem) as ReadonlyArray<TransformItem> }
  })

/** One transform: its fields, source code and latest runs. */
export const transformDetail = (uid: string) =>
  Effect.gen(function* () {
    const t = yield* Transform.get(uid)
    const runs = yield* Run.filter({ transform: t.id }).orderBy("-id").slice(0, 100).toArray()
    return { transform: { ...transformItem(t), source_code: t.source_code, hash: t.hash }, runs: yield* runItems(runs) }
  })

/** Ranked search over artifacts, runs and transforms at once. */
export const searchAll = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const text = param(params, "q")
    if (text === undefined) return yield* new InvalidArgument({ message: "Pass 'q': the text to search for." })
    const limit = yield* intParam(params, "limit", 10, 1, 100)
    const [artifacts, runs, transforms] = yield* Effect.all([
      Artifact.search(text, { limit }).toArray(),
      Run.search(text, { limit }).toArray(),
      Transform.search(text, { limit }).toArray()
    ])
    return { artifacts: yield* artifactItems(artifacts), runs: yield* runItems(runs), transforms: transforms.map(transformItem) }
  })

const LOOKUPS: Readonly<Record<string, ReadonlyArray<string>>> = {
  str: ["exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "in", "isnull", "regex", "iregex"],
  int: ["exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"],
  float: ["exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"],
  datetime: ["exact", "gt", "gte", "lt", "lte", "range", "isnull", "date", "year", "month", "day"],
  bool: ["exact", "isnull"],
  json: ["any key path: params__NAME, params__NAME__gt, …"],
  relation: ["exact", "in", "isnull", "and any field of the related registry: NAME__FIELD__LOOKUP"]
}

/** The fields a registry's filters can use, from its declaration (new fields appear by themselves). */
export const filterFields = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const name = param(params, "registry") ?? "artifact"
    const registries = { artifact: Artifact.filter().model, run: Run.filter().model, transform: Transform.filter().model }
    if (!(name in registries)) return yield* new InvalidArgument({ message: `Unknown registry '${name}': use artifact, run or transform.` })
    const model = registries[name as keyof typeof registries]
    const fields: Array<FilterField> = Object.entries(model.fields)
      .filter(([f]) => !f.startsWith("_"))
      .map(([f, type]) => ({ name: f, type, lookups: LOOKUPS[type] ?? [] }))
    const relations: Array<FilterField> = [...Object.keys(model.relations), ...Object.keys(model.links)].map((r) => ({ name: r, type: "relation", lookups: LOOKUPS.relation! }))
    return { registry: name, fields: [...fields, ...relations] }
  })

/** Open runs are looked for among this many newest runs (a primary-key range, fast at any size). */
const OPEN_RUN_WINDOW = 10_000

/**
 * A cheap stamp of what changed: the newest run and artifact ids, and the open runs (scheduled,
 * restarted, started) among the newest `OPEN_RUN_WINDOW` runs — one primary-key lookup each, so
 * polling stays cheap at millions of runs without another index for every run write to keep.
 */
export const changes = Effect.gen(function* () {
  const [runs, artifacts] = yield* Effect.all([
    Run.filter({ id__gte: 0 }).aggregate({ max: Agg.max("id") }),
    Artifact.filter({ id__gte: 0 }).aggregate({ max: Agg.max("id") })
  ])
  const r = Number(runs.max ?? 0)
  const a = Number(artifacts.max ?? 0)
  const running = yield* Run.filter({ id__gt: r - OPEN_RUN_WINDOW, _status_code__lt: 0 }).count()
  return { runs: r, artifacts: a, running, stamp: `${r}.${a}.${running}` } satisfies Changes
})
