/**
 * Version families: the artifacts sharing a uid stem (`stem + 0000`, `stem + 0001`, …), the
 * head of a key, version slots claimed by saves in flight, and the one `is_latest` per family.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { ContentHash } from "../../storage/hash.js"
import { currentDialect } from "../../db/dialect.js"
import { inOneTrip } from "../../db/oneTrip.js"
import { sqlDialect, type SqlDialect } from "../../db/dialects/index.js"
import { ident, join, raw, sql as q, type Sql } from "../../db/sql.js"
import { insertRow, now, selectRows, sqlFailure } from "../crud.js"
import { decodeRow, encodeRow, type Row } from "../model.js"
import { refreshFamilyLatest } from "../latest.js"
import { lockFor } from "../locks.js"
import { incrementBase62, splitUid } from "../uid.js"
import { ArtifactModel, type ArtifactRow } from "./model.js"

export { lockFor } from "../locks.js"

const asRow = (row: Row): ArtifactRow => row as unknown as ArtifactRow

/** The artifact with this id. */
export const rowById = (id: number) => Effect.map(selectRows(ArtifactModel, (sql) => sql`id = ${id}`), (rows) => (rows[0] ? asRow(rows[0]) : undefined))

const table = ident(ArtifactModel.table)

/** The oldest non-trash artifact with content `hash`, as a statement (every path looks it up so). */
export const sameContentLookup = (hash: string): Sql => q`SELECT * FROM ${table} WHERE hash = ${hash} AND branch <> -1 ORDER BY id LIMIT 1`

/** The head of `key` in `storageId` (its latest non-trash version), as a statement. */
export const keyHeadLookup = (storageId: number, key: string): Sql =>
  q`SELECT * FROM ${table} WHERE storage_id = ${storageId} AND key = ${key} AND branch <> -1 ORDER BY is_latest DESC, uid DESC LIMIT 1`

const firstRowOf = (lookup: Sql) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { text, params } = lookup.render(yield* currentDialect)
    const rows = yield* sql.unsafe<Record<string, unknown>>(text, params)
    return rows[0] === undefined ? undefined : asRow(decodeRow(ArtifactModel, rows[0]))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Reading ${ArtifactModel.name} records`)(e))))

/** The latest non-trash artifact at `key` in `storageId`. */
export const headOfKey = (storageId: number, key: string) => firstRowOf(keyHeadLookup(storageId, key))

/** Every artifact of a uid family (trash included), oldest first. */
export const familyOf = (stem: string) =>
  Effect.map(
    selectRows(ArtifactModel, (sql) => sql`uid >= ${stem + "0000"} AND uid <= ${stem + "zzzz"}`, "ORDER BY uid"),
    (rows) => rows.map(asRow)
  )

/** The existing non-trash artifact with this content, if any (empty files never match). */
export const byHash = (content: ContentHash) => (content.size === 0 ? Effect.succeed(undefined) : firstRowOf(sameContentLookup(content.hash)))

/** What a save found inside its transaction, or the row it inserted when it found nothing. */
export interface Found {
  /** The existing non-trash artifact with the same content. */
  readonly same: ArtifactRow | undefined
  /** The key's head: the save becomes its new version. */
  readonly head: ArtifactRow | undefined
  /** The new family's first version, inserted because neither was found. */
  readonly inserted: ArtifactRow | undefined
}

/** The locks every save of `key` with content `hash` takes, whichever path registers it. */
export const saveLocks = (storageId: number, key: string | null, hash: string): ReadonlyArray<string> => [
  `lamina-artifact-key:${storageId}:${key ?? ""}`,
  `lamina-artifact-hash:${hash}`
]

/**
 * The statement of `findOrInsertFirst` for `dialect` (undefined: nothing to look up or insert
 * in one statement) and how to read its rows; `inserts` says whether it inserts `insert` itself.
 */
const findOrInsertStatement = (dialect: SqlDialect, content: ContentHash, storageId: number, key: string | null, insert?: Row) => {
  // Empty files never match by hash (byHash).
  const sameLookup = content.size > 0 ? sameContentLookup(content.hash) : undefined
  const headLookup = key !== null ? keyHeadLookup(storageId, key) : undefined
  const lookups = [sameLookup, headLookup].filter((l): l is Sql => l !== undefined)
  const combined = insert === undefined ? undefined : dialect.insertUnlessFound(ArtifactModel.table, lookups, encodeRow(ArtifactModel, insert))
  const statement =
    combined ?? (lookups.length === 0 ? undefined : join(lookups.map((l, i) => q`SELECT ${raw(String(i))} AS lamina_which, lookup.* FROM (${l}) lookup`), " UNION ALL "))
  const read = (rows: ReadonlyArray<Record<string, unknown>>): Found => {
    /** The row tagged `index` (a lookup's position, or `lookups.length` for the inserted row). */
    const pick = (index: number): ArtifactRow | undefined => {
      const r = index < 0 ? undefined : rows.find((x) => Number(x.lamina_which) === index)
      if (r === undefined) return undefined
      const { lamina_which: _which, ...row } = r
      return asRow(decodeRow(ArtifactModel, row))
    }
    const at = (lookup: Sql | undefined): number => (lookup === undefined ? -1 : lookups.indexOf(lookup))
    return { same: pick(at(sameLookup)), head: pick(at(headLookup)), inserted: combined === undefined ? undefined : pick(lookups.length) }
  }
  return { statement, inserts: combined !== undefined, read }
}

/**
 * `byHash(content)` and, when `key` is given, `headOfKey(storageId, key)`; when `insert` is
 * given and neither finds a row, also the insert of those values (a new family's first
 * version). One statement where the dialect allows (Postgres: one round trip for what is most
 * of a small save), else the lookups in one statement and the insert after them.
 */
export const findOrInsertFirst = (content: ContentHash, storageId: number, key: string | null, insert?: Row) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const dialect = sqlDialect(yield* currentDialect)
    const { statement, inserts, read } = findOrInsertStatement(dialect, content, storageId, key, insert)
    const rendered = statement?.render(dialect.name)
    const found = read(rendered === undefined ? [] : yield* sql.unsafe<Record<string, unknown>>(rendered.text, rendered.params))
    if (insert === undefined || inserts || found.same !== undefined || found.head !== undefined) return found
    return { ...found, inserted: asRow(yield* insertRow(ArtifactModel, insert)) } satisfies Found
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Saving ${ArtifactModel.name} records`)(e))))

