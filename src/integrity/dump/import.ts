/**
 * `importInstance`: load a dump (see `manifest.ts`) into the connected instance — SQLite or
 * Postgres, a local folder or S3 — keeping every uid, hash, version, run, link and lineage edge.
 *
 * - Objects first, rows after (the save protocol's order: a row never exists without its
 *   bytes): the objects of artifacts the instance does not have yet are copied into its storage
 *   and verified against their hashes; a dump made with `--no-data` instead requires them to be
 *   in the instance's storage already, with their recorded sizes.
 * - Then every row in one transaction: a row the instance already has (same uid, or same
 *   unique field; for tables without uids the same key) is not inserted again, so importing
 *   twice changes nothing. Ids are kept where they are free, so ids stored inside JSON stay
 *   right; references are translated through the ids actually used. The dump's storage becomes
 *   the instance's storage.
 * - On failure nothing is committed and the objects this import copied are removed.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { promises as fs } from "node:fs"
import * as path from "node:path"
import { Effect, ParseResult, Schema } from "effect"
import { currentDialect } from "../../db/dialect.js"
import { sqlDialect } from "../../db/dialects/index.js"
import { IntegrityError, InvalidArgument, StorageError } from "../../errors.js"
import { Instance } from "../../instance/Instance.js"
import { mayHaveRow } from "../../registry/artifact/family.js"
import { isFolderRow, labelOf, storageKeyOf } from "../../registry/artifact/paths.js"
import { ArtifactModel } from "../../registry/catalog.js"
import { sqlFailure } from "../../registry/crud.js"
import { decodeValue, encodeValue, type FieldType } from "../../registry/model.js"
import { listFiles } from "../../storage/fileio.js"
import { ObjectStore } from "../../storage/ObjectStore.js"
import type { StoredArtifact } from "../inventory.js"
import { MANIFEST_FILE, ManifestSchema, OBJECTS_DIR, type Manifest, type ManifestTable } from "./manifest.js"
import { dumpPlan, runSql } from "./plan.js"
import { copyObjects, type TransferProgressSink } from "./transfer.js"

/** Options of `importInstance`. */
export interface ImportOptions {
  readonly onProgress?: TransferProgressSink
}

/** What an import added. */
export interface ImportReport {
  /** Rows inserted per table (tables with none left out). */
  readonly inserted: Readonly<Record<string, number>>
  /** Rows the instance already had. */
  readonly existing: number
  readonly objects: number
  readonly bytes: number
}

type Json = Record<string, unknown>

const fsTry = <A>(what: string, file: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (cause) => new StorageError({ message: `${what} '${file}' failed: ${cause instanceof Error ? cause.message : String(cause)}. Check the dump folder.`, path: file, cause })
  })

/** The first problem of a manifest, with its field path (the full message prints the whole schema). */
const firstIssue = (e: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(e)[0]
  if (issue === undefined) return e.message.split("\n")[0] ?? "unreadable"
  return issue.path.length === 0 ? issue.message : `'${issue.path.join(".")}' ${issue.message}`
}

/** Read and validate `manifest.json`. */
const readManifest = (dir: string) =>
  Effect.gen(function* () {
    const file = path.join(dir, MANIFEST_FILE)
    const text = yield* fsTry("Reading", file, () => fs.readFile(file, "utf8")).pipe(
      Effect.mapError(() => new InvalidArgument({ message: `'${dir}' is not a Lamina dump (no ${MANIFEST_FILE}): pass a folder written by 'lamina export'.` }))
    )
    const parsed = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new InvalidArgument({ message: `'${file}' is not valid JSON: the dump is damaged; export it again.` })
    })
    return yield* Schema.decodeUnknown(ManifestSchema)(parsed).pipe(
      Effect.mapError((e) => new InvalidArgument({ message: `'${file}' is not a Lamina dump this version reads: ${firstIssue(e)}; export it again with this version.` }))
    )
  })

