/**
 * Categorical values: label names (or label records) resolved against the registries a
 * `cat[...]` dtype names, honouring type restrictions (`cat[Record[Sample]]`).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../../db/failure.js"
import { encodeValue } from "../../schema/codec.js"
import type { Model } from "../../schema/model.js"
import { recordModelOf } from "../recordRef.js"
import type { CatTarget, LabelRegistry } from "./dtype.js"

/** Which link of an owning registry holds its values from each label registry (`{ ULabel: "ulabels", Record: "records" }`). */
export type LabelLinks = Readonly<Record<LabelRegistry, string>>

/** A resolved categorical value. */
export interface LabelRef {
  readonly registry: LabelRegistry
  readonly id: number
  readonly name: string
}

/** What resolving found: labels, and the values nothing matched (names, or records of another registry or type). */
export interface Resolved {
  readonly found: ReadonlyArray<LabelRef>
  readonly missing: ReadonlyArray<string>
}

/** The label registry's model, reached through the owner's link. */
export const labelModel = (owner: Model, links: LabelLinks, registry: LabelRegistry): Model => {
  const link = owner.links[links[registry]]
  if (link === undefined) throw new Error(`${owner.name} has no link '${links[registry]}' for ${registry} values.`)
  return link.target()
}

const typeIds = (sql: SqlClient.SqlClient, model: Model, type: string) =>
  Effect.map(
    sql<{ readonly id: number }>`SELECT id FROM ${sql(model.table)} WHERE name = ${type} AND is_type = ${encodeValue("bool", true)} AND branch = 1`,
    (rows) => rows.map((r) => Number(r.id))
  )

/**
 * Resolve `values` (label names, or ULabel/Record records) for a feature whose dtype allows
 * `targets`. A name matches a live, non-type label of the first target registry (and type)
 * that has it.
 */
export const resolveLabels = (owner: Model, links: LabelLinks, targets: ReadonlyArray<CatTarget>, values: ReadonlyArray<unknown>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const found: Array<LabelRef> = []
    const missing: Array<string> = []
    const names = [...new Set(values.filter((v): v is string => typeof v === "string"))]
    const byName = new Map<string, LabelRef>()
    for (const target of targets) {
      const pending = names.filter((n) => !byName.has(n))
      if (pending.length === 0) break
      const model = labelModel(owner, links, target.registry)
      const types = target.type === undefined ? undefined : yield* typeIds(sql, model, target.type)
      if (types !== undefined && types.length === 0) continue
      const rows = yield* sql<{ readonly id: number; readonly name: string }>`SELECT id, name FROM ${sql(model.table)}
        WHERE ${sql.in("name", pending)} AND branch = 1 AND is_type = ${encodeValue("bool", false)}
        ${types === undefined ? sql`` : sql`AND ${sql.in("type_id", types)}`} ORDER BY id`
      for (const r of rows) if (!byName.has(r.name)) byName.set(r.name, { registry: target.registry, id: Number(r.id), name: r.name })
    }
    for (const v of values) {
      if (typeof v === "string") {
        const ref = byName.get(v)
        if (ref === undefined) missing.push(v)
        else found.push(ref)
        continue
      }
      const registry = v !== null && typeof v === "object" ? recordModelOf(v) : undefined
      const rec = v as { readonly id?: unknown; readonly name?: unknown; readonly type_id?: unknown }
      const candidates = targets.filter((t) => t.registry === registry)
      if (registry === undefined || candidates.length === 0 || typeof rec.id !== "number") {
        missing.push(registry === undefined ? JSON.stringify(v) ?? String(v) : `${registry} '${String(rec.name)}'`)
        continue
      }
      let ok = candidates.some((t) => t.type === undefined)
      for (const t of candidates) {
        if (ok || t.type === undefined) break
        const types = yield* typeIds(sql, labelModel(owner, links, t.registry), t.type)
        ok = types.includes(Number(rec.type_id))
      }
      if (ok) found.push({ registry: registry as LabelRegistry, id: rec.id, name: String(rec.name) })
      else missing.push(`${registry} '${String(rec.name)}' (not of type ${candidates.map((t) => t.type).join(" or ")})`)
    }
    return { found, missing } satisfies Resolved
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Resolving labels")(e))))
