/**
 * Schema registry (LaminDB's Schema): which features a dataset has — ordered members, optional
 * ones, an index feature — and how strictly it is checked (`minimal_set`, `maximal_set`,
 * `ordered_set`, `flexible`, `coerce`), or, with a registry-field `itype`, which registry the
 * index values must be in; composite schemas hold one schema per slot (`obs`, `var`).
 *
 * ```ts
 * const schema = yield* Schema.create({ name: "My DataFrame schema", features: ["ENSG00000153563", "perturbation"] })
 * const again = yield* Schema.create({ name: "My DataFrame schema", features: ["ENSG00000153563", "perturbation"] }) // same record
 * const anndata = yield* Schema.create({ otype: "AnnData", components: { obs: obsSchema, var: varSchema } })
 * ```
 *
 * A definition is identified by LaminDB's schema hash: creating the same definition again
 * returns the existing schema and logs `returning existing schema with same hash`. The
 * built-in `valid_features` schema accepts any column that is a feature.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { DoesNotExist, InvalidArgument } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { registryAccess } from "./access.js"
import { SchemaModel } from "./catalog.js"
import { insertRow, now, sqlFailure } from "./crud.js"
import { parseDtype, dtypeText } from "./feature/dtype.js"
import { featuresByName, type FeatureDef } from "./feature/lookup.js"
import { lockFor } from "./locks.js"
import { encodeValue, type RecordOf, type Row } from "./model.js"
import { brandRecord, recordModelOf } from "./recordRef.js"
import { flexibleDefault, schemaHash } from "./schema/hash.js"
import { itypeText, parseItype } from "./schema/itype.js"
import { base62, UID_LENGTH } from "./uid.js"

export { SchemaModel } from "./catalog.js"

/** A schema record. */
export type Schema = RecordOf<typeof SchemaModel>

/** A feature by name, or a saved Feature record. */
export type FeatureRef = string | { readonly id: number; readonly uid: string; readonly name: string }

/** A member: a feature, optionally marked optional (it may be absent from a dataset). */
export type MemberRef = FeatureRef | { readonly feature: FeatureRef; readonly optional?: boolean }

/** What `Schema.create` takes (LaminDB's fields). */
export interface SchemaOptions {
  readonly name?: string
  readonly description?: string
  /** Member features in order (names or records); `{ feature, optional: true }` for optional ones. */
  readonly features?: ReadonlyArray<MemberRef>
  /** Names of members that may be absent (LaminDB's `optionals`). */
  readonly optionals?: ReadonlyArray<string>
  /** `Feature` (default when there are features) or a registry field: `Record[Gene].name`, `ULabel.name`. */
  readonly itype?: string
  /** `DataFrame`, `AnnData`. */
  readonly otype?: string
  /** The dtype of every value, for schemas whose members are not features (`int` for a var slot of counts). */
  readonly dtype?: string
  /** Every member must be present (default true). */
  readonly minimal_set?: boolean
  /** No column beyond the members (default false). */
  readonly maximal_set?: boolean
  /** Columns in member order (default false). */
  readonly ordered_set?: boolean
  /** Columns that are features but not members are validated too (default: true when there are no members and no index, as in LaminDB). */
  readonly flexible?: boolean
  /** Convert values to the feature dtypes where possible instead of failing (default false). */
  readonly coerce?: boolean
  /** The index feature (the values of a table's index). */
  readonly index?: FeatureRef
  /** Slots of a composite schema: `{ obs: obsSchema, var: varSchema }`. */
  readonly components?: Readonly<Record<string, Schema>>
}

/** LaminDB's name for the schema that validates whatever columns are features. */
export const VALID_FEATURES = "valid_features"

/** A schema decoded from a row, branded as a `Schema` record. */
export const decodeSchema = (row: Row): Schema => brandRecord(row as unknown as Schema, "Schema")

const access = registryAccess(SchemaModel, decodeSchema, UID_LENGTH.schema)

const featureName = (r: FeatureRef): string => (typeof r === "string" ? r : r.name)

