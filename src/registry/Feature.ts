/**
 * Feature registry: named, typed dimensions of data that artifacts, runs and records carry
 * values for (`artifact.features.add({ temperature: 21.6 })`).
 *
 * LaminDB's rules: creating a feature whose name exists with the same dtype returns the
 * existing one; with another dtype it fails. The dtype is validated and stored canonically
 * (`cat[ULabel|Record[Sample]]`); a `Record[<type>]` must name an existing Record type.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { registryAccess } from "./access.js"
import { FeatureModel, RecordRegistryModel } from "./catalog.js"
import { dtypeText, parseDtype, categoricalOf } from "./feature/dtype.js"
import { checkName, findOrCreateNamed, typeIdOf, type TypeRef } from "./named.js"
import { brandRecord } from "./recordRef.js"
import type { RecordOf, Row } from "./model.js"
import { UID_LENGTH } from "./uid.js"

export { FeatureModel } from "./catalog.js"

/** A feature record. */
export type Feature = RecordOf<typeof FeatureModel>

/** What `Feature.create` takes (LaminDB's fields). */
export interface FeatureOptions {
  readonly name: string
  /** `int`, `float`, `num`, `str`, `bool`, `date`, `datetime`, `dict`, `path`, `url`, `list[…]`, `cat[…]`; omitted for a feature type. */
  readonly dtype?: string
  /** A feature type (a Feature with `is_type: true`), by record or name. */
  readonly type?: TypeRef
  /** This record is a type grouping other features. */
  readonly is_type?: boolean
  readonly unit?: string
  readonly description?: string
  readonly synonyms?: ReadonlyArray<string>
  readonly default_value?: unknown
  /** Values may be null (default true). */
  readonly nullable?: boolean
  /** Accept numbers in strings and date strings, converting them (default false). */
  readonly coerce?: boolean
}

/** A feature decoded from a row, branded as a `Feature` record. */
export const decodeFeature = (row: Row): Feature => brandRecord(row as unknown as Feature, "Feature")

const access = registryAccess(FeatureModel, decodeFeature, UID_LENGTH.feature)

const create = (options: FeatureOptions) =>
  Effect.gen(function* () {
    const name = yield* checkName(FeatureModel, options?.name)
    const isType = options.is_type === true
    if (isType && options.dtype !== undefined)
      return yield* new InvalidArgument({ message: `Feature type '${name}' takes no dtype: a type groups features, which carry the dtypes.` })
    if (!isType && (typeof options.dtype !== "string" || options.dtype.trim() === ""))
      return yield* new InvalidArgument({ message: `Feature '${name}' needs a dtype, e.g. Feature.create({ name: "${name}", dtype: "float" }).` })
    const dtype = isType ? null : yield* Effect.try({ try: () => dtypeText(parseDtype(options.dtype!)), catch: (e) => e as InvalidArgument })
    for (const target of (dtype === null ? undefined : categoricalOf(parseDtype(dtype))) ?? [])
      if (target.type !== undefined && target.registry === "Record") yield* typeIdOf(RecordRegistryModel, target.type)
    const typeId = yield* typeIdOf(FeatureModel, options.type)
    const { record } = yield* findOrCreateNamed(
      FeatureModel,
      UID_LENGTH.feature,
      name,
      typeId,
      {
        dtype,
        is_type: isType,
        unit: options.unit ?? null,
        description: options.description ?? null,
        synonyms: options.synonyms === undefined ? null : options.synonyms.join("|"),
        default_value: options.default_value ?? null,
        nullable: options.nullable ?? true,
        coerce: options.coerce ?? false
      },
      (existing) =>
        existing.dtype !== dtype ? `Feature ${name} already exists with dtype ${String(existing.dtype)}, you passed ${String(dtype)}` : undefined
    )
    return decodeFeature(record)
  })

/**
 * The Feature registry: `Feature.create({ name, dtype })`, `Feature.filter({...})`,
 * `Feature.get(uid | { name })`, `Feature.search(text)`.
 */
export const Feature = {
  ...access,
  /** A feature by name and dtype: the existing one if the name exists with this dtype (`ValidationError` if with another). */
  create
}
