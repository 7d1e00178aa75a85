/**
 * `/api/artifacts`: the Artifacts page (ranked search, generic `key__lookup=value` filters,
 * sort, keyset pages) and one artifact (describe fields, versions, the runs that created and
 * used it).
 *
 * @module
 */
import { Effect } from "effect"
import { Artifact, InvalidArgument, ObjectStore, Run } from "../../index.js"
import { parseFilters } from "../../cli/listing.js"
import { intParam, param } from "../http.js"
import { page, parseSort } from "../pagination.js"
import { artifactItems, runItems, runsById } from "./records.js"
import type { ArtifactDetail, ArtifactItem, Page } from "./types.js"

/** A filter condition over artifacts (request filters are checked when the query compiles). */
type ArtifactFilter = Parameters<typeof Artifact.filter>[0]

/** Fields the Artifacts page sorts by. */
export const ARTIFACT_SORTS = ["id", "created_at", "updated_at", "key", "size", "suffix"] as const

/** `filter=KEY=VALUE` parameters as one filter spec (the CLI's `--filter` language). */
export const filtersOf = (params: URLSearchParams) => parseFilters(params.getAll("filter").filter((f) => f !== ""))

/** A page of artifacts, or ranked search results (`q`) narrowed by the filters. */
export const listArtifacts = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const spec = yield* filtersOf(params)
    const limit = yield* intParam(params, "limit", 50, 1, 500)
    const text = param(params, "q")
    // Latest versions only unless asked otherwise (or unless the filters mention versions).
    const latestOnly = param(params, "versions") !== "all" && !Object.keys(spec).some((k) => k.startsWith("is_latest") || k.startsWith("uid"))
    const base = Artifact.filter(spec as unknown as ArtifactFilter, latestOnly ? { is_latest: true } : {})
    if (text !== undefined) {
      if (param(params, "after") !== undefined) return yield* new InvalidArgument({ message: "Search results come on one page: drop 'after'." })
      const found = yield* base.search(text, { limit }).toArray()
      return { items: yield* artifactItems(found), next: null } satisfies Page<ArtifactItem>
    }
    const sort = yield* parseSort(param(params, "sort"), ARTIFACT_SORTS, "-id")
    const result = yield* page(base, sort, limit, param(params, "after"))
    return { items: yield* artifactItems(result.items), next: result.next } satisfies Page<ArtifactItem>
  })

/** An artifact by full uid (trash included: a link to it keeps working). */
export const getArtifact = (uid: string) =>
  Effect.gen(function* () {
    if (!/^[0-9A-Za-z]{20}$/.test(uid)) return yield* new InvalidArgument({ message: `'${uid}' is not an artifact uid (20 base62 characters).` })
    return yield* Artifact.get(uid)
  })

/** Everything the Artifact page shows. */
export const artifactDetail = (uid: string) =>
  Effect.gen(function* () {
    const artifact = yield* getArtifact(uid)
    const store = yield* ObjectStore
    const [versions, usedBy, creator] = yield* Effect.all([
      artifact.versions,
      Run.filter({ input_artifacts: artifact.id }).orderBy("-id").slice(0, 200).toArray(),
      runsById([artifact.run_id])
    ])
    const [item] = yield* artifactItems([artifact])
    const created = artifact.run_id === null ? undefined : creator.get(artifact.run_id)
    const createdItems = created === undefined ? [] : yield* runItems([created])
    return {
      artifact: { ...item!, hash_type: artifact.hash_type, path: store.uri(artifact.storageKey), updated_at: artifact.updated_at.toISOString() },
      metadata: artifact._aux,
      versions: yield* artifactItems(versions),
      createdBy: createdItems[0] ?? null,
      usedBy: yield* runItems(usedBy)
    } satisfies ArtifactDetail
  })