/** Features for `refs` by name; a missing one fails with how to create it. */
const resolveFeatures = (refs: ReadonlyArray<FeatureRef>) =>
  Effect.gen(function* () {
    const names = refs.map(featureName)
    const found = yield* featuresByName(names)
    const missing = names.filter((n) => !found.has(n))
    if (missing.length > 0)
      return yield* new InvalidArgument({
        message: `Schema members must be saved features; not found: ${missing.map((m) => `'${m}'`).join(", ")}. Create them first, e.g. Feature.create({ name: "${missing[0]}", dtype: "str" }).`
      })
    return names.map((n) => found.get(n)!)
  })

const isObject = (v: unknown): v is object => typeof v === "object" && v !== null

/** A feature name or a Feature record (by its name). */
const isFeatureRef = (v: unknown): boolean => (typeof v === "string" ? v.trim() !== "" : isObject(v) && "name" in v && typeof v.name === "string")

const checkOptions = (o: SchemaOptions): Effect.Effect<void, InvalidArgument> => {
  if (o === null || typeof o !== "object") return Effect.fail(new InvalidArgument({ message: "Schema.create takes an options object, e.g. { name, features: [...] }." }))
  if (o.name !== undefined && (typeof o.name !== "string" || o.name.trim() === ""))
    return Effect.fail(new InvalidArgument({ message: `A schema name must be a non-empty string, got ${JSON.stringify(o.name)}.` }))
  if (o.features !== undefined && !Array.isArray(o.features)) return Effect.fail(new InvalidArgument({ message: "features must be an array of feature names or records." }))
  // JavaScript callers can pass anything: a null member would reach the name lookup as a TypeError.
  const members: ReadonlyArray<unknown> = o.features ?? []
  const bad = members.findIndex((m) => !isFeatureRef(m) && !(isObject(m) && "feature" in m && isFeatureRef(m.feature)))
  if (bad !== -1)
    return Effect.fail(
      new InvalidArgument({ message: `features[${bad}] must be a feature name, a Feature record or { feature, optional }, got ${JSON.stringify(members[bad]) ?? String(members[bad])}.` })
    )
  if (o.components !== undefined) {
    for (const [slot, c] of Object.entries(o.components))
      if (c === null || typeof c !== "object" || recordModelOf(c) !== "Schema")
        return Effect.fail(new InvalidArgument({ message: `Component '${slot}' must be a saved Schema record (Schema.create(...)).` }))
    if (o.features !== undefined && o.features.length > 0)
      return Effect.fail(new InvalidArgument({ message: "A composite schema has components (slots) or features, not both: put the features in a component schema." }))
  }
  return Effect.void
}

const create = (options: SchemaOptions) =>
  Effect.gen(function* () {
    yield* checkOptions(options)
    const refs = (options.features ?? []).map((m) => (typeof m === "object" && m !== null && "feature" in m ? m : { feature: m, optional: false }))
    const memberDefs = yield* resolveFeatures(refs.map((r) => r.feature))
    const seen = new Set<string>()
    for (const f of memberDefs) {
      if (seen.has(f.name)) return yield* new InvalidArgument({ message: `Feature '${f.name}' is listed twice in the schema's features.` })
      seen.add(f.name)
    }
    for (const n of options.optionals ?? [])
      if (!seen.has(n)) return yield* new InvalidArgument({ message: `Optional '${n}' is not among the schema's features: list it in features too.` })
    const optional = memberDefs.map((f, i) => refs[i]!.optional === true || (options.optionals ?? []).includes(f.name))
    const index = options.index === undefined ? null : (yield* resolveFeatures([options.index]))[0]!
    const itype = yield* Effect.try({
      try: () => (options.itype !== undefined ? itypeText(parseItype(options.itype)) : memberDefs.length > 0 || options.components === undefined ? "Feature" : null),
      catch: (e) => e as InvalidArgument
    })
    const dtype = options.dtype === undefined ? null : yield* Effect.try({ try: () => dtypeText(parseDtype(options.dtype!)), catch: (e) => e as InvalidArgument })
    const components = Object.entries(options.components ?? {})
    const values = {
      name: options.name ?? null,
      description: options.description ?? null,
      itype,
      otype: options.otype ?? null,
      dtype,
      n_members: memberDefs.length > 0 ? memberDefs.length : null,
      minimal_set: options.minimal_set ?? true,
      maximal_set: options.maximal_set ?? false,
      ordered_set: options.ordered_set ?? false,
      // LaminDB: flexible unless the schema lists features (an index counts), composites included.
      flexible: options.flexible ?? flexibleDefault(memberDefs.length, index !== null),
      coerce: options.coerce ?? false,
      index_feature_id: index?.id ?? null
    }
    const hash = schemaHash({
      ...values,
      memberUids: memberDefs.map((f) => f.uid),
      optionalUids: memberDefs.filter((_, i) => optional[i]).map((f) => f.uid),
      indexUid: index?.uid ?? null,
      slots: Object.fromEntries(components.map(([slot, c]) => [slot, c.hash]))
    })
    return yield* saveDefinition(values, hash, memberDefs, optional, components)
  })

