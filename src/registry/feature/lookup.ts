/**
 * Reading Feature definitions by name: what filters, annotations and table pivots need. Works
 * from the declaration (not the catalog), so registry declarations can use it.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { decodeValue } from "../../schema/codec.js"
import { FeatureDecl } from "../declarations/feature.js"
import { parseDtype, type Dtype } from "./dtype.js"

/** A feature as annotation code uses it: its row fields and its parsed dtype. */
export interface FeatureDef {
  readonly id: number
  readonly uid: string
  readonly name: string
  readonly dtype: string
  readonly parsed: Dtype
  readonly coerce: boolean
  readonly nullable: boolean
  readonly unit: string | null
}

const TABLE = FeatureDecl.table

const toDef = (r: Record<string, unknown>): FeatureDef => {
  const dtype = String(r.dtype)
  return {
    id: Number(r.id),
    uid: String(r.uid),
    name: String(r.name),
    dtype,
    parsed: parseDtype(dtype),
    coerce: decodeValue("bool", r.coerce) === true,
    nullable: decodeValue("bool", r.nullable) === true,
    unit: r.unit === null || r.unit === undefined ? null : String(r.unit)
  }
}

/** Live (branch 1), non-type features by name; names without one are absent from the map. */
export const featuresByName = (names: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const out = new Map<string, FeatureDef>()
    if (names.length === 0) return out
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT id, uid, name, dtype, coerce, nullable, unit FROM ${sql(TABLE)}
      WHERE ${sql.in("name", [...new Set(names)])} AND branch = 1 AND dtype IS NOT NULL`
    for (const r of rows) out.set(String(r.name), toDef(r))
    return out
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading features")(e))))

/** Live features by uid. */
export const featuresByUid = (uids: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const out = new Map<string, FeatureDef>()
    if (uids.length === 0) return out
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT id, uid, name, dtype, coerce, nullable, unit FROM ${sql(TABLE)}
      WHERE ${sql.in("uid", [...new Set(uids)])} AND dtype IS NOT NULL`
    for (const r of rows) out.set(String(r.uid), toDef(r))
    return out
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading features")(e))))

/** Features by id. */
export const featuresById = (ids: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const out = new Map<number, FeatureDef>()
    if (ids.length === 0) return out
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT id, uid, name, dtype, coerce, nullable, unit FROM ${sql(TABLE)}
      WHERE ${sql.in("id", [...new Set(ids)])} AND dtype IS NOT NULL`
    for (const r of rows) out.set(Number(r.id), toDef(r))
    return out
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading features")(e))))

/** Names of existing features (for messages), alphabetically, at most `limit`. */
export const featureNames = (limit = 50) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly name: string }>`SELECT name FROM ${sql(TABLE)} WHERE branch = 1 AND dtype IS NOT NULL ORDER BY name LIMIT ${limit}`
    return rows.map((r) => r.name)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading features")(e))))
