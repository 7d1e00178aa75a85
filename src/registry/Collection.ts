/**
 * Collection registry: an ordered set of saved artifacts (LaminDB's Collection).
 *
 * - The hash is LaminDB's: the md5 (base64url, 22 chars) of the members' hashes, sorted and
 *   joined with ":". Creating a collection whose members hash to a live collection's hash
 *   returns that collection.
 * - Versioned like artifacts: a new collection under an existing key gets the family's uid
 *   stem and the next suffix, and becomes the one `is_latest`.
 * - `loadTable()` concatenates the member tables into one Arrow table; `iterate({ batchSize })`
 *   streams row batches member by member (tables, or the `obs` of AnnData members), so at most
 *   one member is in memory. Reading a collection inside a run records it as an input of
 *   the run (and the members it reads as artifact inputs).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Table } from "apache-arrow"
import { Effect, Option, Stream } from "effect"
import { InvalidArgument, ValidationError, type IntegrityError, type StorageError } from "../errors.js"
import { currentRun } from "../flow/CurrentRun.js"
import { Instance } from "../instance/Instance.js"
import type { QuerySet } from "../query/QuerySet.js"
import type { SearchOptions } from "../query/state.js"
import type { Condition, FilterSpec } from "../query/types.js"
import { hashString } from "../storage/hash.js"
import { registryAccess } from "./access.js"
import { Artifact, ArtifactModel } from "./Artifact.js"
import type { ArtifactEnv } from "./artifact/options.js"
import { CollectionModel } from "./catalog.js"
import { now, sqlFailure } from "./crud.js"
import { lockFor } from "./locks.js"
import { decodeRow, encodeValue, type Row } from "./model.js"
import { brandRecord } from "./recordRef.js"
import { incrementBase62, newFamilyUid, splitUid, UID_LENGTH } from "./uid.js"

export { CollectionModel } from "./catalog.js"

/** Options of `Collection.create`. */
export interface CollectionOptions {
  /** A path-like key naming the collection (versions share it). */
  readonly key: string
  readonly description?: string
  /** A human version tag (else the uid suffix is the version). */
  readonly version_tag?: string
}

/** A registered collection. */
export class Collection {
  readonly id!: number
  readonly uid!: string
  readonly key!: string | null
  readonly description!: string | null
  readonly hash!: string | null
  readonly reference!: string | null
  readonly reference_type!: string | null
  readonly run_id!: number | null
  readonly version_tag!: string | null
  readonly is_latest!: boolean
  readonly created_at!: Date
  readonly updated_at!: Date
  readonly created_by_id!: number | null
  readonly branch!: number
  readonly is_locked!: boolean
  readonly _aux!: Record<string, unknown> | null

  constructor(row: Row) {
    Object.assign(this, row)
    brandRecord(this, "Collection")
  }

  /** The version: the version tag if set, else the uid's 4-char suffix. */
  get version(): string {
    return this.version_tag ?? splitUid(this.uid).suffix
  }

  /** The members, in order. */
  get artifacts(): Effect.Effect<ReadonlyArray<Artifact>, IntegrityError | StorageError, SqlClient.SqlClient> {
    return membersOf(this.id)
  }

  /** The member tables concatenated into one Arrow table (same columns required). Records a run input. */
  loadTable(): Effect.Effect<Table, InvalidArgument | ValidationError | StorageError | IntegrityError, ArtifactEnv> {
    return Effect.gen(this, function* () {
      yield* recordCollectionInput(this)
      const members = yield* this.artifacts
      const tables: Array<Table> = []
      for (const a of members) tables.push(yield* a.loadTable())
      const first = tables[0]
      if (first === undefined) return yield* new InvalidArgument({ message: `Collection ${this.key ?? this.uid} has no members.` })
      const names = first.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(",")
      for (const [i, t] of tables.entries())
        if (t.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(",") !== names)
          return yield* new ValidationError({
            message: `Collection ${this.key ?? this.uid}: member ${members[i]!.label} has columns (${t.schema.fields.map((f) => f.name).join(", ")}), the first member (${first.schema.fields.map((f) => f.name).join(", ")}); loadTable() concatenates members with the same columns — use iterate() for the others.`
          })
      return first.concat(...tables.slice(1))
    })
  }