/** The rows of one dumped table. */
const readRows = (dir: string, t: ManifestTable) =>
  Effect.gen(function* () {
    const file = path.join(dir, ...t.file.split("/"))
    const text = yield* fsTry("Reading", file, () => fs.readFile(file, "utf8"))
    const rows = yield* Effect.try({
      try: () => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Json),
      catch: () => new InvalidArgument({ message: `'${file}' has a line that is not JSON: the dump is damaged; export it again.` })
    })
    if (rows.length !== t.rows) return yield* new InvalidArgument({ message: `'${file}' holds ${rows.length} rows, the manifest says ${t.rows}: the dump is incomplete; export it again.` })
    return rows
  })

/** A value as bound for an insert, by its type. */
const bind = (type: FieldType, v: unknown): string | number | null => encodeValue(type, decodeValue(type, v))

/** One comparable string per row for a key (undefined when part of it is NULL). */
const keyOf = (columns: Readonly<Record<string, FieldType>>, key: ReadonlyArray<string>, row: Json): string | undefined => {
  const values = key.map((c) => bind(columns[c] ?? "str", row[c]))
  return values.some((v) => v === null) ? undefined : JSON.stringify(values)
}

/** The dump's artifacts stored in its instance storage (they own objects). */
const dumpArtifacts = (rows: ReadonlyArray<Json>, storageId: number): ReadonlyArray<StoredArtifact> =>
  rows
    .filter((r) => Number(r.storage_id) === storageId)
    .map((r): StoredArtifact => {
      const located = {
        uid: String(r.uid),
        key: (r.key as string | null) ?? null,
        suffix: String(r.suffix ?? ""),
        hash_type: (r.hash_type as string | null) ?? null,
        n_files: r.n_files === null || r.n_files === undefined ? null : Number(r.n_files),
        _key_is_virtual: r._key_is_virtual === true
      }
      return {
        id: Number(r.id),
        uid: located.uid,
        key: located.key,
        storageKey: storageKeyOf(located),
        virtual: located._key_is_virtual,
        isFolder: isFolderRow(located),
        size: r.size === null || r.size === undefined ? null : Number(r.size),
        nFiles: located.n_files,
        hash: (r.hash as string | null) ?? null,
        hashType: located.hash_type,
        branch: Number(r.branch),
        label: labelOf(located)
      }
    })

/** Check that the instance's storage already holds the objects of a `--no-data` dump. */
const requirePresent = (artifacts: ReadonlyArray<StoredArtifact>) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const missing: Array<string> = []
    yield* Effect.forEach(
      artifacts,
      (a) =>
        Effect.map(
          a.isFolder ? Effect.map(store.list(a.storageKey), (l) => (l.length === 0 ? undefined : l.reduce((n, o) => n + o.size, 0))) : Effect.map(store.stat(a.storageKey), (s) => s?.size),
          (size) => void (size === undefined || (a.size !== null && size !== a.size) ? missing.push(`${a.label} at '${store.uri(a.storageKey)}'`) : undefined)
        ),
      { concurrency: 16, discard: true }
    )
    if (missing.length > 0)
      return yield* new IntegrityError({
        message: `This dump was made with --no-data and ${missing.length} of its objects are not in '${store.root}' with their recorded size: ${missing.slice(0, 5).join("; ")}${missing.length > 5 ? "; …" : ""}. Copy the objects into this storage first, or import a dump made with data.`
      })
  })

