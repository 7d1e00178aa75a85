/**
 * `toTable({ include: ["features"] })`: feature values pivoted into one column per feature
 * (LaminDB's `to_dataframe(include="features")`), in feature creation order. Numeric, boolean
 * and text features keep their types; `list[...]` features and categorical features with
 * several labels on one record become list columns.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { StorageError } from "../../errors.js"
import { decodeValue } from "../../schema/codec.js"
import type { FieldType } from "../../schema/field.js"
import type { ExpandedColumn, Model, TableExpansion } from "../../schema/model.js"
import type { Dtype } from "./dtype.js"
import type { LabelLinks } from "./labels.js"
import { featuresById, featuresByUid, type FeatureDef } from "./lookup.js"

/** Feature values of a page of records: non-categorical by feature uid, categorical label names by feature id. */
export interface FeatureValuesOf {
  readonly json: ReadonlyMap<number, Readonly<Record<string, unknown>>>
  readonly labels: ReadonlyMap<number, ReadonlyMap<number, ReadonlyArray<string>>>
  readonly features: ReadonlyArray<FeatureDef>
}

const CHUNK = 500

/** Read the feature values of the records `ids` of `model`. */
export const readFeatureValues = (model: Model, storage: { readonly field: string; readonly labelLinks: LabelLinks }, ids: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const json = new Map<number, Record<string, unknown>>()
    const labels = new Map<number, Map<number, Array<string>>>()
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK)
      const rows = yield* sql<Record<string, unknown>>`SELECT id, ${sql(storage.field)} AS v FROM ${sql(model.table)} WHERE ${sql.in("id", chunk)} AND ${sql(storage.field)} IS NOT NULL`
      for (const r of rows) json.set(Number(r.id), decodeValue("json", r.v) as Record<string, unknown>)
      for (const linkName of new Set(Object.values(storage.labelLinks))) {
        const link = model.links[linkName]!
        const target = link.target()
        const linked = yield* sql<{ readonly owner: number; readonly feature_id: number; readonly name: string }>`SELECT l.${sql(link.selfColumn)} AS owner, l.feature_id, t.name
          FROM ${sql(link.table)} l JOIN ${sql(target.table)} t ON t.id = l.${sql(link.otherColumn)}
          WHERE ${sql.in(`l.${link.selfColumn}`, chunk)} AND l.feature_id IS NOT NULL ORDER BY l.id`
        for (const r of linked) {
          const owner = Number(r.owner)
          const byFeature = labels.get(owner) ?? new Map<number, Array<string>>()
          const list = byFeature.get(Number(r.feature_id)) ?? []
          list.push(r.name)
          byFeature.set(Number(r.feature_id), list)
          labels.set(owner, byFeature)
        }
      }
    }
    const uids = [...new Set([...json.values()].flatMap((o) => Object.keys(o)))]
    const featureIds = [...new Set([...labels.values()].flatMap((m) => [...m.keys()]))]
    const byUid = yield* featuresByUid(uids)
    const byId = yield* featuresById(featureIds)
    const features = [...new Map([...byUid.values(), ...byId.values()].map((f) => [f.id, f])).values()].sort((a, b) => a.id - b.id)
    return { json, labels, features } satisfies FeatureValuesOf
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Reading feature values of ${model.name} records`)(e))))

const columnType = (d: Dtype): FieldType => {
  if (d._tag === "List") return columnType(d.item)
  if (d._tag === "Cat") return "str"
  switch (d.name) {
    case "int":
      return "int"
    case "float":
    case "num":
      return "float"
    case "bool":
      return "bool"
    case "dict":
      return "json"
    default:
      return "str"
  }
}

/** The declared `features` expansion of a registry storing feature values as `storage` says. */
export const featureValuesExpansion = (storage: { readonly field: string; readonly labelLinks: LabelLinks }): TableExpansion => ({
  columns: (model, ids) =>
    Effect.gen(function* () {
      const { json, labels, features } = yield* readFeatureValues(model, storage, ids)
      return features.map((f): ExpandedColumn => {
        if (f.parsed._tag === "Cat" || (f.parsed._tag === "List" && f.parsed.item._tag === "Cat")) {
          const values = ids.map((id) => labels.get(id)?.get(f.id) ?? null)
          const list = f.parsed._tag === "List" || values.some((v) => v !== null && v.length > 1)
          return { name: f.name, type: "str", list, values: list ? values : values.map((v) => v?.[0] ?? null) }
        }
        return { name: f.name, type: columnType(f.parsed), list: f.parsed._tag === "List", values: ids.map((id) => json.get(id)?.[f.uid] ?? null) }
      })
    }).pipe(Effect.catchTag("IntegrityError", (e) => Effect.fail(new StorageError({ message: e.message, cause: e }))))
})
