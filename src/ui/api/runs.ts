/**
 * `/api/runs`: the Runs page (status, duration, transform, params as columns; generic filters
 * incl. `params__…`; keyset pages) and one run (params, inputs, outputs, environment, error,
 * report, child runs and the `why` explanation of its cache outcome).
 *
 * @module
 */
import { Effect } from "effect"
import { Artifact, explainRun, InvalidArgument, Run } from "../../index.js"
import { intParam, param } from "../http.js"
import { page, parseSort } from "../pagination.js"
import { filtersOf } from "./artifacts.js"
import { artifactItems, runItems, type RunRecord } from "./records.js"
import type { RunDetail, RunPage, WhyJson } from "./types.js"

/** A filter condition over runs (request filters are checked when the query compiles). */
type RunFilter = Parameters<typeof Run.filter>[0]

/** Fields the Runs page sorts by. */
export const RUN_SORTS = ["id", "created_at", "started_at", "finished_at"] as const

/** A page of runs. */
export const listRuns = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const spec = yield* filtersOf(params)
    const limit = yield* intParam(params, "limit", 50, 1, 500)
    const sort = yield* parseSort(param(params, "sort"), RUN_SORTS, "-id")
    const text = param(params, "q")
    const base = Run.filter(spec as unknown as RunFilter)
    const result = text !== undefined ? { items: yield* base.search(text, { limit }).toArray(), next: null } : yield* page(base, sort, limit, param(params, "after"))
    const items = yield* runItems(result.items)
    const paramKeys = [...new Set(items.flatMap((r) => Object.keys(r.params)))].sort()
    return { items, next: result.next, paramKeys } satisfies RunPage
  })

/** A run by uid. */
export const getRun = (uid: string) =>
  /^[0-9A-Za-z]{16}$/.test(uid) ? Run.get(uid) : Effect.fail(new InvalidArgument({ message: `'${uid}' is not a run uid (16 base62 characters).` }))

/** `Run.why` for the page, or null when it cannot say. */
export const whyOf = (uid: string) =>
  Effect.map(
    Effect.either(explainRun(uid)),
    (e): WhyJson | null =>
      e._tag === "Left"
        ? null
        : {
            outcome: e.right.outcome,
            message: e.right.message,
            ...(e.right.reusedRun ? { reusedRun: e.right.reusedRun } : {}),
            ...(e.right.closestRun ? { closestRun: e.right.closestRun } : {}),
            changes: e.right.changes.map((c) => ({ component: c.component, ...(c.name !== undefined ? { name: c.name } : {}), detail: c.detail }))
          }
  )

const byIdOrNone = (id: number | null) => (id === null ? Effect.succeed(undefined) : Artifact.filter({ id }).first())

/** The artifacts a run wrote, plus those it returned without creating them. */
const outputsOf = (run: RunRecord) =>
  Effect.gen(function* () {
    const created = yield* Artifact.filter({ run: run.id }).orderBy("id").slice(0, 500).toArray()
    const returned = yield* Run.filter({ id: run.id }).values("output_artifacts_returned__id").toArray()
    const extra = returned.flatMap((r) => {
      const id = r["output_artifacts_returned__id"]
      return typeof id === "number" && !created.some((a) => a.id === id) ? [id] : []
    })
    return extra.length === 0 ? created : [...created, ...(yield* Artifact.filter({ id__in: extra }).toArray())]
  })

/** Everything the Run page shows. */
export const runDetail = (uid: string) =>
  Effect.gen(function* () {
    const run = yield* getRun(uid)
    const [inputs, outputs, environment, report, children, why] = yield* Effect.all([
      Artifact.filter({ input_of_runs: run.id }).orderBy("id").slice(0, 500).toArray(),
      outputsOf(run),
      byIdOrNone(run.environment_id),
      byIdOrNone(run.report_id),
      Run.filter({ initiated_by_run: run.id }).orderBy("id").slice(0, 500).toArray(),
      whyOf(run.uid)
    ])
    const [item] = yield* runItems([run])
    const env = environment === undefined ? [] : yield* artifactItems([environment])
    const rep = report === undefined ? [] : yield* artifactItems([report])
    const result = typeof run._result === "object" && run._result !== null && "value" in run._result ? (run._result as { value: unknown }).value : null
    return {
      run: { ...item!, cache_key: run.cache_key, entrypoint: run.entrypoint, logs: run.logs, cli_args: run.cli_args },
      result,
      error: run.error ?? null,
      inputs: yield* artifactItems(inputs),
      outputs: yield* artifactItems(outputs),
      environment: env[0] ?? null,
      report: rep[0] ?? null,
      children: yield* runItems(children),
      why
    } satisfies RunDetail
  })