/** Import the dump in `dir` into the connected instance. */
export const importInstance = (dir: string, options: ImportOptions = {}) =>
  Effect.gen(function* () {
    if (typeof dir !== "string" || dir.trim() === "") return yield* new InvalidArgument({ message: "Pass the dump folder to import, e.g. 'lamina import backup/'." })
    const root = path.resolve(dir)
    const manifest = yield* readManifest(root)
    const sql = yield* SqlClient.SqlClient
    const instance = yield* Instance
    const store = yield* ObjectStore

    // The instance must have every dumped table and column (a dump from a newer Lamina may not fit).
    const local = new Map((yield* dumpPlan).map((t) => [t.table, t]))
    for (const t of manifest.tables) {
      const mine = local.get(t.table)
      if (mine === undefined && t.rows > 0)
        return yield* new InvalidArgument({ message: `The dump has table '${t.table}', which this instance does not: it was made by a newer Lamina; upgrade Lamina and import again.` })
      const extra = Object.keys(t.columns).filter((c) => mine !== undefined && !(c in mine.columns))
      if (extra.length > 0 && t.rows > 0)
        return yield* new InvalidArgument({ message: `The dump's '${t.table}' has column(s) ${extra.join(", ")} this instance does not: it was made by a newer Lamina; upgrade Lamina and import again.` })
    }
    const rows = new Map<string, ReadonlyArray<Json>>()
    for (const t of manifest.tables) rows.set(t.table, yield* readRows(root, t))

    // Objects of the artifacts this instance does not have yet.
    const artifactTable = manifest.tables.find((t) => t.table === ArtifactModel.table)
    const known = new Set((yield* sql<{ readonly uid: string }>`SELECT uid FROM ${sql(ArtifactModel.table)}`.pipe(Effect.mapError(sqlFailure("Reading artifacts")))).map((r) => r.uid))
    const incoming = artifactTable === undefined ? [] : dumpArtifacts(rows.get(artifactTable.table) ?? [], manifest.source.storage.id).filter((a) => !known.has(a.uid))
    const copied: Array<string> = []
    const transfer = manifest.data
      ? copyObjects(incoming, {
          copy: (key, onBytes) =>
            Effect.gen(function* () {
              const existed = yield* store.exists(key)
              const content = yield* store.putFile(path.join(root, OBJECTS_DIR, ...key.split("/")), key)
              if (!existed) copied.push(key)
              onBytes(content.size)
              return content
            }),
          list: (key) =>
            Effect.map(
              fsTry("Listing", key, () => listFiles(path.join(root, OBJECTS_DIR, ...key.split("/")))),
              (files) => files.map((f) => ({ key: `${key}/${f}`, size: 0 }))
            ),
          ...(options.onProgress ? { onProgress: options.onProgress } : {})
        })
      : Effect.as(requirePresent(incoming), { objects: 0, bytes: 0 })
    const [transferred, outcome] = yield* Effect.zip(transfer, Effect.suspend(() => insertAll(manifest, rows, instance.storage.id))).pipe(
      // Nothing committed: take back the objects this import copied. An interruption while the
      // one transaction's COMMIT is in flight ends the import although its rows exist (all or none:
      // one of its new artifacts tells).
      Effect.onError(() =>
        Effect.flatMap(mayHaveRow(incoming[0]?.uid), (kept) => (kept ? Effect.void : Effect.forEach(copied, (key) => Effect.ignore(store.remove(key)), { discard: true })))
      )
    )
    return { ...outcome, objects: transferred.objects, bytes: transferred.bytes } satisfies ImportReport
  })

/** Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters. */
const batchSize = (columns: number): number => Math.max(1, Math.floor(20_000 / Math.max(1, columns)))

