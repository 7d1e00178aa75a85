/**
 * Labels, projects and references on a record: `labels.add(ulabel | record)` (optionally as
 * the value of a categorical feature), `projects.add(project)`, `references.add(reference)`,
 * and reading them back. Records of the wrong registry are a typed error naming them; each
 * call writes in one transaction and is idempotent.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { InvalidArgument, ValidationError } from "../../errors.js"
import { decodeRow } from "../../schema/codec.js"
import type { Model } from "../../schema/model.js"
import { categoricalOf, LABEL_REGISTRIES, type LabelRegistry } from "../feature/dtype.js"
import { resolveLabels } from "../feature/labels.js"
import { featuresByName } from "../feature/lookup.js"
import { brandRecord, recordModelOf } from "../recordRef.js"
import { insertLink, type Annotated } from "./features.js"

/** A saved record of some registry (decoded rows of ULabel, Record, Project, Reference are branded). */
export interface SavedRecord {
  readonly id: number
  readonly uid: string
  readonly name?: string | null
}

const asList = <A>(v: A | ReadonlyArray<A>): ReadonlyArray<A> => (Array.isArray(v) ? (v as ReadonlyArray<A>) : [v as A])

const nameOf = (r: SavedRecord): string => `'${r.name ?? r.uid}'`

/**
 * Link labels (ULabel or Record records) to record `id` of `owner`; with `feature`, as values
 * of that categorical feature (its dtype must admit them).
 */
export const addLabels = (owner: Annotated, id: number, labels: SavedRecord | ReadonlyArray<SavedRecord>, options: { readonly feature?: string } = {}) =>
  Effect.gen(function* () {
    const list = asList(labels)
    for (const l of list) {
      const registry = l === null || typeof l !== "object" ? undefined : recordModelOf(l)
      if (registry === undefined || !(LABEL_REGISTRIES as ReadonlyArray<string>).includes(registry) || typeof l.id !== "number")
        return yield* new InvalidArgument({ message: `labels.add takes saved ULabel or Record records, got ${registry ?? JSON.stringify(l)}${registry ? ` ${nameOf(l)}` : ""}.` })
    }
    let featureId: number | null = null
    if (options.feature !== undefined) {
      const feature = (yield* featuresByName([options.feature])).get(options.feature)
      if (feature === undefined) return yield* new InvalidArgument({ message: `No feature named '${options.feature}': create it with Feature.create({ name: "${options.feature}", dtype: "cat[ULabel]" }).` })
      const targets = categoricalOf(feature.parsed)
      if (targets === undefined) return yield* new ValidationError({ message: `Feature '${feature.name}' has dtype ${feature.dtype}: labels are values of categorical (cat[...]) features only.` })
      const { missing } = yield* resolveLabels(owner.model, owner.labelLinks, targets, list)
      if (missing.length > 0) return yield* new ValidationError({ message: `Feature '${feature.name}' (${feature.dtype}) does not accept ${missing.join(", ")}.` })
      featureId = feature.id
    }
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.forEach(list, (l) => {
        const link = owner.model.links[owner.labelLinks[recordModelOf(l) as LabelRegistry]]!
        return insertLink(sql, link.table, link.selfColumn, link.otherColumn, id, l.id, featureId)
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Labeling a ${owner.model.name}`)(e))))

/** The labels of record `id`, by registry (plain labels and feature values alike). */
export const getLabels = (owner: Annotated, id: number) =>
  Effect.gen(function* () {
    const out: Record<string, ReadonlyArray<Record<string, unknown>>> = {}
    for (const registry of LABEL_REGISTRIES) out[registry] = yield* linkedRecords(owner.model, owner.labelLinks[registry], id)
    return out as unknown as { readonly ULabel: ReadonlyArray<SavedRecord>; readonly Record: ReadonlyArray<SavedRecord> }
  })

/** The records linked to record `id` through `model.links[linkName]`, branded, oldest link first. */
export const linkedRecords = (model: Model, linkName: string, id: number) =>
  Effect.gen(function* () {
    const link = model.links[linkName]!
    const target = link.target()
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT DISTINCT t.* FROM ${sql(target.table)} t JOIN ${sql(link.table)} l ON l.${sql(link.otherColumn)} = t.id
      WHERE l.${sql(link.selfColumn)} = ${id} ORDER BY t.id`
    return rows.map((r) => brandRecord(decodeRow(target, r), target.name) as unknown as SavedRecord & Record<string, unknown>)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Reading ${model.name}.${linkName}`)(e))))

/** Link saved records of the link's registry (projects, references) to record `id` of `model`. */
export const addLinked = (model: Model, linkName: string, id: number, records: SavedRecord | ReadonlyArray<SavedRecord>) =>
  Effect.gen(function* () {
    const link = model.links[linkName]!
    const expected = link.target().name
    const list = asList(records)
    for (const r of list)
      if (r === null || typeof r !== "object" || recordModelOf(r) !== expected || typeof r.id !== "number")
        return yield* new InvalidArgument({
          message: `${linkName}.add takes saved ${expected} records, got ${r !== null && typeof r === "object" ? `${recordModelOf(r) ?? "an object"} ${nameOf(r)}` : JSON.stringify(r)}.`
        })
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(Effect.forEach(list, (r) => insertLink(sql, link.table, link.selfColumn, link.otherColumn, id, r.id)))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Linking ${model.name}.${linkName}`)(e))))

/** Unlink records from record `id` of `model` (labels: also their feature values). */
export const removeLinked = (model: Model, linkName: string, id: number, records: SavedRecord | ReadonlyArray<SavedRecord>) =>
  Effect.gen(function* () {
    const link = model.links[linkName]!
    const sql = yield* SqlClient.SqlClient
    const ids = asList(records).map((r) => r.id)
    if (ids.length === 0) return
    yield* sql`DELETE FROM ${sql(link.table)} WHERE ${sql(link.selfColumn)} = ${id} AND ${sql.in(link.otherColumn, ids)}`
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Unlinking ${model.name}.${linkName}`)(e))))
