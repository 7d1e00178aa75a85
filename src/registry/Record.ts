/**
 * Record registry: LaminDB's flexible records. A record type (`is_type: true`, e.g. "Sample")
 * groups records ("P53mutant1", …) that carry typed values per feature, labels, parents and
 * children, and link to projects and references:
 *
 * ```ts
 * const sample = yield* Record.create({ name: "Sample", is_type: true })
 * const p53 = yield* Record.create({ name: "P53mutant1", type: sample, features: { gc_content: 0.55 } })
 * yield* Record.annotations(p53).features.get()     // { gc_content: 0.55 }
 * yield* Record.search("p53").toArray()
 * ```
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "./crud.js"
import { registryAccess } from "./access.js"
import { annotationsOf } from "./annotate/manager.js"
import { planFeatureValues, writeFeatureValues, type FeatureValues } from "./annotate/features.js"
import { RecordRegistryModel } from "./catalog.js"
import { RecordFeatures } from "./declarations/record.js"
import { addParents, checkName, findOrCreateNamed, typeIdOf, type TypeRef } from "./named.js"
import { brandRecord } from "./recordRef.js"
import type { RecordOf, Row } from "./model.js"
import { UID_LENGTH } from "./uid.js"

export { RecordRegistryModel } from "./catalog.js"

/** A record of the Record registry. */
export type LaminaRecord = RecordOf<typeof RecordRegistryModel>

/** What `Record.create` takes. */
export interface RecordOptions {
  readonly name: string
  /** A record type (a Record with `is_type: true`), by record or name. */
  readonly type?: TypeRef
  readonly is_type?: boolean
  readonly description?: string
  readonly reference?: string
  readonly reference_type?: string
  /** Feature values, checked and written with the record in one transaction. */
  readonly features?: FeatureValues
}

/** A record decoded from a row, branded as a `Record` record. */
export const decodeRecord = (row: Row): LaminaRecord => brandRecord(row as unknown as LaminaRecord, "Record")

const access = registryAccess(RecordRegistryModel, decodeRecord, UID_LENGTH.record)

const owner = { model: RecordRegistryModel, ...RecordFeatures }

/**
 * The Record registry: `Record.create({ name, type, features })` (the existing record when the
 * name and type exist; its features are then added), `Record.annotations(record)`,
 * `Record.addParents`, `filter`, `get`, `search`.
 */
export const Record = {
  ...access,
  create: (options: RecordOptions) =>
    Effect.gen(function* () {
      const name = yield* checkName(RecordRegistryModel, options?.name)
      const typeId = yield* typeIdOf(RecordRegistryModel, options.type)
      const plan = options.features === undefined ? undefined : yield* planFeatureValues(owner, options.features)
      const sql = yield* SqlClient.SqlClient
      const record = yield* sql.withTransaction(
        Effect.gen(function* () {
          const { record } = yield* findOrCreateNamed(RecordRegistryModel, UID_LENGTH.record, name, typeId, {
            is_type: options.is_type ?? false,
            description: options.description ?? null,
            reference: options.reference ?? null,
            reference_type: options.reference_type ?? null
          })
          if (plan !== undefined) yield* writeFeatureValues(owner, Number(record.id), plan)
          return record
        })
      ).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving a Record")(e))))
      return decodeRecord(record)
    }),
  /** `features`, `labels`, `projects`, `references` of a saved record. */
  annotations: (record: LaminaRecord) => annotationsOf(owner, record.id),
  /** Make `parents` parents of `record` (a cycle fails with `InvalidArgument`, nothing written). */
  addParents: (record: LaminaRecord, parents: ReadonlyArray<LaminaRecord>) => addParents(RecordRegistryModel, record, parents)
}
