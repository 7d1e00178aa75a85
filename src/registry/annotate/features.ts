/**
 * Feature values on a record (artifact, run or record): `add` (LaminDB's `add_values`), `get`,
 * `remove`. Values are checked against each feature's dtype before anything is written —
 * unknown feature names fail listing the names that exist, categorical values are resolved
 * against their label registries (a missing label fails and says how to create it) — then
 * written in one transaction: the `_features` JSON (non-categorical values; a value added
 * again replaces the old one) and the label links carrying the feature (categorical values
 * accumulate, as labels do).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { InvalidArgument, ValidationError } from "../../errors.js"
import { decodeValue, encodeValue } from "../../schema/codec.js"
import type { Model } from "../../schema/model.js"
import { categoricalOf, checkScalar, inferDtype, type CatTarget } from "../feature/dtype.js"
import { resolveLabels, type LabelLinks, type LabelRef } from "../feature/labels.js"
import { featureNames, featuresByName, type FeatureDef } from "../feature/lookup.js"
import { readFeatureValues } from "../feature/pivot.js"
import { currentDialect } from "../../db/dialect.js"
import { sqlDialect } from "../../db/dialects/index.js"
import { lockFor } from "../locks.js"

/** A registry that carries feature values, and how it stores them. */
export interface Annotated {
  readonly model: Model
  readonly field: string
  readonly labelLinks: LabelLinks
}

/** Feature values as `add` takes them: feature name → value (a label name or record, or a list, for categorical features). */
export type FeatureValues = Readonly<Record<string, unknown>>

const show = (v: unknown): string => (v instanceof Date ? v.toISOString() : (JSON.stringify(v) ?? String(v)))

/** What one `add` writes, after validation. */
export interface PlannedFeatures {
  readonly json: Record<string, unknown>
  readonly links: ReadonlyArray<{ readonly feature: FeatureDef; readonly label: LabelRef }>
}

const createHint = (targets: ReadonlyArray<CatTarget>, names: ReadonlyArray<string>): string => {
  const t = targets[0]!
  const args = t.registry === "Record" && t.type !== undefined ? `, type: "${t.type}"` : ""
  return names.map((n) => `  yield* ${t.registry}.create({ name: ${JSON.stringify(n)}${args} })`).join("\n")
}

/**
 * Validate `values` against their features; nothing is written. `known`: the features already
 * read by name (a batch reads them once for all its records).
 */
export const planFeatureValues = (owner: Annotated, values: FeatureValues, known?: ReadonlyMap<string, FeatureDef>) =>
  Effect.gen(function* () {
    if (values === null || typeof values !== "object" || Array.isArray(values))
      return yield* new InvalidArgument({ message: `features.add takes an object of feature name → value, got ${show(values)}.` })
    const names = Object.keys(values)
    const features = known ?? (yield* featuresByName(names))
    const unknown = names.filter((n) => !features.has(n))
    if (unknown.length > 0) {
      const existing = yield* featureNames()
      return yield* new ValidationError({
        message: `These keys could not be validated: ${show(unknown)}\n${
          existing.length === 0 ? "No features exist yet." : `Existing features: ${existing.join(", ")}`
        }\nHere is how to create ${unknown.length === 1 ? "a feature" : "features"}:\n\n${unknown
          .map((n) => `  yield* Feature.create({ name: ${JSON.stringify(n)}, dtype: ${JSON.stringify(inferDtype(values[n]).replace("cat ? str", "str"))} })`)
          .join("\n")}`
      })
    }
    const json: Record<string, unknown> = {}
    const links: Array<{ readonly feature: FeatureDef; readonly label: LabelRef }> = []
    const notValidated: Record<string, ReadonlyArray<string>> = {}
    let hint = ""
    for (const name of names) {
      const feature = features.get(name)!
      const value = values[name]
      if (value === null || value === undefined) {
        if (!feature.nullable) return yield* new ValidationError({ message: `Feature '${name}' is not nullable: pass a ${feature.dtype} value.` })
        continue
      }
      const targets = categoricalOf(feature.parsed)
      if (targets !== undefined) {
        const list = Array.isArray(value) ? value : [value]
        const bad = list.find((v) => typeof v !== "string" && (v === null || typeof v !== "object"))
        if (bad !== undefined)
          return yield* new ValidationError({ message: `Expected dtype for '${name}' is '${feature.dtype}': pass label names or records, got ${show(bad)}.` })
        const { found, missing } = yield* resolveLabels(owner.model, owner.labelLinks, targets, list)
        if (missing.length > 0) {
          notValidated[name] = missing
          hint += `${createHint(targets, missing.filter((m) => !m.includes("'")))}\n`
        }
        for (const label of found) links.push({ feature, label })
        continue
      }
      const checked = yield* Effect.try({
        try: () => {
          if (feature.parsed._tag === "List") {
            const item = feature.parsed.item
            if (!Array.isArray(value) || item._tag !== "Scalar") throw new ValidationError({ message: `Expected dtype for '${name}' is '${feature.dtype}', got ${show(value)}.` })
            return value.map((v) => checkScalar(name, item.name, v, feature.coerce))
          }
          return checkScalar(name, (feature.parsed as { readonly name: Parameters<typeof checkScalar>[1] }).name, value, feature.coerce)
        },
        catch: (e) => (e instanceof ValidationError ? e : new ValidationError({ message: String(e) }))
      })
      json[feature.uid] = checked
    }
    if (Object.keys(notValidated).length > 0)
      return yield* new ValidationError({
        message: `These values could not be validated: ${show(notValidated)}\nHere is how to create them:\n\n${hint.trimEnd()}`
      })
    return { json, links } satisfies PlannedFeatures
  })

