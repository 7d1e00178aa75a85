/**
 * What `describe` shows of a record's annotations, as LaminDB's `describe()` does: the
 * "Linked features" section (each feature with its dtype and value) and the "Labels" section
 * (the linked ULabels, Records, Projects and References by link name).
 *
 * @module
 */
import { Effect } from "effect"
import { readFeatureValues } from "../feature/pivot.js"
import type { Annotated } from "./features.js"
import { linkedRecords } from "./links.js"

/** One linked feature: name, dtype, unit and value (categorical values as label names). */
export interface LinkedFeature {
  readonly name: string
  readonly dtype: string
  readonly unit: string | null
  readonly value: unknown
}

/** A group of linked records in the "Labels" section. */
export interface LabelGroup {
  /** The link name (`ulabels`, `records`, `projects`, `references`). */
  readonly link: string
  /** The linked registry. */
  readonly registry: string
  readonly names: ReadonlyArray<string>
}

/** The annotation sections of a record's description. */
export interface AnnotationSummary {
  readonly linked_features: ReadonlyArray<LinkedFeature>
  readonly labels: ReadonlyArray<LabelGroup>
}

/** The links shown under "Labels", in LaminDB's order, when the registry has them. */
const LABEL_LINKS = ["ulabels", "records", "linked_records", "projects", "references"] as const

/** The "Linked features" and "Labels" sections of record `id` of `owner`. */
export const describeAnnotations = (owner: Annotated, id: number) =>
  Effect.gen(function* () {
    const { json, labels, features } = yield* readFeatureValues(owner.model, owner, [id])
    const linked_features = features
      .map((f): LinkedFeature => {
        const names = labels.get(id)?.get(f.id)
        const value = names !== undefined ? (names.length === 1 && f.parsed._tag !== "List" ? names[0] : names) : json.get(id)?.[f.uid]
        return { name: f.name, dtype: f.dtype, unit: f.unit, value }
      })
      .filter((f) => f.value !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name))
    const groups: Array<LabelGroup> = []
    for (const link of LABEL_LINKS) {
      if (owner.model.links[link] === undefined) continue
      const records = yield* linkedRecords(owner.model, link, id)
      if (records.length > 0)
        groups.push({ link, registry: owner.model.links[link]!.target().name, names: records.map((r) => String(r.name ?? r.uid)) })
    }
    return { linked_features, labels: groups } satisfies AnnotationSummary
  })

/** A value as describe prints it. */
export const showValue = (v: unknown): string =>
  Array.isArray(v) ? v.map(showValue).join(", ") : typeof v === "string" ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v)