/** Insert every table's new rows in one transaction; rows inserted per table and rows already there. */
const insertAll = (manifest: Manifest, rows: ReadonlyMap<string, ReadonlyArray<Json>>, storageId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const dialect = sqlDialect(yield* currentDialect)
    const inDump = new Set(manifest.tables.map((t) => t.table))
    /** Per table: the dump's id → the id the row has here. */
    const ids = new Map<string, Map<number, number>>()
    /** References to rows not inserted yet: set once every table is in. */
    const deferred: Array<{ readonly table: string; readonly column: string; readonly id: number; readonly refTable: string; readonly refId: number }> = []
    const inserted: Record<string, number> = {}
    let existing = 0

    for (const t of manifest.tables) {
      const map = new Map<number, number>()
      ids.set(t.table, map)
      const source = rows.get(t.table) ?? []
      if (t.table === "lamina_storage") map.set(manifest.source.storage.id, storageId)
      if (source.length === 0) continue
      // What the instance has: its ids, and its rows by each key.
      const keyCols = [...new Set(t.keys.flat())]
      const present = yield* sql<Json>`SELECT ${sql.literal([...(t.hasId ? ["id"] : []), ...keyCols].map((c) => `"${c}"`).join(", "))} FROM ${sql(t.table)}`
      const byKey = t.keys.map((k) => new Map<string, number>())
      const taken = new Set<number>()
      for (const r of present) {
        const id = t.hasId ? Number(r.id) : 0
        if (t.hasId) taken.add(id)
        t.keys.forEach((k, i) => {
          const s = keyOf(t.columns, k, r)
          if (s !== undefined) byKey[i]!.set(s, id)
        })
      }
      const fresh: Array<Record<string, string | number | null>> = []
      const renumbered: Array<{ readonly from: number; readonly values: Record<string, string | number | null> }> = []
      for (const row of source) {
        const srcId = t.hasId ? Number(row.id) : 0
        if (t.hasId && map.has(srcId)) continue
        const values: Json = { ...row }
        const late: Array<{ readonly column: string; readonly refTable: string; readonly refId: number }> = []
        for (const ref of t.references) {
          const v = row[ref.column]
          if (v === null || v === undefined || !inDump.has(ref.table)) continue
          const mapped = ids.get(ref.table)?.get(Number(v))
          if (mapped !== undefined) values[ref.column] = mapped
          else if (!t.nullable.includes(ref.column))
            return yield* new IntegrityError({ message: `The dump's ${t.table} row ${String(row.uid ?? row.id)} refers through ${ref.column} to ${ref.table} id ${String(v)}, which the dump does not hold: the dump is damaged; export it again.` })
          else {
            values[ref.column] = null
            // Rows of this or a later table: connected once they are in. A row missing from the
            // dump (dangling in the source) stays unconnected.
            if (ref.table === t.table || !ids.has(ref.table)) late.push({ column: ref.column, refTable: ref.table, refId: Number(v) })
          }
        }
        const match = t.keys.map((k, i) => {
          const s = keyOf(t.columns, k, values)
          return s === undefined ? undefined : byKey[i]!.get(s)
        }).find((id) => id !== undefined)
        if (match !== undefined) {
          if (t.hasId) map.set(srcId, match)
          existing++
          continue
        }
        const bound: Record<string, string | number | null> = {}
        for (const [c, type] of Object.entries(t.columns)) if (c !== "id") bound[c] = bind(type, values[c])
        if (t.hasId && taken.has(srcId)) renumbered.push({ from: srcId, values: bound })
        else {
          if (t.hasId) {
            bound.id = srcId
            map.set(srcId, srcId)
            taken.add(srcId)
          }
          fresh.push(bound)
        }
        for (const l of late) deferred.push({ table: t.table, column: l.column, id: srcId, refTable: l.refTable, refId: l.refId })
        // Later rows of this table may carry the same key (never in a consistent dump): first wins.
        t.keys.forEach((k, i) => {
          const s = keyOf(t.columns, k, values)
          if (s !== undefined) byKey[i]!.set(s, srcId)
        })
      }
      const size = batchSize(Object.keys(t.columns).length)
      for (let i = 0; i < fresh.length; i += size) yield* sql`INSERT INTO ${sql(t.table)} ${sql.insert(fresh.slice(i, i + size))}`
      const after = dialect.introspection.afterExplicitIds(t.table)
      if (t.hasId && fresh.length > 0 && after !== undefined) yield* runSql(after)
      // Ids taken here by other rows: the row gets a new one.
      for (const r of renumbered) {
        const out = yield* sql<{ readonly id: number | string }>`INSERT INTO ${sql(t.table)} ${sql.insert(r.values)} RETURNING id`
        map.set(r.from, Number(out[0]!.id))
      }
      inserted[t.table] = fresh.length + renumbered.length
    }

    // Connect the references to rows inserted after their referrer, grouped by value.
    const groups = new Map<string, { table: string; column: string; value: number; ids: Array<number> }>()
    for (const d of deferred) {
      const value = ids.get(d.refTable)?.get(d.refId)
      const id = ids.get(d.table)?.get(d.id)
      if (value === undefined || id === undefined) continue
      const k = `${d.table}\u0000${d.column}\u0000${value}`
      const g = groups.get(k) ?? { table: d.table, column: d.column, value, ids: [] }
      g.ids.push(id)
      groups.set(k, g)
    }
    for (const g of groups.values())
      for (let i = 0; i < g.ids.length; i += 5000)
        yield* sql`UPDATE ${sql(g.table)} SET ${sql(g.column)} = ${g.value} WHERE ${sql.in("id", g.ids.slice(i, i + 5000))}`
    return { inserted: Object.fromEntries(Object.entries(inserted).filter(([, n]) => n > 0)), existing }
  }).pipe(
    (effect) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect)),
    Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Importing the dump")(e)))
  )
