/**
 * `artifact.describe()`: an artifact as LaminDB's `describe()` shows it — identity, content,
 * version, location and provenance (run, transform, creator, recreating runs), its format
 * metadata, and the "Linked features", "Dataset features" and "Labels" sections — both as data
 * (what `lamina describe --json` prints) and as the text tree `lamina describe` prints.
 *
 * @module
 */
import { Effect } from "effect"
import { Instance } from "../../instance/Instance.js"
import type { AnnotationSummary } from "../annotate/describe.js"
import { showValue } from "../annotate/describe.js"
import { recreatingRunsOf } from "../recreating.js"
import { Run, statusName } from "../Run.js"
import { artifactSchemas, DATASET_SLOT } from "../schema/artifactSchemas.js"
import { schemaDefinition } from "../schema/definition.js"
import { Transform } from "../Transform.js"
import { User } from "../User.js"
import { dataRows } from "./data.js"
import { formatSize, tree, type TreeRow } from "./tree.js"

/** An artifact's own fields as JSON, LaminDB's names, with the resolved `path`. */
export interface ArtifactJson {
  readonly uid: string
  readonly key: string | null
  readonly description: string | null
  readonly suffix: string
  readonly kind: string | null
  readonly otype: string | null
  readonly size: number | null
  readonly hash: string | null
  readonly hash_type: string | null
  readonly n_files: number | null
  readonly n_observations: number | null
  readonly version: string
  readonly is_latest: boolean
  readonly branch: number
  readonly created_at: string
  readonly path: string
}

/** What describe reads of an artifact (the `Artifact` record has all of it). */
export interface Describable<E, R> {
  readonly id: number
  readonly run_id: number | null
  readonly created_by_id: number | null
  readonly _aux: Readonly<Record<string, unknown>> | null
  toJSON(storageRoot?: string): ArtifactJson
  describeAnnotations(): Effect.Effect<AnnotationSummary, E, R>
}

/** A schema an artifact was validated against, by slot, with its members. */
export interface DescribedSchema {
  readonly slot: string
  readonly schema: { readonly uid: string; readonly name: string | null; readonly itype: string | null; readonly dtype: string | null }
  readonly features: ReadonlyArray<{ readonly name: string; readonly dtype: string }>
}

/** The data of a description: what `lamina describe KEY --json` prints. */
export interface ArtifactDescriptionData extends ArtifactJson {
  readonly created_by: string | null
  readonly run: { readonly uid: string; readonly status: string; readonly started_at: string | null } | null
  readonly transform: { readonly uid: string; readonly key: string | null; readonly kind: string; readonly version: string } | null
  /** Later runs that saved the same bytes and got this artifact back (LaminDB's `recreating_runs`). */
  readonly recreating_runs: ReadonlyArray<{ readonly uid: string; readonly name: string | null; readonly status: string; readonly started_at: string | null }>
  /** Format metadata recorded at save (shape, columns, …), when there is any. */
  readonly metadata?: Readonly<Record<string, unknown>>
  readonly linked_features: AnnotationSummary["linked_features"]
  /** Linked records by link name (`ulabels`, `records`, `projects`, `references`). */
  readonly labels: Readonly<Record<string, ReadonlyArray<string>>>
  /** The schemas the artifact was validated against, per slot (LaminDB's "Dataset features"). */
  readonly schemas: ReadonlyArray<DescribedSchema>
}

/** An artifact's description: the data, and the text tree `lamina describe` prints. */
export interface ArtifactDescription {
  readonly data: ArtifactDescriptionData
  readonly text: string
}

const iso = (d: Date | null | undefined): string | null => (d == null ? null : d.toISOString())