/**
 * Insert a link row unless it exists. `featureId`: the feature the label is a value of, `null`
 * for a plain label, `undefined` for link tables without a feature column.
 */
export const insertLink = (sql: SqlClient.SqlClient, table: string, selfColumn: string, otherColumn: string, selfId: number, otherId: number, featureId?: number | null) => {
  const withFeature = featureId !== undefined
  const featureValue = featureId === null || featureId === undefined ? sql`NULL` : sql`${featureId}`
  return sql`INSERT INTO ${sql(table)} (${sql(selfColumn)}, ${sql(otherColumn)}${withFeature ? sql`, feature_id` : sql``})
    SELECT ${selfId}, ${otherId}${withFeature ? sql`, ${featureValue}` : sql``} WHERE NOT EXISTS (
      SELECT 1 FROM ${sql(table)} WHERE ${sql(selfColumn)} = ${selfId} AND ${sql(otherColumn)} = ${otherId}
      ${!withFeature ? sql`` : featureId === null ? sql`AND feature_id IS NULL` : sql`AND feature_id = ${featureId}`})`
}

/** Records per multi-row statement: well under SQLite's and Postgres's bound-parameter limits. */
const CHUNK = 500

const chunks = <A>(items: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK))

/**
 * Write planned values for several records in the current transaction: per chunk of records,
 * one SELECT of their current JSON and one multi-row UPDATE (`CASE id WHEN … THEN …`), then
 * the label links. A missing record fails the whole batch.
 */
const writePlannedMany = (owner: Annotated, planned: ReadonlyArray<{ readonly id: number; readonly plan: PlannedFeatures }>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const jsonType = sqlDialect(yield* currentDialect).columnTypes.json
    // A record listed twice gets its values merged in order, as consecutive `add`s would.
    const merged = new Map<number, Record<string, unknown>>()
    for (const { id, plan } of planned) if (Object.keys(plan.json).length > 0) merged.set(id, { ...merged.get(id), ...plan.json })
    for (const ids of chunks([...merged.keys()])) {
      const rows = yield* sql<Record<string, unknown>>`SELECT id, ${sql(owner.field)} AS v FROM ${sql(owner.model.table)} WHERE ${sql.in("id", ids)}`
      const current = new Map(rows.map((r) => [Number(r.id), (decodeValue("json", r.v) as Record<string, unknown> | null) ?? {}]))
      const missing = ids.find((id) => !current.has(id))
      if (missing !== undefined) return yield* new InvalidArgument({ message: `No ${owner.model.name} with id ${missing}: save it before annotating it.` })
      const cases = ids.map((id) => sql`WHEN ${id} THEN CAST(${encodeValue("json", { ...current.get(id), ...merged.get(id) })} AS ${sql.literal(jsonType)})`)
      yield* sql`UPDATE ${sql(owner.model.table)} SET ${sql(owner.field)} = CASE id ${sql.join(" ", false)(cases)} END WHERE ${sql.in("id", ids)}`
    }
    for (const { id, plan } of planned) yield* writeLinks(owner, id, plan.links)
  })

/** Write planned values for record `id` in the current transaction. */
const writePlanned = (owner: Annotated, id: number, plan: PlannedFeatures) => writePlannedMany(owner, [{ id, plan }])

/** Insert the label links of categorical values (in the caller's transaction). */
const writeLinks = (owner: Annotated, id: number, links: PlannedFeatures["links"]) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const { feature, label } of links) {
      const link = owner.model.links[owner.labelLinks[label.registry]]!
      yield* insertLink(sql, link.table, link.selfColumn, link.otherColumn, id, label.id, feature.id)
    }
  })

