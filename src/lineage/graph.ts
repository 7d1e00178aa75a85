/**
 * The upstream lineage of an artifact or run: the runs that produced it, their transforms and
 * input artifacts, the runs that produced those, and so on — as a graph with edges
 * input artifact → run → output artifact, and transform → run. A cached run links to the run
 * it reused (reused run → cached run), since that run computed its outputs. A run that saved
 * the same bytes as an existing artifact (a recreating run) links to it with a `recreated`
 * edge; errored and aborted runs never appear as producers. A collection a run read sits between
 * its members and the run (member → collection → run, as LaminDB draws it; the members' own
 * input links to that run are implied by the collection and not drawn twice), and the run that
 * created a collection points to it.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../errors.js"
import { Artifact, ArtifactModel } from "../registry/Artifact.js"
import { Collection, CollectionModel } from "../registry/Collection.js"
import { sqlFailure } from "../registry/crud.js"
import { decodeRow } from "../registry/model.js"
import { recordModelOf } from "../registry/recordRef.js"
import { recreatingRunsOf } from "../registry/recreating.js"
import { decodeRun, RunModel, statusName, type Run } from "../registry/Run.js"
import { decodeTransform, TransformModel, type Transform } from "../registry/Transform.js"
import { isBase62, splitUid, UID_LENGTH } from "../registry/uid.js"

/** What a lineage node stands for. */
export type LineageNodeKind = "artifact" | "collection" | "run" | "transform"

/** A node of the lineage graph. */
export interface LineageNode {
  /** `artifact:<uid>`, `collection:<uid>`, `run:<uid>` or `transform:<uid>`. */
  readonly id: string
  readonly kind: LineageNodeKind
  readonly uid: string
  readonly label: string
  /** Secondary text (status, version, size), for renderers that have room. */
  readonly detail?: string
}

/** An edge: data or control flowing from one node to another. */
export interface LineageEdge {
  readonly from: string
  readonly to: string
  /** `recreated`: a later run saved the artifact's bytes again (it did not create the artifact). */
  readonly kind?: "recreated"
}

/** A lineage graph, rooted at the artifact or run asked about. */
export interface LineageGraph {
  readonly root: string
  readonly nodes: ReadonlyArray<LineageNode>
  readonly edges: ReadonlyArray<LineageEdge>
}

/** Options of `upstream`. */
export interface UpstreamOptions {
  /** How many producing runs to walk back from the root (default: all). */
  readonly depth?: number
}

/** What lineage can start from. */
export type LineageTarget = Artifact | Run | string

const artifactLabel = (a: Artifact): string => a.key ?? a.description ?? a.uid
const sizeText = (n: number | null): string =>
  n === null ? "" : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`

/** Resolve a key or uid: an artifact uid (20), a run uid or artifact stem (16), else an artifact key. */
export const resolveTarget = (keyOrUid: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    if (keyOrUid.trim() === "") return yield* new InvalidArgument({ message: "Pass an artifact key or uid, or a run uid." })
    if (isBase62(keyOrUid) && keyOrUid.length === UID_LENGTH.run) {
      const runs = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_run WHERE uid = ${keyOrUid}`
      if (runs[0] !== undefined) return { kind: "run", run: decodeRun(decodeRow(RunModel, runs[0])) } as const
    }
    if (isBase62(keyOrUid) && (keyOrUid.length === UID_LENGTH.artifact || keyOrUid.length === UID_LENGTH.artifact - 4)) {
      const found = yield* Effect.either(Artifact.get(keyOrUid))
      if (found._tag === "Right") return { kind: "artifact", artifact: found.right } as const
    }
    const byKey = yield* Artifact.filter({ key: keyOrUid }).toArray()
    const latest = byKey.find((a) => a.is_latest) ?? byKey[0]
    if (latest !== undefined) return { kind: "artifact", artifact: latest } as const
    return yield* new DoesNotExist({
      registry: "Artifact",
      message: `No artifact with key or uid '${keyOrUid}', and no run with that uid. List artifacts with 'lamina ls artifact'.`
    })
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Resolving a lineage target")(e))))

