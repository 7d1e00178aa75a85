/**
 * `exportInstance`: write a portable dump of the connected instance — every dumped table (see
 * `plan.ts`) as JSON lines, read in one consistent snapshot, and the stored objects of the
 * instance's artifacts, each verified against its recorded hash as it is copied. The dump is
 * assembled under a temporary sibling name and renamed into place: the folder appears whole
 * or not at all.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { existsSync, promises as fs, readdirSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument, StorageError } from "../../errors.js"
import { Instance } from "../../instance/Instance.js"
import { sqlFailure } from "../../registry/crud.js"
import { decodeValue } from "../../registry/model.js"
import { ObjectStore } from "../../storage/ObjectStore.js"
import { artifactsOfStorage } from "../inventory.js"
import { DUMP_FORMAT, DUMP_VERSION, MANIFEST_FILE, OBJECTS_DIR, TABLES_DIR, type Manifest, type ManifestTable } from "./manifest.js"
import { dumpPlan, type DumpTable } from "./plan.js"
import { copyObjects, type TransferProgressSink } from "./transfer.js"

/** Options of `exportInstance`. */
export interface ExportOptions {
  /** Copy the stored objects into the dump (default true); false writes references only. */
  readonly data?: boolean
  readonly onProgress?: TransferProgressSink
}

/** What an export wrote. */
export interface ExportReport {
  readonly dir: string
  readonly tables: ReadonlyArray<{ readonly table: string; readonly rows: number }>
  readonly objects: number
  readonly bytes: number
}

/** Rows read per query: bounded memory for registries of any size. */
const PAGE = 5000

const fsTry = <A>(what: string, file: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (cause) => new StorageError({ message: `${what} '${file}' failed: ${cause instanceof Error ? cause.message : String(cause)}. Check that the folder is writable and has space.`, path: file, cause })
  })

/** A raw row as plain JSON, by the column types. */
const toJsonLine = (table: DumpTable, raw: Record<string, unknown>): string => {
  const out: Record<string, unknown> = {}
  for (const [name, type] of Object.entries(table.columns)) out[name] = decodeValue(type, raw[name])
  return JSON.stringify(out)
}

/** Write one table's rows as JSON lines; the row count. */
const dumpTable = (table: DumpTable, file: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const handle = yield* fsTry("Writing", file, () => fs.open(file, "w"))
    let rows = 0
    yield* Effect.gen(function* () {
      if (!table.hasId) {
        const all = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(table.table)}`
        if (all.length > 0) yield* fsTry("Writing", file, () => handle.write(all.map((r) => toJsonLine(table, r)).join("\n") + "\n"))
        rows = all.length
        return
      }
      // Keyset pages in id order: the order rows are inserted again on import.
      let after = -1
      for (;;) {
        const page = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(table.table)} WHERE id > ${after} ORDER BY id LIMIT ${PAGE}`
        if (page.length === 0) break
        yield* fsTry("Writing", file, () => handle.write(page.map((r) => toJsonLine(table, r)).join("\n") + "\n"))
        rows += page.length
        after = Number(page[page.length - 1]!.id)
        if (page.length < PAGE) break
      }
    }).pipe(Effect.ensuring(Effect.promise(() => handle.close())))
    return rows
  })

/** The target folder: new, or an existing empty folder. */
const checkTarget = (dir: string) =>
  Effect.gen(function* () {
    if (typeof dir !== "string" || dir.trim() === "") return yield* new InvalidArgument({ message: "Pass the folder to export to, e.g. 'lamina export backup/'." })
    const abs = path.resolve(dir)
    if (existsSync(abs) && (!statSync(abs).isDirectory() || readdirSync(abs).length > 0))
      return yield* new InvalidArgument({ message: `'${abs}' already exists and is not an empty folder: export into a new folder.` })
    return abs
  })

/** Export the connected instance into `dir` (a new or empty folder). */
export const exportInstance = (dir: string, options: ExportOptions = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const instance = yield* Instance
    const store = yield* ObjectStore
    const target = yield* checkTarget(dir)
    const data = options.data ?? true
    const staging = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(6).toString("hex")}.partial`)
    yield* fsTry("Creating", staging, () => fs.mkdir(path.join(staging, TABLES_DIR), { recursive: true }))
    return yield* Effect.gen(function* () {
      // One snapshot for every table: Postgres REPEATABLE READ; SQLite's write lock holds writers off.
      const { tables, artifacts } = yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql.onDialectOrElse({ pg: () => sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`, orElse: () => Effect.void })
          const plan = yield* dumpPlan
          const tables: Array<ManifestTable> = []
          for (const t of plan) {
            const file = `${TABLES_DIR}/${t.table}.jsonl`
            const rows = yield* dumpTable(t, path.join(staging, file))
            tables.push({ ...t, file, rows })
          }
          return { tables, artifacts: yield* artifactsOfStorage(instance.storage.id) }
        })
      ).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Reading the registry for export")(e))))
      const copied: { objects: number; bytes: number } = data
        ? yield* copyObjects(artifacts, {
            copy: (key, onBytes) => store.download(key, path.join(staging, OBJECTS_DIR, ...key.split("/")), onBytes),
            list: (key) => store.list(key),
            ...(options.onProgress ? { onProgress: options.onProgress } : {})
          })
        : { objects: 0, bytes: 0 }
      const manifest: Manifest = {
        format: DUMP_FORMAT,
        version: DUMP_VERSION,
        createdAt: new Date().toISOString(),
        source: {
          dialect: instance.dialect,
          storage: { id: instance.storage.id, uid: instance.storage.uid, root: instance.storage.root, type: instance.storage.type }
        },
        data,
        objects: { count: copied.objects, bytes: copied.bytes },
        tables
      }
      yield* fsTry("Writing", MANIFEST_FILE, () => fs.writeFile(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n"))
      if (existsSync(target)) yield* fsTry("Replacing", target, () => fs.rmdir(target))
      yield* fsTry("Renaming", staging, () => fs.rename(staging, target))
      return { dir: target, tables: tables.map((t) => ({ table: t.table, rows: t.rows })), objects: copied.objects, bytes: copied.bytes } satisfies ExportReport
    }).pipe(Effect.onError(() => Effect.promise(() => fs.rm(staging, { recursive: true, force: true }))))
  })