/** Describe `artifact`: its data and its text tree (see {@link ArtifactDescription}). */
export const describeArtifact = <E, R>(artifact: Describable<E, R>) =>
  Effect.gen(function* () {
    const { settings } = yield* Instance
    const [run, creator] = yield* Effect.all([
      artifact.run_id === null ? Effect.succeed(undefined) : Run.filter({ id: artifact.run_id }).first(),
      artifact.created_by_id === null ? Effect.succeed(undefined) : User.filter({ id: artifact.created_by_id }).first()
    ])
    const transform = run === undefined ? undefined : yield* Transform.filter({ id: run.transform_id }).first()
    const recreating = (yield* recreatingRunsOf([artifact.id])).map((l) => l.run)
    const annotations = yield* artifact.describeAnnotations()
    const schemas = yield* Effect.forEach(yield* artifactSchemas(artifact.id), ({ slot, schema }) =>
      Effect.map(
        schemaDefinition(schema.id),
        (d): DescribedSchema => ({
          slot,
          schema: { uid: schema.uid, name: schema.name, itype: schema.itype, dtype: schema.dtype },
          features: d.members.map((m) => ({ name: m.feature.name, dtype: m.feature.dtype }))
        })
      )
    )
    const data: ArtifactDescriptionData = {
      ...artifact.toJSON(settings.storage),
      created_by: creator?.handle ?? null,
      run: run ? { uid: run.uid, status: statusName(run._status_code), started_at: iso(run.started_at) } : null,
      transform: transform
        ? { uid: transform.uid, key: transform.key, kind: transform.kind, version: transform.version_tag ?? transform.uid.slice(-4) }
        : null,
      recreating_runs: recreating.map((r) => ({ uid: r.uid, name: r.name, status: statusName(r._status_code), started_at: iso(r.started_at) })),
      ...(artifact._aux ? { metadata: artifact._aux } : {}),
      linked_features: annotations.linked_features,
      labels: Object.fromEntries(annotations.labels.map((g) => [g.link, g.names])),
      schemas
    }
    return { data, text: describeText(data, annotations) } satisfies ArtifactDescription
  })

/** The text tree of a description, in LaminDB's sections. */
const describeText = (d: ArtifactDescriptionData, annotations: AnnotationSummary): string => {
  const branch = d.branch === -1 ? " (in trash)" : d.branch === 0 ? " (archived)" : ""
  const rows: Array<TreeRow> = [
    ["uid", d.uid],
    ["key", d.key ?? "–"],
    ["description", d.description ?? "–"],
    ["version", `${d.version}${d.is_latest ? " (latest)" : ""}${branch}`],
    ["hash", `${d.hash ?? "–"} (${d.hash_type ?? "–"})`],
    ["size", `${formatSize(d.size)}${d.n_files !== null && d.n_files > 1 ? `, ${d.n_files} files` : ""}`],
    ...(d.kind ? [["kind", d.kind] as const] : []),
    ...(d.otype ? [["otype", d.otype] as const] : []),
    ...(d.n_observations !== null ? [["n_observations", String(d.n_observations)] as const] : []),
    ["path", d.path],
    ["created_at", d.created_at],
    ["created_by", d.created_by ?? "–"],
    ...(d.run ? [["run", `${d.run.uid} (${d.run.status}, ${d.run.started_at ?? "not started"})`] as const] : []),
    ...(d.transform ? [["transform", `${d.transform.key} v${d.transform.version} (${d.transform.kind}, ${d.transform.uid})`] as const] : []),
    ...(d.recreating_runs.length > 0
      ? [
          [
            "recreating_runs",
            `${d.recreating_runs.length} later run${d.recreating_runs.length === 1 ? "" : "s"} saved the same bytes`,
            d.recreating_runs.map((r): TreeRow => [r.uid, `${r.name ?? "run"} (${r.status}, ${r.started_at ?? "not started"})`])
          ] as const
        ]
      : []),
    ...dataRows(d.metadata ?? null, d.otype)
  ]
  const sections = [tree(`Artifact ${d.suffix || "(no suffix)"} · ${d.key ?? d.uid}`, rows)]
  // LaminDB's sections: "Linked features" (name, dtype, value), "Dataset features", "Labels" (.link, registry, names).
  const features = annotations.linked_features
  if (features.length > 0) {
    const w = Math.max(...features.map((f) => f.name.length))
    const t = Math.max(...features.map((f) => f.dtype.length))
    const rows = features.map((f): TreeRow => [`${f.name.padEnd(w)}  ${f.dtype.padEnd(t)}`, `${showValue(f.value)}${f.unit ? ` ${f.unit}` : ""}`])
    sections.push(tree("Linked features", rows, { colon: false }))
  }
  const shown = d.schemas.filter((s) => s.slot !== DATASET_SLOT)
  if (shown.length > 0) {
    const rows = shown.map((s): TreeRow => [
      `${s.slot} (${s.schema.name ?? s.schema.uid})`,
      s.features.length > 0
        ? s.features.map((f) => `${f.name} ${f.dtype}`).join(", ")
        : `${s.schema.itype ?? ""}${s.schema.dtype ? ` (${s.schema.dtype})` : ""}`
    ])
    sections.push(tree("Dataset features", rows, { colon: false }))
  }
  const labels = annotations.labels
  if (labels.length > 0) {
    const w = Math.max(...labels.map((g) => g.link.length + 1))
    const r = Math.max(...labels.map((g) => g.registry.length))
    sections.push(tree("Labels", labels.map((g): TreeRow => [`.${g.link}`.padEnd(w) + "  " + g.registry.padEnd(r), g.names.join(", ")]), { colon: false }))
  }
  return sections.join("\n")
}
