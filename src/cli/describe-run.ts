/**
 * `lamina describe RUN_UID` and `lamina describe TRANSFORM`: a run (status, transform, params,
 * inputs, outputs, parent and reused run) or a transform (key, kind, version, its runs) as a
 * readable tree or one JSON object.
 *
 * @module
 */
import { Effect } from "effect"
import { Artifact } from "../registry/Artifact.js"
import { Run, statusName } from "../registry/Run.js"
import { Transform } from "../registry/Transform.js"
import { User } from "../registry/User.js"
import type { Output } from "./command.js"
import { tree, type TreeRow } from "./present.js"

const iso = (d: Date | null | undefined): string | null => (d == null ? null : d.toISOString())
const artifactRef = (a: Artifact) => ({ uid: a.uid, key: a.key, version: a.version })
const artifactRow = (a: Artifact): TreeRow => [a.uid, `${a.key ?? "(no key)"} v${a.version}`]

/** Print a run. */
export const describeRun = (run: Run, out: Output) =>
  Effect.gen(function* () {
    const [transform, inputs, outputs, parent, reused, creator] = yield* Effect.all([
      Transform.filter({ id: run.transform_id }).first(),
      Artifact.filter({ input_of_runs__id: run.id }).orderBy("id").toArray(),
      Artifact.filter({ run_id: run.id }).orderBy("id").toArray(),
      run.initiated_by_run_id === null ? Effect.succeed(undefined) : Run.filter({ id: run.initiated_by_run_id }).first(),
      run.reused_run_id === null ? Effect.succeed(undefined) : Run.filter({ id: run.reused_run_id }).first(),
      run.created_by_id === null ? Effect.succeed(undefined) : User.filter({ id: run.created_by_id }).first()
    ])
    const json = {
      uid: run.uid,
      name: run.name,
      status: statusName(run._status_code),
      transform: transform ? { uid: transform.uid, key: transform.key, kind: transform.kind } : null,
      params: run.params,
      started_at: iso(run.started_at),
      finished_at: iso(run.finished_at),
      created_by: creator?.handle ?? null,
      initiated_by_run: parent?.uid ?? null,
      reused_run: reused?.uid ?? null,
      cli_args: run.cli_args,
      inputs: inputs.map(artifactRef),
      outputs: outputs.map(artifactRef)
    }
    if (out.wantsJson) return out.json(json)
    const rows: Array<TreeRow> = [
      ["uid", run.uid],
      ["status", json.status],
      ...(transform ? [["transform", `${transform.key} (${transform.kind}, ${transform.uid})`] as const] : []),
      ["params", JSON.stringify(run.params ?? {})],
      ["started_at", json.started_at ?? "–"],
      ["finished_at", json.finished_at ?? "–"],
      ["created_by", json.created_by ?? "–"],
      ...(json.initiated_by_run ? [["initiated_by_run", json.initiated_by_run] as const] : []),
      ...(json.reused_run ? [["reused_run", `${json.reused_run} (a cache hit: its outputs)`] as const] : []),
      ["inputs", String(inputs.length), inputs.map(artifactRow)],
      ["outputs", String(outputs.length), outputs.map(artifactRow)]
    ]
    out.line(tree(`Run · ${run.name ?? run.entrypoint ?? run.uid}`, rows))
  })

/** Print a transform and its latest runs. */
export const describeTransform = (transform: Transform, out: Output) =>
  Effect.gen(function* () {
    const runs = yield* Run.filter({ transform_id: transform.id }).orderBy("-id").limit(10).toArray()
    const total = yield* Run.filter({ transform_id: transform.id }).count()
    const version = transform.version_tag ?? transform.uid.slice(-4)
    const json = {
      uid: transform.uid,
      key: transform.key,
      kind: transform.kind,
      version,
      is_latest: transform.is_latest,
      description: transform.description,
      hash: transform.hash,
      created_at: iso(transform.created_at),
      n_runs: total,
      latest_runs: runs.map((r) => ({ uid: r.uid, name: r.name, status: statusName(r._status_code), started_at: iso(r.started_at) }))
    }
    if (out.wantsJson) return out.json(json)
    out.line(
      tree(`Transform · ${transform.key ?? transform.uid}`, [
        ["uid", transform.uid],
        ["kind", transform.kind],
        ["version", `${version}${transform.is_latest ? " (latest)" : ""}`],
        ["description", transform.description ?? "–"],
        ["hash", transform.hash ?? "–"],
        ["created_at", json.created_at ?? "–"],
        ["runs", `${total}${total > runs.length ? ` (latest ${runs.length})` : ""}`, runs.map((r): TreeRow => [r.uid, `${r.name ?? "run"} (${statusName(r._status_code)}, ${iso(r.started_at) ?? "not started"})`])]
      ])
    )
  })
