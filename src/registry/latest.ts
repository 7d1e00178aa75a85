/**
 * The one `is_latest` of a version family, for any versioned registry: the newest member (the
 * highest uid of the stem) that is not in trash carries it, no other member does, and a family
 * whose members are all in trash has none.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "./crud.js"
import type { Model } from "./model.js"

/** Length of the uid stem of a versioned model (its full uid minus the 4-character version). */
export const stemLength = (model: Pick<Model, "uidLength">): number => model.uidLength - 4

/**
 * Make the newest non-trash member of the family `stem` of `model` the only `is_latest`; its uid
 * ("" when none). Only members whose flag changes are written (usually the previous head), so a
 * new version costs the same in a family of thousands as in a family of two; the statement
 * returns the head with them, and is read again only when no flag changed.
 */
export const refreshFamilyLatest = (model: Pick<Model, "table" | "name">, stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lo = stem + "0000"
    const hi = stem + "zzzz"
    const table = sql(model.table)
    const head = sql`(SELECT MAX(uid) FROM ${table} WHERE uid >= ${lo} AND uid <= ${hi} AND branch <> -1)`
    // `(uid = …)` is a boolean in Postgres and 0/1 in SQLite: one statement for both.
    const latest = sql`(uid = COALESCE(${head}, ''))`
    const changed = yield* sql<{ readonly head: string | null }>`UPDATE ${table} SET is_latest = ${latest}
      WHERE uid >= ${lo} AND uid <= ${hi} AND (is_latest IS NULL OR is_latest <> ${latest}) RETURNING ${head} AS head`
    const found = changed[0] ?? (yield* sql<{ readonly head: string | null }>`SELECT ${head} AS head`)[0]
    return found?.head ?? ""
  }).pipe(Effect.mapError(sqlFailure(`Updating the latest ${model.name} version`)))