/** A run record: branded as one, or shaped like one (an integer id and a run uid). */
const isRun = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  (recordModelOf(v) === "Run" || ("id" in v && Number.isInteger(v.id) && "uid" in v && typeof v.uid === "string" && v.uid.length === UID_LENGTH.run))

/** The upstream lineage graph of an artifact or run. */
export const upstream = (target: LineageTarget, options: UpstreamOptions = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const depth = options.depth ?? Number.POSITIVE_INFINITY
    if (!(depth >= 0)) return yield* new InvalidArgument({ message: `depth must be a number ≥ 0, got ${options.depth}.` })
    // JavaScript callers can pass anything: a number would be walked as a run without a uid.
    if (typeof target !== "string" && !(target instanceof Artifact) && !isRun(target))
      return yield* new InvalidArgument({ message: `upstream() takes an artifact, a run, or an artifact key or uid (or a run uid), got ${JSON.stringify(target)}.` })
    const resolved =
      typeof target === "string"
        ? yield* resolveTarget(target)
        : target instanceof Artifact
          ? ({ kind: "artifact", artifact: target } as const)
          : ({ kind: "run", run: target } as const)

    const nodes = new Map<string, LineageNode>()
    const edges = new Map<string, LineageEdge>()
    const artifacts = new Map<number, Artifact>()
    const runs = new Map<number, Run>()
    const transforms = new Map<number, Transform>()
    const collections = new Map<number, Collection>()
    const edge = (from: string, to: string, kind?: "recreated") => {
      if (!edges.has(`${from}>${to}`)) edges.set(`${from}>${to}`, { from, to, ...(kind !== undefined ? { kind } : {}) })
    }
    const artifactNode = (a: Artifact) => {
      artifacts.set(a.id, a)
      const id = `artifact:${a.uid}`
      if (!nodes.has(id))
        nodes.set(id, {
          id,
          kind: "artifact",
          uid: a.uid,
          label: artifactLabel(a),
          detail: [`v${a.version}`, sizeText(a.size), a.branch === -1 ? "trash" : ""].filter((s) => s !== "").join(" · ")
        })
      return id
    }
    const collectionNode = (c: Collection, members: number) => {
      collections.set(c.id, c)
      const id = `collection:${c.uid}`
      if (!nodes.has(id))
        nodes.set(id, {
          id,
          kind: "collection",
          uid: c.uid,
          label: c.key ?? c.description ?? c.uid,
          detail: [`v${c.version}`, `${members} artifact${members === 1 ? "" : "s"}`, c.branch === -1 ? "trash" : ""].filter((s) => s !== "").join(" · ")
        })
      return id
    }
    const runNode = (r: Run) => {
      runs.set(r.id, r)
      const id = `run:${r.uid}`
      if (!nodes.has(id)) nodes.set(id, { id, kind: "run", uid: r.uid, label: r.name ?? r.entrypoint ?? r.uid, detail: statusName(r._status_code) })
      return id
    }

    const loadArtifacts = (ids: ReadonlyArray<number>) =>
      ids.length === 0
        ? Effect.succeed([] as ReadonlyArray<Artifact>)
        : Effect.map(sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE ${sql.in("id", ids)}`, (rows) => rows.map((r) => new Artifact(decodeRow(ArtifactModel, r))))
    const loadRuns = (ids: ReadonlyArray<number>) =>
      ids.length === 0
        ? Effect.succeed([] as ReadonlyArray<Run>)
        : Effect.map(sql<Record<string, unknown>>`SELECT * FROM lamina_run WHERE ${sql.in("id", ids)}`, (rows) => rows.map((r) => decodeRun(decodeRow(RunModel, r))))

    // Walk back level by level: artifacts → their producing runs → those runs' inputs → …
    let frontierArtifacts: Array<Artifact> = []
    let frontierRuns: Array<Run> = []
    // Collections whose creating run is still to be walked (with the next level's artifacts).
    let frontierCollections: Array<Collection> = []
    if (resolved.kind === "artifact") frontierArtifacts = [resolved.artifact]
    else {
      frontierRuns = [resolved.run]
      // A run's own outputs give it context.
      const outs = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE run_id = ${resolved.run.id} OR id IN (SELECT artifact_id FROM lamina_run_output_artifact WHERE run_id = ${resolved.run.id})`
      for (const row of outs) edge(runNode(resolved.run), artifactNode(new Artifact(decodeRow(ArtifactModel, row))))
      const recreated = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact WHERE id IN (SELECT artifact_id FROM lamina_artifact_recreating_run WHERE run_id = ${resolved.run.id})`
      for (const row of recreated) edge(runNode(resolved.run), artifactNode(new Artifact(decodeRow(ArtifactModel, row))), "recreated")
      const made = yield* sql<Record<string, unknown>>`SELECT c.*, (SELECT COUNT(*) FROM lamina_collection_artifact l WHERE l.collection_id = c.id) AS n_members
        FROM lamina_collection c WHERE c.run_id = ${resolved.run.id}`
      for (const row of made) edge(runNode(resolved.run), collectionNode(new Collection(decodeRow(CollectionModel, row)), Number(row.n_members)))
    }
    const root = resolved.kind === "artifact" ? artifactNode(resolved.artifact) : runNode(resolved.run)
    // Levels count runs: a run root is the first level.
    let level = resolved.kind === "run" ? 1 : 0
    while (frontierArtifacts.length > 0 || frontierRuns.length > 0 || frontierCollections.length > 0) {
      // producers of the frontier artifacts (and collections)
      if ((frontierArtifacts.length > 0 || frontierCollections.length > 0) && level < depth) {
        // The creating run (artifact.run_id) is the producer; a run that only returned an
        // artifact counts when nobody recorded creating it (registered outside any run).
        const orphans = frontierArtifacts.filter((a) => a.run_id === null).map((a) => a.id)
        const linked =
          orphans.length === 0
            ? []
            : yield* sql<{ readonly run_id: number; readonly artifact_id: number }>`SELECT run_id, artifact_id FROM lamina_run_output_artifact WHERE ${sql.in("artifact_id", orphans)}`
        const producerIds = [
          ...new Set([
            ...frontierArtifacts.flatMap((a) => (a.run_id === null ? [] : [a.run_id])),
            ...linked.map((l) => Number(l.run_id)),
            ...frontierCollections.flatMap((c) => (c.run_id === null ? [] : [c.run_id]))
          ])
        ]
        const producers: Array<Run> = [...(yield* loadRuns(producerIds.filter((id) => !runs.has(id))))]
        for (const r of producers) runs.set(r.id, r)
        const recreating = yield* recreatingRunsOf(frontierArtifacts.map((a) => a.id))
        for (const { artifactId, run } of recreating) {
          if (!runs.has(run.id)) {
            runs.set(run.id, run)
            producers.push(run)
          }
          const a = artifacts.get(artifactId)
          if (a !== undefined) edge(runNode(runs.get(run.id)!), artifactNode(a), "recreated")
        }
        for (const a of frontierArtifacts) if (a.run_id !== null && runs.has(a.run_id)) edge(runNode(runs.get(a.run_id)!), artifactNode(a))
        for (const c of frontierCollections) if (c.run_id !== null && runs.has(c.run_id)) edge(runNode(runs.get(c.run_id)!), `collection:${c.uid}`)
        for (const l of linked) {
          const r = runs.get(Number(l.run_id))
          const a = artifacts.get(Number(l.artifact_id))
          if (r && a) edge(runNode(r), artifactNode(a))
        }
        frontierRuns.push(...producers)
        level++
      }
      frontierArtifacts = []
      frontierCollections = []
      if (frontierRuns.length === 0) break
      // reused runs of cached runs: same level, they computed the outputs
      const reusedIds = frontierRuns.flatMap((r) => (r.reused_run_id === null || runs.has(r.reused_run_id) ? [] : [r.reused_run_id]))
      const reused = yield* loadRuns([...new Set(reusedIds)])
      for (const r of reused) runs.set(r.id, r)
      for (const r of frontierRuns) if (r.reused_run_id !== null && runs.has(r.reused_run_id)) edge(runNode(runs.get(r.reused_run_id)!), runNode(r))
      const all = [...frontierRuns, ...reused]
      // transforms
      const tIds = [...new Set(all.map((r) => r.transform_id))].filter((id) => !transforms.has(id))
      if (tIds.length > 0) {
        const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_transform WHERE ${sql.in("id", tIds)}`
        for (const row of rows) {
          const t = decodeTransform(decodeRow(TransformModel, row))
          transforms.set(t.id, t)
        }
      }
      for (const r of all) {
        const t = transforms.get(r.transform_id)
        if (t === undefined) continue
        const id = `transform:${t.uid}`
        if (!nodes.has(id)) nodes.set(id, { id, kind: "transform", uid: t.uid, label: t.key ?? t.uid, detail: `${t.kind} v${t.version_tag ?? splitUid(t.uid).suffix}` })
        edge(id, runNode(r))
      }
      // inputs: collections the runs read (with their members), then artifacts
      const runIds = all.map((r) => r.id)
      const viaCollection = new Set<string>()
      const collectionLinks = yield* sql<{ readonly run_id: number; readonly collection_id: number }>`SELECT run_id, collection_id FROM lamina_run_input_collection WHERE ${sql.in("run_id", runIds)}`
      const inputCollections: Array<Collection> = []
      const memberIds: Array<number> = []
      if (collectionLinks.length > 0) {
        const cIds = [...new Set(collectionLinks.map((l) => Number(l.collection_id)))]
        const fresh = cIds.filter((id) => !collections.has(id))
        const cRows = fresh.length === 0 ? [] : yield* sql<Record<string, unknown>>`SELECT * FROM lamina_collection WHERE ${sql.in("id", fresh)}`
        const members = yield* sql<{ readonly collection_id: number; readonly artifact_id: number }>`SELECT collection_id, artifact_id FROM lamina_collection_artifact
          WHERE ${sql.in("collection_id", cIds)} ORDER BY collection_id, position`
        const count = new Map<number, number>()
        for (const m of members) count.set(Number(m.collection_id), (count.get(Number(m.collection_id)) ?? 0) + 1)
        for (const row of cRows) {
          const c = new Collection(decodeRow(CollectionModel, row))
          collectionNode(c, count.get(c.id) ?? 0)
          inputCollections.push(c)
        }
        for (const l of collectionLinks) {
          const c = collections.get(Number(l.collection_id))
          const r = runs.get(Number(l.run_id))
          if (c && r) edge(`collection:${c.uid}`, runNode(r))
        }
        for (const m of members) memberIds.push(Number(m.artifact_id))
        const newMembers = yield* loadArtifacts([...new Set(memberIds)].filter((id) => !artifacts.has(id)))
        for (const a of newMembers) artifacts.set(a.id, a)
        for (const m of members) {
          const c = collections.get(Number(m.collection_id))
          const a = artifacts.get(Number(m.artifact_id))
          if (c === undefined || a === undefined) continue
          edge(artifactNode(a), `collection:${c.uid}`)
          for (const l of collectionLinks) if (Number(l.collection_id) === c.id) viaCollection.add(`${a.id}>${Number(l.run_id)}`)
        }
        frontierArtifacts.push(...newMembers)
      }
      const links = yield* sql<{ readonly run_id: number; readonly artifact_id: number }>`SELECT run_id, artifact_id FROM lamina_run_input_artifact WHERE ${sql.in("run_id", runIds)}`
      const inputs = yield* loadArtifacts([...new Set(links.map((l) => Number(l.artifact_id)))].filter((id) => !artifacts.has(id)))
      for (const a of inputs) artifacts.set(a.id, a)
      for (const l of links) {
        const a = artifacts.get(Number(l.artifact_id))
        const r = runs.get(Number(l.run_id))
        if (a && r && !viaCollection.has(`${a.id}>${r.id}`)) edge(artifactNode(a), runNode(r))
      }
      frontierArtifacts.push(...inputs)
      frontierCollections = inputCollections
      frontierRuns = []
      if (level >= depth) break
    }
    return { root, nodes: [...nodes.values()], edges: [...edges.values()] } satisfies LineageGraph
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading lineage")(e))))
