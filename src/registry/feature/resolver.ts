/**
 * Feature filters (LaminDB: a filter key whose root is not a field is a feature name), declared
 * as a key resolver on each registry that carries feature values:
 *
 * - a non-categorical feature compiles to its JSON key in the owner's `_features` field, so the
 *   side table answers it with typed comparisons (a stored 42 is not `< 5`; numbers in strings
 *   are cast for numeric features, as LaminDB casts); a `list[...]` feature matches when any
 *   element does;
 * - a categorical feature resolves the value against its label registries (`DoesNotExist`
 *   "Did not find a ULabel matching …" when nothing matches) and compiles to an `EXISTS` on the
 *   link table restricted to that feature.
 *
 * A root that is not a feature name is left to the compiler's unknown-key error ("You can
 * query either by available fields: … Or fix invalid feature names: …").
 *
 * @module
 */
import { Effect } from "effect"
import { sqlDialect } from "../../db/dialects/index.js"
import { column, ident, join, raw, sql, type Sql } from "../../db/sql.js"
import { DoesNotExist, InvalidArgument, StorageError } from "../../errors.js"
import { jsonCondition, parseJsonKey } from "../../query/jsonCondition.js"
import { canonicalPath } from "../../query/jsonpath.js"
import type { KeyResolver } from "../../schema/resolver.js"
import { rawCondition, rewrite } from "../../schema/resolver.js"
import type { Model } from "../../schema/model.js"
import { categoricalOf, type Dtype } from "./dtype.js"
import { labelModel, resolveLabels, type LabelLinks } from "./labels.js"
import { featuresByName, type FeatureDef } from "./lookup.js"

export { featureValuesExpansion } from "./pivot.js"
export type { FeatureFilterValue } from "./filterKeys.js"

/** Where a registry keeps feature values: its JSON field and its label links. */
export interface FeatureStorage {
  /** The JSON field holding non-categorical values by feature uid (`_features`). */
  readonly field: string
  readonly labelLinks: LabelLinks
}

const show = (v: unknown): string => (v instanceof Date ? v.toISOString() : (JSON.stringify(v) ?? String(v)))

/** A filter value as stored for `dtype`: numbers in strings become numbers for numeric features, dates ISO text. */
const storedForm = (feature: FeatureDef, dtype: Dtype, v: unknown, label: string): unknown => {
  if (Array.isArray(v)) return v.map((x) => storedForm(feature, dtype, x, label))
  if (v instanceof Date) return dtype._tag === "Scalar" && dtype.name === "date" ? v.toISOString().slice(0, 10) : v.toISOString()
  const scalar = dtype._tag === "List" ? dtype.item : dtype
  if (scalar._tag === "Scalar" && ["int", "float", "num"].includes(scalar.name) && typeof v === "string") {
    const n = Number(v.trim())
    if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgument({ message: `${label}: feature '${feature.name}' is numeric (${feature.dtype}), got ${show(v)}.` })
    return n
  }
  return v
}

const CAT_LOOKUPS = ["exact", "in", "isnull"] as const

/** The key resolver for features of a registry storing them as `storage` says. */
export const featureResolver = (storage: FeatureStorage): KeyResolver => ({
  name: "features",
  resolve: ({ model, parts, root, value, alias, dialect }) =>
    Effect.gen(function* () {
      const feature = (yield* featuresByName([root])).get(root)
      if (feature === undefined) return undefined
      const rest = parts.slice(1)
      const label = `${model.name}.filter(${parts.join("__")})`
      const targets = categoricalOf(feature.parsed)
      if (targets !== undefined) return rawCondition(yield* categoricalCondition(model, storage, feature, rest, value, alias, label))
      const stored = yield* Effect.try({ try: () => storedForm(feature, feature.parsed, value, label), catch: (e) => e as InvalidArgument })
      if (feature.parsed._tag === "List" && !(rest.length === 1 && rest[0] === "isnull"))
        return rawCondition(yield* listCondition(model, storage, feature, rest, stored, alias, dialect, label))
      return rewrite({ [[storage.field, feature.uid, ...rest].join("__")]: stored })
    }).pipe(Effect.catchTag("IntegrityError", (e) => Effect.fail(new StorageError({ message: e.message, cause: e }))))
})

