/**
 * `/api/annotations`: what the Artifacts page's feature and label pickers offer — the features
 * (name, dtype, unit, the lookups a filter on them takes, label names for categorical ones) and
 * the labels (ULabels and Records, not types) with the filter key each one goes under. The
 * pickers build filters in the CLI's `--filter` language (`temperature__gt=20`,
 * `ulabels__name=DMSO`), so `/api/artifacts` answers them like any other filter.
 *
 * @module
 */
import { Effect } from "effect"
import { Feature, Record, ULabel } from "../../index.js"
import { categoricalOf, parseDtype } from "../../registry/feature/dtype.js"
import { intParam } from "../http.js"
import type { Annotations, FeatureChoice, LabelChoice } from "./types.js"

const ORDERED = ["exact", "gt", "gte", "lt", "lte", "isnull"]

/** The lookups a feature filter takes, by dtype (see registry/feature/resolver.ts). */
const lookupsOf = (dtype: string): ReadonlyArray<string> => {
  const parsed = parseDtype(dtype)
  if (categoricalOf(parsed) !== undefined) return ["exact", "in", "isnull"]
  const base = parsed._tag === "List" ? parsed.item : parsed
  const name = base._tag === "Scalar" ? base.name : "str"
  if (name === "int" || name === "float" || name === "num" || name === "date" || name === "datetime") return ORDERED
  if (name === "bool") return ["exact", "isnull"]
  return ["exact", "iexact", "contains", "icontains", "startswith", "endswith", "isnull"]
}

/** Features and labels for the pickers; `limit` caps each list (alphabetical). */
export const annotationChoices = (params: URLSearchParams) =>
  Effect.gen(function* () {
    const limit = yield* intParam(params, "limit", 500, 1, 5000)
    const [features, ulabels, records] = yield* Effect.all([
      Feature.filter({ is_type: false }).orderBy("name").slice(0, limit + 1).toArray(),
      ULabel.filter({ is_type: false }).orderBy("name").slice(0, limit + 1).toArray(),
      Record.filter({ is_type: false }).orderBy("name").slice(0, limit + 1).toArray()
    ])
    const labels: Array<LabelChoice> = [
      ...ulabels.slice(0, limit).map((l) => ({ name: l.name, registry: "ULabel" as const, filter: "ulabels__name" })),
      ...records.slice(0, limit).flatMap((r) => (r.name === null ? [] : [{ name: r.name, registry: "Record" as const, filter: "records__name" }]))
    ]
    const choices: Array<FeatureChoice> = features.slice(0, limit).map((f) => {
      const targets = categoricalOf(parseDtype(f.dtype ?? "str"))
      const registries = new Set(targets?.map((t) => t.registry) ?? [])
      return {
        name: f.name,
        dtype: f.dtype ?? "str",
        unit: f.unit ?? null,
        lookups: lookupsOf(f.dtype ?? "str"),
        values: targets === undefined ? [] : labels.filter((l) => registries.has(l.registry)).map((l) => l.name)
      }
    })
    return { features: choices, labels, truncated: features.length > limit || ulabels.length > limit || records.length > limit } satisfies Annotations
  })