  /**
   * Row batches of at most `batchSize` rows across the members, in order: slices of each
   * table member, or of the `obs` of each AnnData member (read without `X`). One member is
   * read at a time. Records a run input.
   */
  iterate(options: { readonly batchSize?: number } = {}): Stream.Stream<Table, InvalidArgument | ValidationError | StorageError | IntegrityError, ArtifactEnv> {
    const batchSize = options.batchSize ?? 10_000
    if (!Number.isInteger(batchSize) || batchSize < 1)
      return Stream.fail(new InvalidArgument({ message: `iterate(): batchSize must be a positive integer, got ${String(options.batchSize)}.` }))
    const memberTable = (a: Artifact) =>
      a.otype === "AnnData" ? Effect.scoped(Effect.flatMap(a.openAnnData(), (backed) => Effect.mapError(backed.obs(), (e) => new ValidationError({ message: `Artifact ${a.label}: ${e.message}` })))) : a.loadTable()
    return Stream.unwrap(
      Effect.gen(this, function* () {
        yield* recordCollectionInput(this)
        const members = yield* this.artifacts
        return Stream.flatMap(
          Stream.fromIterable(members),
          (a) =>
            Stream.unwrap(
              Effect.map(memberTable(a), (table) =>
                Stream.fromIterable(Array.from({ length: Math.ceil(table.numRows / batchSize) }, (_, i) => i)).pipe(
                  Stream.map((i) => table.slice(i * batchSize, Math.min(table.numRows, (i + 1) * batchSize)))
                )
              )
            ),
          { concurrency: 1 }
        )
      })
    )
  }

  /** LaminDB's field names, snake_case. */
  toJSON() {
    return {
      uid: this.uid,
      key: this.key,
      description: this.description,
      hash: this.hash,
      version: this.version,
      is_latest: this.is_latest,
      branch: this.branch,
      created_at: this.created_at.toISOString()
    }
  }

  /**
   * A collection of saved `artifacts`, in this order: the live collection with the same member
   * hash if there is one, else a new one — a new version when `key` names an existing family.
   * Inside a run, the run is recorded as its creator. Unsaved or trashed members fail with
   * `InvalidArgument` naming them; nothing is written.
   */
  static create(artifacts: ReadonlyArray<Artifact>, options: CollectionOptions) {
    return createCollection(artifacts, options)
  }

  /** A lazy query over collections. */
  static filter(...conditions: ReadonlyArray<Condition<typeof CollectionModel>>): QuerySet<Collection, typeof CollectionModel> {
    return access.filter(...conditions)
  }

  /** Ranked search over key and description. */
  static search(text: string, options?: SearchOptions): QuerySet<Collection, typeof CollectionModel> {
    return access.search(text, options)
  }

  /** One collection by uid or fields (`{ key }` finds the latest version of that key). */
  static get(uidOrFields: string | FilterSpec<typeof CollectionModel>) {
    // `typeof null` is "object": a null argument goes on to access.get, which rejects it.
    if (typeof uidOrFields === "object" && uidOrFields !== null && uidOrFields.key !== undefined && uidOrFields.is_latest === undefined)
      return access.get({ ...uidOrFields, is_latest: true })
    return access.get(uidOrFields)
  }
}

const access = registryAccess(CollectionModel, (row: Row) => new Collection(row), UID_LENGTH.collection)

