/**
 * `/api/lineage`: the graph around an artifact or run — upstream from `Lineage.upstream`, and
 * downstream (the runs that used it, what they wrote, the runs that used that, …) walked here
 * level by level, one query per relation and level, up to a node cap. A collection the runs read
 * sits between its members and those runs, as upstream draws it.
 *
 * @module
 */
import { Effect } from "effect"
import { Artifact, Collection, InvalidArgument, Lineage, Run, RunStatus, Transform } from "../../index.js"
import { intParam, param } from "../http.js"
import { statusOf, type ArtifactRecord, type RunRecord } from "./records.js"
import type { GraphJson, GraphNode } from "./types.js"

/** Nodes at most (a larger graph comes back truncated). */
const MAX_NODES = 2000

/** The ids of a `values()` column through a many-to-many relation (a list, or one id). */
const idsOf = (v: unknown): ReadonlyArray<number> => (Array.isArray(v) ? v.map(Number) : v === null || v === undefined ? [] : [Number(v)])

const sizeText = (n: number | null): string =>
  n === null ? "" : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`

const artifactNode = (a: ArtifactRecord): GraphNode => ({
  id: `artifact:${a.uid}`,
  kind: "artifact",
  uid: a.uid,
  label: a.key ?? a.description ?? a.uid,
  detail: [`v${a.version}`, sizeText(a.size)].filter((s) => s !== "").join(" · ")
})
const runNode = (r: RunRecord): GraphNode => ({ id: `run:${r.uid}`, kind: "run", uid: r.uid, label: r.name ?? r.entrypoint ?? r.uid, detail: statusOf(r._status_code) })

/** The downstream graph of an artifact or run, `depth` consuming runs deep. */
const downstream = (root: { readonly kind: "artifact"; readonly artifact: ArtifactRecord } | { readonly kind: "run"; readonly run: RunRecord }, depth: number) =>
  Effect.gen(function* () {
    const nodes = new Map<string, GraphNode>()
    const edges = new Map<string, { readonly from: string; readonly to: string }>()
    const edge = (from: string, to: string) => edges.set(`${from}>${to}`, { from, to })
    const seenRuns = new Set<number>()
    const seenArtifacts = new Set<number>()
    let truncated = false
    let artifacts: ReadonlyArray<ArtifactRecord> = []
    let runs: ReadonlyArray<RunRecord> = []
    if (root.kind === "artifact") {
      artifacts = [root.artifact]
      seenArtifacts.add(root.artifact.id)
      nodes.set(`artifact:${root.artifact.uid}`, artifactNode(root.artifact))
    } else {
      runs = [root.run]
      seenRuns.add(root.run.id)
      nodes.set(`run:${root.run.uid}`, runNode(root.run))
    }
    const transformIds = new Set<number>()
    const runTransforms: Array<RunRecord> = []
    for (let level = 0; level <= depth && !truncated; level++) {
      if (artifacts.length > 0 && level < depth) {
        // consumers of these artifacts, and cache hits of those consumers
        const consumers = yield* Run.filter({ input_artifacts__in: artifacts.map((a) => a.id) }).orderBy("id").slice(0, MAX_NODES).toArray()
        const links = yield* Run.filter({ id__in: consumers.map((r) => r.id) }).values("id", "input_artifacts__id").toArray()
        const byId = new Map(artifacts.map((a) => [a.id, a]))
        const fresh = consumers.filter((r) => !seenRuns.has(r.id))
        for (const r of fresh) {
          seenRuns.add(r.id)
          nodes.set(`run:${r.uid}`, runNode(r))
          runTransforms.push(r)
        }
        const uidOfRun = new Map(consumers.map((r) => [r.id, r.uid]))
        // collections holding these artifacts that runs read: member → collection → run
        const memberships = yield* Collection.filter({ artifacts__in: artifacts.map((a) => a.id), input_of_runs__isnull: false })
          .values("id", "uid", "key", "artifacts__id")
          .slice(0, MAX_NODES)
          .toArray()
        const viaCollection = new Set<string>()
        if (memberships.length > 0) {
          const cIds = [...new Set(memberships.map((m) => Number(m["id"])))]
          const readers = yield* Run.filter({ input_collections__in: cIds }).orderBy("id").slice(0, MAX_NODES).toArray()
          const readLinks = yield* Run.filter({ id__in: readers.map((r) => r.id) }).values("id", "input_collections__id").toArray()
          const cUid = new Map(memberships.map((m) => [Number(m["id"]), String(m["uid"])]))
          for (const m of memberships) {
            const id = `collection:${String(m["uid"])}`
            if (!nodes.has(id)) nodes.set(id, { id, kind: "collection", uid: String(m["uid"]), label: String(m["key"] ?? m["uid"]) })
            for (const aid of idsOf(m["artifacts__id"])) {
              const a = byId.get(aid)
              if (a !== undefined) edge(`artifact:${a.uid}`, id)
            }
          }
          for (const r of readers)
            if (!seenRuns.has(r.id)) {
              seenRuns.add(r.id)
              nodes.set(`run:${r.uid}`, runNode(r))
              runTransforms.push(r)
              fresh.push(r)
            }
          const uidOfReader = new Map(readers.map((r) => [r.id, r.uid]))
          for (const l of readLinks) {
            const ru = uidOfReader.get(Number(l["id"]))
            for (const c of idsOf(l["input_collections__id"])) {
              if (!cUid.has(c) || ru === undefined) continue
              edge(`collection:${cUid.get(c)!}`, `run:${ru}`)
              for (const m of memberships) if (Number(m["id"]) === c) for (const aid of idsOf(m["artifacts__id"])) viaCollection.add(`${aid}>${ru}`)
            }
          }
        }
        for (const l of links) {
          const ru = uidOfRun.get(Number(l["id"]))
          for (const aid of idsOf(l["input_artifacts__id"])) {
            const a = byId.get(aid)
            if (a !== undefined && ru !== undefined && !viaCollection.has(`${a.id}>${ru}`)) edge(`artifact:${a.uid}`, `run:${ru}`)
          }
        }
        runs = fresh
      }
      if (runs.length === 0 || nodes.size >= MAX_NODES) {
        truncated = nodes.size >= MAX_NODES
        break
      }
      const hits = yield* Run.filter({ reused_run__in: runs.map((r) => r.id), _status_code: RunStatus.cached }).orderBy("id").slice(0, MAX_NODES).toArray()
      const uidOf = new Map(runs.map((r) => [r.id, r.uid]))
      for (const h of hits) {
        if (!seenRuns.has(h.id)) {
          seenRuns.add(h.id)
          nodes.set(`run:${h.uid}`, runNode(h))
          runTransforms.push(h)
        }
        const from = h.reused_run_id === null ? undefined : uidOf.get(h.reused_run_id)
        if (from !== undefined) edge(`run:${from}`, `run:${h.uid}`)
      }
      const outputs = yield* Artifact.filter({ run__in: runs.map((r) => r.id) }).orderBy("id").slice(0, MAX_NODES).toArray()
      const next: Array<ArtifactRecord> = []
      for (const a of outputs) {
        const producer = a.run_id === null ? undefined : uidOf.get(a.run_id)
        if (producer !== undefined) edge(`run:${producer}`, `artifact:${a.uid}`)
        if (seenArtifacts.has(a.id)) continue
        seenArtifacts.add(a.id)
        nodes.set(`artifact:${a.uid}`, artifactNode(a))
        next.push(a)
      }
      artifacts = next
      runs = []
      if (nodes.size >= MAX_NODES) truncated = true
    }
    for (const r of runTransforms) transformIds.add(r.transform_id)
    if (transformIds.size > 0) {
      const transforms = yield* Transform.filter({ id__in: [...transformIds] }).toArray()
      const byId = new Map(transforms.map((t) => [t.id, t]))
      for (const r of runTransforms) {
        const t = byId.get(r.transform_id)
        if (t === undefined) continue
        const id = `transform:${t.uid}`
        if (!nodes.has(id)) nodes.set(id, { id, kind: "transform", uid: t.uid, label: t.key ?? t.uid, detail: `${t.kind} v${t.version_tag ?? t.uid.slice(-4)}` })
        edge(id, `run:${r.uid}`)
      }
    }
    return { nodes, edges, truncated }
  })

/** The lineage graph around `target` (an artifact key or uid, or a run uid). */
export const lineageOf = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const target = param(params, "target")
    if (target === undefined) return yield* new InvalidArgument({ message: "Pass 'target': an artifact key or uid, or a run uid." })
    const direction = param(params, "direction") ?? "both"
    if (direction !== "up" && direction !== "down" && direction !== "both")
      return yield* new InvalidArgument({ message: `'direction' is up, down or both, got '${direction}'.` })
    const depth = yield* intParam(params, "depth", 50, 0, 1000)
    const resolved = yield* Lineage.resolveTarget(target)
    const up = direction === "down" ? undefined : yield* Lineage.upstream(resolved.kind === "artifact" ? resolved.artifact : resolved.run, { depth })
    const down = direction === "up" ? undefined : yield* downstream(resolved, depth)
    const nodes = new Map<string, GraphNode>()
    const edges = new Map<string, { readonly from: string; readonly to: string }>()
    for (const n of up?.nodes ?? []) nodes.set(n.id, n)
    for (const e of up?.edges ?? []) edges.set(`${e.from}>${e.to}`, e)
    for (const n of down?.nodes.values() ?? []) if (!nodes.has(n.id)) nodes.set(n.id, n)
    for (const [k, e] of down?.edges ?? []) edges.set(k, e)
    const root = resolved.kind === "artifact" ? `artifact:${resolved.artifact.uid}` : `run:${resolved.run.uid}`
    return { root, nodes: [...nodes.values()].slice(0, MAX_NODES), edges: [...edges.values()], truncated: (down?.truncated ?? false) || nodes.size > MAX_NODES } satisfies GraphJson
  })
