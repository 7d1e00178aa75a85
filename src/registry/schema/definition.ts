/**
 * A saved schema read back as what validation needs: its flags, its ordered members with the
 * feature fields that matter for curation (dtype, nullable, coerce, synonyms, default value),
 * its index feature and, for a composite schema, the definition of each slot.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { DoesNotExist, type IntegrityError, type StorageError } from "../../errors.js"
import { decodeRow, decodeValue } from "../../schema/codec.js"
import { SchemaModel } from "../catalog.js"
import { parseDtype, type Dtype } from "../feature/dtype.js"
import { brandRecord } from "../recordRef.js"
import type { RecordOf } from "../model.js"
import { parseItype, type Itype } from "./itype.js"

/** A feature as curation uses it. */
export interface CurationFeature {
  readonly id: number
  readonly uid: string
  readonly name: string
  readonly dtype: string
  readonly parsed: Dtype
  readonly nullable: boolean
  readonly coerce: boolean
  /** Other names of the feature (LaminDB stores them pipe-separated). */
  readonly synonyms: ReadonlyArray<string>
  readonly default_value: unknown
}

/** A schema member. */
export interface SchemaMember {
  readonly feature: CurationFeature
  readonly optional: boolean
}

/** A schema with everything validation needs. */
export interface SchemaDefinition {
  readonly schema: RecordOf<typeof SchemaModel>
  readonly itype: Itype | null
  readonly members: ReadonlyArray<SchemaMember>
  readonly index: CurationFeature | null
  /** Slot → definition, for composite schemas. */
  readonly components: Readonly<Record<string, SchemaDefinition>>
}

/** A feature row (any columns of lamina_feature) as a `CurationFeature`. */
export const curationFeature = (r: Record<string, unknown>): CurationFeature => {
  const dtype = String(r.dtype)
  const synonyms = r.synonyms === null || r.synonyms === undefined ? [] : String(r.synonyms).split("|").filter((s) => s !== "")
  return {
    id: Number(r.id),
    uid: String(r.uid),
    name: String(r.name),
    dtype,
    parsed: parseDtype(dtype),
    nullable: decodeValue("bool", r.nullable) === true,
    coerce: decodeValue("bool", r.coerce) === true,
    synonyms,
    default_value: decodeValue("json", r.default_value) ?? null
  }
}

/** The definition of schema `id` (components read recursively). */
export const schemaDefinition = (id: number): Effect.Effect<SchemaDefinition, DoesNotExist | StorageError | IntegrityError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_schema WHERE id = ${id}`
    if (rows[0] === undefined) return yield* new DoesNotExist({ registry: "Schema", message: `No schema with id ${id}.` })
    const schema = brandRecord(decodeRow(SchemaModel, rows[0]), "Schema") as unknown as RecordOf<typeof SchemaModel>
    const members = yield* sql<Record<string, unknown>>`SELECT f.*, sf.optional AS member_optional FROM lamina_schema_feature sf
      JOIN lamina_feature f ON f.id = sf.feature_id WHERE sf.schema_id = ${id} ORDER BY sf.position`
    const index =
      schema.index_feature_id === null ? [] : yield* sql<Record<string, unknown>>`SELECT * FROM lamina_feature WHERE id = ${schema.index_feature_id}`
    const slots = yield* sql<{ readonly slot: string; readonly component_id: number }>`SELECT slot, component_id FROM lamina_schema_component
      WHERE composite_id = ${id} ORDER BY slot`
    const components: Record<string, SchemaDefinition> = {}
    for (const s of slots) components[s.slot] = yield* schemaDefinition(Number(s.component_id))
    return {
      schema,
      itype: schema.itype === null ? null : parseItype(schema.itype),
      members: members.map((r) => ({ feature: curationFeature(r), optional: decodeValue("bool", r.member_optional) === true })),
      index: index[0] === undefined ? null : curationFeature(index[0]),
      components
    }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading a schema")(e))))