/**
 * A new family's registration as one transaction in one round trip, where the dialect can
 * (Postgres; undefined elsewhere): the save's locks, then `findOrInsertFirst`'s statement, which
 * reads a snapshot taken after the locks (`inOneTrip`: uninterruptible like a COMMIT, its lock
 * waits bounded). Undefined as well when a lock wait outlasted the bound: nothing was written,
 * and the save takes the transaction path, whose waits an interruption cancels.
 */
export const findOrInsertFirstInOneTrip = (content: ContentHash, storageId: number, key: string | null, insert: Row) =>
  Effect.gen(function* () {
    const dialect = sqlDialect(yield* currentDialect)
    const { statement, inserts, read } = findOrInsertStatement(dialect, content, storageId, key, insert)
    const locks = dialect.transactionLocks(saveLocks(storageId, key, content.hash))
    // Only where the statement inserts by itself (a data-modifying WITH) and the dialect takes locks.
    if (!inserts || statement === undefined || locks === undefined) return undefined
    const results = yield* inOneTrip([locks, statement])
    return results === undefined ? undefined : read(results[1]!)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure(`Saving ${ArtifactModel.name} records`)(e))))

/**
 * Whether artifact `uid` has a row, asked by a cleanup after a failure that may have followed a
 * commit (an interruption while COMMIT is in flight ends an effect although its rows exist): true
 * as well when the registry cannot be read, so bytes are never taken from under a row (at worst
 * an unregistered file stays, which `lamina check` reports).
 */
export const mayHaveRow = (uid: string | undefined): Effect.Effect<boolean, never, SqlClient.SqlClient> =>
  uid === undefined
    ? Effect.succeed(false)
    : Effect.match(
        selectRows(ArtifactModel, (sql) => sql`uid = ${uid}`),
        { onFailure: () => true, onSuccess: (rows) => rows.length > 0 }
      )

/** An artifact in any branch with this storage, key and content (the unique index's tuple). */
export const byStorageKeyHash = (storageId: number, key: string | null, hash: string) =>
  Effect.map(
    selectRows(ArtifactModel, (q) => q`storage_id = ${storageId} AND hash = ${hash} AND branch <> -1 AND ${key === null ? q`key IS NULL` : q`key = ${key}`}`),
    (rows) => (rows[0] ? asRow(rows[0]) : undefined)
  )

/**
 * The next free uid of a family: one past the highest uid (trash included), skipping slots
 * that saves in flight have claimed (`lamina_artifact_slot`).
 */
export const nextFreeUid = (stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lo = stem + "0000"
    const hi = stem + "zzzz"
    // The highest uid, and the slots claimed above it, in one statement (one row per slot).
    const rows = yield* sql<{ readonly top: string | null; readonly slot: string | null }>`WITH family AS (SELECT MAX(uid) AS top FROM lamina_artifact WHERE uid >= ${lo} AND uid <= ${hi})
      SELECT family.top AS top, s.uid AS slot FROM family LEFT JOIN lamina_artifact_slot s ON s.uid >= COALESCE(family.top, ${lo}) AND s.uid <= ${hi}`
    const top = rows[0]?.top ?? null
    const taken = new Set(rows.flatMap((r) => (r.slot === null ? [] : [r.slot])))
    let uid = top === null ? lo : stem + incrementBase62(splitUid(top).suffix)
    while (taken.has(uid)) uid = stem + incrementBase62(splitUid(uid).suffix)
    return uid
  }).pipe(Effect.mapError(sqlFailure("Choosing the next version")))

/**
 * Claim the next free version slot of a family before uploading, so that concurrent writers
 * of new versions never write their bytes to the same storage key. The claim is released when
 * the save commits (the slot becomes the version's uid) or fails.
 */
export const claimSlot = (stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-artifact-family:${stem}`])
        const uid = yield* nextFreeUid(stem)
        yield* sql`INSERT INTO lamina_artifact_slot (uid, created_at) VALUES (${uid}, ${now().toISOString()})`
        return uid
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Claiming a version slot")(e))))

/** Give a claimed slot back. */
export const releaseSlot = (uid: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM lamina_artifact_slot WHERE uid = ${uid}`).pipe(
    Effect.mapError(sqlFailure("Releasing a version slot"))
  )

/** Make the newest non-trash member of a family the only `is_latest`. */
export const refreshLatest = (stem: string) => refreshFamilyLatest(ArtifactModel, stem)