/** Any element of a list feature matches (`genes: "TP53"`, `counts__gt: 3`). */
const listCondition = (model: Model, storage: FeatureStorage, feature: FeatureDef, rest: ReadonlyArray<string>, value: unknown, alias: string, dialect: "sqlite" | "pg", label: string) =>
  Effect.try({
    try: () => {
      const index = model.jsonIndexes[storage.field]
      if (index === undefined) throw new Error(`${model.name}.${storage.field} has no side table.`)
      const { lookup } = parseJsonKey(["_", ...rest])
      const p = `${alias}_fv`
      const prefix = canonicalPath([feature.uid])
      const cond = jsonCondition(sqlDialect(dialect), sqlDialect(dialect).sideView(p), lookup, value, label)
      // key paths of the elements: `$."uid"[0]`, `$."uid"[1]`, … — a range on the primary key.
      return sql`EXISTS (SELECT 1 FROM ${ident(index.table)} ${raw(p)} WHERE ${column(p, index.owner)} = ${column(alias, "id")} AND ${column(p, "key_path")} >= ${prefix + "["} AND ${column(p, "key_path")} < ${prefix + "\\"} AND ${cond})`
    },
    catch: (e) => {
      if (e instanceof InvalidArgument) return e
      throw e
    }
  })

/** A categorical feature: the owner links (for this feature) one of the resolved labels. */
const categoricalCondition = (model: Model, storage: FeatureStorage, feature: FeatureDef, rest: ReadonlyArray<string>, value: unknown, alias: string, label: string) =>
  Effect.gen(function* () {
    const lookup = rest.length === 0 ? "exact" : rest.join("__")
    if (!(CAT_LOOKUPS as ReadonlyArray<string>).includes(lookup))
      return yield* new InvalidArgument({ message: `${label}: a categorical feature takes ${CAT_LOOKUPS.join(", ")} (a label name, a list of names, or a label record); got '${lookup}'.` })
    const targets = categoricalOf(feature.parsed)!
    const links = [...new Set(targets.map((t) => t.registry))].map((registry) => {
      const link = model.links[storage.labelLinks[registry]]!
      return { registry, link }
    })
    const exists = (registry: string, ids: ReadonlyArray<number> | undefined): Sql => {
      const { link } = links.find((l) => l.registry === registry)!
      const l = `${alias}_fl`
      const only = ids === undefined ? sql`` : sql` AND ${column(l, link.otherColumn)} IN (${join(ids.map((id) => sql`${id}`), ", ")})`
      return sql`EXISTS (SELECT 1 FROM ${ident(link.table)} ${raw(l)} WHERE ${column(l, link.selfColumn)} = ${column(alias, "id")} AND ${column(l, "feature_id")} = ${feature.id}${only})`
    }
    if (lookup === "isnull") {
      if (typeof value !== "boolean") return yield* new InvalidArgument({ message: `${label} expects true or false, got ${show(value)}.` })
      const any = join(links.map((l) => exists(l.registry, undefined)), " OR ")
      return value ? sql`NOT (${any})` : sql`(${any})`
    }
    const values = lookup === "in" ? value : [value]
    if (!Array.isArray(values) || values.length === 0)
      return yield* new InvalidArgument({ message: `${label} expects ${lookup === "in" ? "a non-empty list of label names or records" : "a label name or record"}, got ${show(value)}.` })
    const { found, missing } = yield* resolveLabels(model, storage.labelLinks, targets, values)
    if (missing.length > 0) {
      const registries = [...new Set(targets.map((t) => (t.type === undefined ? t.registry : `${t.registry}[${t.type}]`)))].join(" or ")
      const what = missing.length === 1 ? `name=${show(missing[0])}` : `name__in=${show(missing)}`
      return yield* new DoesNotExist({ registry: labelModel(model, storage.labelLinks, targets[0]!.registry).name, message: `Did not find a ${registries} matching ${what} (feature '${feature.name}').` })
    }
    const parts = links.map((l) => {
      const ids = found.filter((f) => f.registry === l.registry).map((f) => f.id)
      return ids.length === 0 ? raw("") : exists(l.registry, ids)
    })
    return sql`(${join(parts, " OR ")})`
  })
