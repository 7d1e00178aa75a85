/**
 * Named registries (Feature, ULabel, Record, Project, Reference): creating a record by name —
 * LaminDB returns the existing record when one with the same name (and type) exists — their
 * `type` / `is_type` convention, and parent links without cycles.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { InvalidArgument, ValidationError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { insertRow, now, sqlFailure } from "./crud.js"
import { lockFor } from "./locks.js"
import { decodeRow, type Model, type Row } from "./model.js"
import { base62 } from "./uid.js"

/** A type given by record or by name. */
export type TypeRef = string | { readonly id: number; readonly name?: string | null; readonly is_type?: boolean }

/** The id of a type record of `model` (`is_type` must be true); `InvalidArgument` otherwise. */
export const typeIdOf = (model: Model, type: TypeRef | null | undefined) =>
  Effect.gen(function* () {
    if (type === null || type === undefined) return null
    // JavaScript callers can pass anything: `5` would be looked up as "type 'undefined'".
    const given: unknown = type
    if (typeof given !== "string" && !(typeof given === "object" && given !== null && "id" in given && typeof given.id === "number"))
      return yield* new InvalidArgument({ message: `A ${model.name} type must be a type's name or a ${model.name} record with is_type: true, got ${JSON.stringify(given)}.` })
    const sql = yield* SqlClient.SqlClient
    const rows =
      typeof type === "string"
        ? yield* sql<Record<string, unknown>>`SELECT id, is_type FROM ${sql(model.table)} WHERE name = ${type} AND branch = 1 ORDER BY is_type DESC, id LIMIT 1`
        : yield* sql<Record<string, unknown>>`SELECT id, is_type FROM ${sql(model.table)} WHERE id = ${type.id}`
    const row = rows[0]
    const name = typeof type === "string" ? type : String(type.name ?? type.id)
    if (row === undefined)
      return yield* new InvalidArgument({ message: `No ${model.name} type named '${name}'. Create it first: ${model.name}.create({ name: "${name}", is_type: true }).` })
    if (decodeRow(model, row).is_type !== true)
      return yield* new InvalidArgument({ message: `${model.name} '${name}' is not a type: a type is created with is_type: true.` })
    return Number(row.id)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Reading ${model.name} types`)(e))))

/** A record name: a non-empty string without leading/trailing blanks. */
export const checkName = (model: Model, name: unknown): Effect.Effect<string, InvalidArgument> =>
  typeof name === "string" && name.trim() !== "" && name === name.trim()
    ? Effect.succeed(name)
    : Effect.fail(new InvalidArgument({ message: `A ${model.name} needs a name: a non-empty string without surrounding blanks, got ${JSON.stringify(name)}.` }))

/**
 * The live record of `model` named `name` with type `typeId`, else a new one with `values`.
 * `same` decides whether an existing record may be returned (else `ValidationError` with its
 * message). One transaction, locked on the name, so concurrent creators get one record.
 */
export const findOrCreateNamed = (
  model: Model,
  uidLength: number,
  name: string,
  typeId: number | null,
  values: Row,
  same: (existing: Row) => string | undefined = () => undefined
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const instance = yield* Instance
    const find = Effect.map(
      sql<Record<string, unknown>>`SELECT * FROM ${sql(model.table)} WHERE name = ${name} AND branch = 1 AND ${
        typeId === null ? sql`type_id IS NULL` : sql`type_id = ${typeId}`
      } ORDER BY id LIMIT 1`,
      (rows) => (rows[0] === undefined ? undefined : decodeRow(model, rows[0]))
    )
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-${model.table}:${name}`])
        const existing = yield* find
        if (existing !== undefined) {
          const conflict = same(existing)
          if (conflict !== undefined) return yield* new ValidationError({ message: conflict })
          yield* Effect.logInfo(`returning existing ${model.name} record with same name: '${name}'`)
          return { record: existing, created: false }
        }
        const t = now()
        const record = yield* insertRow(model, {
          uid: base62(uidLength),
          name,
          type_id: typeId,
          ...values,
          updated_at: t,
          created_at: t,
          created_by_id: instance.user.id,
          branch: 1,
          is_locked: false
        })
        return { record, created: true }
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Saving a ${model.name}`)(e))))

/**
 * Link `child` to `parents` through `model.links.parents` (idempotent). A parent that is the
 * child or one of its descendants would close a cycle: `InvalidArgument` naming it, nothing written.
 */
export const addParents = (model: Model, child: { readonly id: number; readonly name?: string | null }, parents: ReadonlyArray<{ readonly id: number; readonly name?: string | null }>) =>
  Effect.gen(function* () {
    const link = model.links.parents
    if (link === undefined) return yield* Effect.die(new Error(`${model.name} has no parents link.`))
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-${link.table}`])
        // Descendants of the child (and the child itself): none may become its parent.
        const below = yield* sql<{ readonly id: number }>`WITH RECURSIVE d (id) AS (
            SELECT CAST(${child.id} AS BIGINT) UNION SELECT l.${sql(link.selfColumn)} FROM ${sql(link.table)} l JOIN d ON l.${sql(link.otherColumn)} = d.id
          ) SELECT id FROM d`
        const forbidden = new Set(below.map((r) => Number(r.id)))
        for (const p of parents) {
          if (forbidden.has(p.id))
            return yield* new InvalidArgument({
              message: `${model.name} '${p.name ?? p.id}' cannot be a parent of '${child.name ?? child.id}': ${p.id === child.id ? "a record cannot be its own parent" : "it is already below it, the link would close a cycle"}.`
            })
        }
        for (const p of parents)
          yield* sql`INSERT INTO ${sql(link.table)} (${sql(link.selfColumn)}, ${sql(link.otherColumn)})
            SELECT ${child.id}, ${p.id} WHERE NOT EXISTS (SELECT 1 FROM ${sql(link.table)} WHERE ${sql(link.selfColumn)} = ${child.id} AND ${sql(link.otherColumn)} = ${p.id})`
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Linking ${model.name} parents`)(e))))