const membersOf = (id: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT a.* FROM lamina_artifact a JOIN lamina_collection_artifact l ON l.artifact_id = a.id
      WHERE l.collection_id = ${id} ORDER BY l.position`
    return rows.map((r) => new Artifact(decodeRow(ArtifactModel, r)))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading collection members")(e))))

/**
 * Note `collection` as an input of the current run, unless that run created it; the run's
 * Tracker writes the link when the run closes (with its artifact inputs).
 */
const recordCollectionInput = (collection: Collection) =>
  Effect.flatMap(currentRun, (run) =>
    Option.isNone(run) || run.value.runId === collection.run_id || run.value.recordCollectionInput === undefined
      ? Effect.void
      : run.value.recordCollectionInput(collection.id)
  )

/** Link collections to run `runId` as its inputs, ignoring links that exist (the Tracker's write). */
export const addRunCollectionInputs = (runId: number, collectionIds: Iterable<number>) =>
  Effect.gen(function* () {
    const ids = [...new Set(collectionIds)]
    if (ids.length === 0) return
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO lamina_run_input_collection ${sql.insert(ids.map((collection_id) => ({ collection_id, run_id: runId })))} ON CONFLICT DO NOTHING`
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Linking collections to a Run")(e))))

const createCollection = (artifacts: ReadonlyArray<Artifact>, options: CollectionOptions) =>
  Effect.gen(function* () {
    if (!Array.isArray(artifacts) || artifacts.length === 0)
      return yield* new InvalidArgument({ message: "A collection needs at least one saved artifact." })
    if (typeof options?.key !== "string" || options.key.trim() === "" || options.key !== options.key.trim())
      return yield* new InvalidArgument({ message: `A collection needs a key (a non-empty path-like string), got ${JSON.stringify(options?.key)}.` })
    const sql = yield* SqlClient.SqlClient
    const ids = artifacts.map((a) => (a instanceof Artifact ? a.id : undefined))
    const unsaved = artifacts.filter((_, i) => typeof ids[i] !== "number")
    if (unsaved.length > 0)
      return yield* new InvalidArgument({ message: `Save the artifacts before adding them to a collection: ${unsaved.length} member(s) are not saved artifacts (${unsaved.map((a) => JSON.stringify((a as { readonly key?: unknown }).key ?? a)).join(", ")}).` })
    if (new Set(ids).size !== ids.length) return yield* new InvalidArgument({ message: "A collection lists each artifact once: the members contain duplicates." })
    const rows = yield* sql<Record<string, unknown>>`SELECT id, uid, key, hash, branch FROM lamina_artifact WHERE ${sql.in("id", ids as Array<number>)}`
    const byId = new Map(rows.map((r) => [Number(r.id), r]))
    const bad = artifacts.filter((a) => byId.get(a.id) === undefined || Number(byId.get(a.id)!.branch) === -1 || byId.get(a.id)!.hash === null)
    if (bad.length > 0)
      return yield* new InvalidArgument({ message: `Collection members must be saved artifacts outside trash, with a hash: ${bad.map((a) => a.label).join(", ")}.` })
    const hash = hashString(artifacts.map((a) => String(byId.get(a.id)!.hash)).sort().join(":"))
    const instance = yield* Instance
    const run = yield* currentRun
    const created = yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-collection-key:${options.key}`, `lamina-collection-hash:${hash}`])
        const same = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_collection WHERE hash = ${hash} AND branch <> -1 ORDER BY id LIMIT 1`
        if (same[0] !== undefined) return { row: decodeRow(CollectionModel, same[0]), existing: true }
        const family = yield* sql<{ readonly uid: string }>`SELECT uid FROM lamina_collection WHERE key = ${options.key} ORDER BY uid DESC LIMIT 1`
        const head = family[0]?.uid
        const uid = head === undefined ? newFamilyUid(UID_LENGTH.collection) : splitUid(head).stem + incrementBase62(splitUid(head).suffix)
        if (options.version_tag !== undefined) {
          const taken = yield* sql`SELECT 1 FROM lamina_collection WHERE key = ${options.key} AND version_tag = ${options.version_tag}`
          if (taken.length > 0) return yield* new InvalidArgument({ message: `Please change the version tag or leave it \`None\`, '${options.version_tag}' is already taken` })
        }
        yield* sql`UPDATE lamina_collection SET is_latest = ${encodeValue("bool", false)} WHERE key = ${options.key} AND is_latest = ${encodeValue("bool", true)}`
        const t = encodeValue("datetime", now())
        const inserted = yield* sql<Record<string, unknown>>`INSERT INTO lamina_collection ${sql.insert({
          uid,
          key: options.key,
          description: options.description ?? null,
          hash,
          run_id: Option.isSome(run) ? run.value.runId : null,
          version_tag: options.version_tag ?? null,
          is_latest: encodeValue("bool", true),
          updated_at: t,
          created_at: t,
          created_by_id: instance.user.id,
          branch: 1,
          is_locked: encodeValue("bool", false)
        })} RETURNING *`
        const row = decodeRow(CollectionModel, inserted[0]!)
        for (const [position, a] of artifacts.entries())
          yield* sql`INSERT INTO lamina_collection_artifact (collection_id, artifact_id, position) VALUES (${Number(row.id)}, ${a.id}, ${position})`
        return { row, existing: false }
      })
    )
    if (created.existing) yield* Effect.logWarning(`returning collection with same hash: ${String(created.row.key)} (${String(created.row.uid)})`)
    return new Collection(created.row)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving a Collection")(e))))