const saveDefinition = (
  values: Row,
  hash: string,
  members: ReadonlyArray<FeatureDef>,
  optional: ReadonlyArray<boolean>,
  components: ReadonlyArray<readonly [string, Schema]>
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const instance = yield* Instance
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-schema:${hash}`])
        const existing = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_schema WHERE hash = ${hash} AND branch = 1 ORDER BY id LIMIT 1`
        if (existing[0] !== undefined) {
          yield* Effect.logInfo("returning existing schema with same hash")
          return decodeSchema(yield* access.get(String(existing[0].uid)))
        }
        const t = now()
        const row = yield* insertRow(SchemaModel, {
          uid: base62(UID_LENGTH.schema),
          ...values,
          hash,
          updated_at: t,
          created_at: t,
          created_by_id: instance.user.id,
          branch: 1,
          is_locked: false
        })
        const id = Number(row.id)
        for (const [i, f] of members.entries())
          yield* sql`INSERT INTO lamina_schema_feature (schema_id, feature_id, position, optional) VALUES (${id}, ${f.id}, ${i}, ${encodeValue("bool", optional[i] === true)})`
        for (const [slot, c] of components) yield* sql`INSERT INTO lamina_schema_component (composite_id, component_id, slot) VALUES (${id}, ${c.id}, ${slot})`
        return decodeSchema(row)
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving a Schema")(e))))

/** The built-in `valid_features` schema (created on first use): any column that is a feature is validated. */
const validFeatures = create({ name: VALID_FEATURES, itype: "Feature", flexible: true, description: "Validates every column that is a saved feature." })

/**
 * A schema by record, uid or name (the newest live schema of that name); `"valid_features"` is
 * created on first use. `DoesNotExist` says how to create a missing one.
 */
const resolve = (ref: Schema | string) =>
  Effect.gen(function* () {
    if (typeof ref !== "string") {
      if (ref === null || typeof ref !== "object" || recordModelOf(ref) !== "Schema")
        return yield* new InvalidArgument({ message: "Pass a schema as a Schema record (Schema.create(...)), its uid or its name." })
      return ref
    }
    if (ref === VALID_FEATURES) return yield* validFeatures
    const byName = yield* access.filter({ name: ref }).orderBy("-id").first()
    if (byName !== undefined) return byName
    if (ref.length === UID_LENGTH.schema) {
      const byUid = yield* access.filter({ uid: ref }).first()
      if (byUid !== undefined) return byUid
    }
    return yield* new DoesNotExist({
      registry: "Schema",
      message: `No schema named '${ref}'. Create it with Schema.create({ name: "${ref}", features: [...] }) or \`lamina schema create ${ref} --feature name:dtype\`.`
    })
  })

/**
 * The Schema registry: `Schema.create(options)` (the existing schema for the same definition),
 * `Schema.resolve(recordOrName)`, `filter`, `get`, `search`.
 */
export const Schema = {
  ...access,
  /** A schema for this definition: the existing one when its hash exists (logs `returning existing schema with same hash`). */
  create,
  /** A schema by record, uid or name; `"valid_features"` is built in. */
  resolve,
  /** The built-in `valid_features` schema. */
  validFeatures
}
