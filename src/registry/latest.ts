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

/** Make the newest non-trash member of the family `stem` of `model` the only `is_latest`; its uid ("" when none). */
export const refreshFamilyLatest = (model: Pick<Model, "table" | "name">, stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lo = stem + "0000"
    const hi = stem + "zzzz"
    const head = yield* sql<{ readonly uid: string | null }>`SELECT MAX(uid) AS uid FROM ${sql(model.table)} WHERE uid >= ${lo} AND uid <= ${hi} AND branch <> -1`
    const headUid = head[0]?.uid ?? ""
    // `(uid = ?)` is a boolean in Postgres and 0/1 in SQLite: one statement for both.
    yield* sql`UPDATE ${sql(model.table)} SET is_latest = (uid = ${headUid}) WHERE uid >= ${lo} AND uid <= ${hi}`
    return headUid
  }).pipe(Effect.mapError(sqlFailure(`Updating the latest ${model.name} version`)))