/** Write the categorical values of a plan for a record just inserted with the JSON values in its row. */
export const writeFeatureLinks = (owner: Annotated, id: number, plan: PlannedFeatures) =>
  writeLinks(owner, id, plan.links).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Annotating a ${owner.model.name}`)(e))))

/** One record's values in a batch (`addFeatureValuesMany`). */
export interface FeatureBatchEntry {
  /** The record's id. */
  readonly id: number
  readonly values: FeatureValues
}

/**
 * Validate every entry, then write them all in one transaction (LaminDB's `add_values` for many
 * records at once): features are read once, the JSON values go in one multi-row UPDATE per 500
 * records. A bad value fails the whole batch naming its record; nothing is written then.
 */
export const addFeatureValuesMany = (owner: Annotated, entries: ReadonlyArray<FeatureBatchEntry>) =>
  Effect.gen(function* () {
    if (entries.length === 0) return
    const names = new Set<string>()
    for (const e of entries) if (e.values !== null && typeof e.values === "object" && !Array.isArray(e.values)) for (const n of Object.keys(e.values)) names.add(n)
    const known = yield* featuresByName([...names])
    const single = entries.length === 1
    const planned = yield* Effect.forEach(entries, (e) =>
      Effect.map(
        single ? planFeatureValues(owner, e.values, known) : Effect.mapError(planFeatureValues(owner, e.values, known), (err) => naming(owner, e.id, err)),
        (plan) => ({ id: e.id, plan })
      )
    )
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.gen(function* () {
        const locks = [...new Set(entries.map((e) => `lamina-features:${owner.model.table}:${e.id}`))].sort()
        for (const part of chunks(locks)) yield* lockFor(part)
        yield* writePlannedMany(owner, planned)
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Annotating a ${owner.model.name}`)(e))))

/** A batch entry's validation error, saying which record it is about. */
const naming = <E>(owner: Annotated, id: number, e: E): E | InvalidArgument | ValidationError =>
  e instanceof InvalidArgument
    ? new InvalidArgument({ message: `${owner.model.name} ${id}: ${e.message}` })
    : e instanceof ValidationError
      ? new ValidationError({ message: `${owner.model.name} ${id}: ${e.message}` })
      : e

/** Validate, then write `values` on record `id` of `owner` in one transaction. */
export const addFeatureValues = (owner: Annotated, id: number, values: FeatureValues) => addFeatureValuesMany(owner, [{ id, values }])

/** Write values already validated by `planFeatureValues`, inside the caller's transaction (creation with features). */
export const writeFeatureValues = (owner: Annotated, id: number, plan: PlannedFeatures) =>
  writePlanned(owner, id, plan).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Annotating a ${owner.model.name}`)(e))))

/** Feature name → value of record `id`: categorical values as label names (a list when several). */
export const getFeatureValues = (owner: Annotated, id: number) =>
  Effect.gen(function* () {
    const { json, labels, features } = yield* readFeatureValues(owner.model, owner, [id])
    const out: Record<string, unknown> = {}
    for (const f of features) {
      const names = labels.get(id)?.get(f.id)
      if (names !== undefined) out[f.name] = names.length === 1 && f.parsed._tag !== "List" ? names[0] : names
      else if (json.get(id)?.[f.uid] !== undefined) out[f.name] = json.get(id)![f.uid]
    }
    return out
  })

/** Remove the value(s) of feature `name` from record `id` (one transaction). */
export const removeFeatureValue = (owner: Annotated, id: number, name: string) =>
  Effect.gen(function* () {
    const feature = (yield* featuresByName([name])).get(name)
    if (feature === undefined) return yield* new InvalidArgument({ message: `No feature named '${name}'. Existing features: ${(yield* featureNames()).join(", ")}` })
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-features:${owner.model.table}:${id}`])
        const rows = yield* sql<Record<string, unknown>>`SELECT ${sql(owner.field)} AS v FROM ${sql(owner.model.table)} WHERE id = ${id}`
        const current = (decodeValue("json", rows[0]?.v) as Record<string, unknown> | null) ?? {}
        if (feature.uid in current) {
          const { [feature.uid]: _removed, ...rest } = current
          yield* sql`UPDATE ${sql(owner.model.table)} SET ${sql(owner.field)} = ${Object.keys(rest).length === 0 ? null : encodeValue("json", rest)} WHERE id = ${id}`
        }
        for (const linkName of new Set(Object.values(owner.labelLinks))) {
          const link = owner.model.links[linkName]!
          yield* sql`DELETE FROM ${sql(link.table)} WHERE ${sql(link.selfColumn)} = ${id} AND feature_id = ${feature.id}`
        }
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Removing a feature value of a ${owner.model.name}`)(e))))
