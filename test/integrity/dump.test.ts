/**
 * `exportInstance` / `importInstance`: a dump moves an instance to another backend and storage
 * — {SQLite, Postgres} × {local, S3}, and SQLite + local → Postgres + s3rver and back — keeping
 * every uid, hash, version, run, link and lineage edge; the moved instance answers the same
 * queries, verifies clean with `check --deep`, and its cache still hits. Importing twice
 * changes nothing; a damaged dump or a `--no-data` dump without the objects is refused with
 * nothing written.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Exit, Fiber } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { check, exportInstance, importInstance } from "../../src/integrity/index.js"
import { upstream } from "../../src/lineage/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { connect, describeBackends, type TestInstance } from "../support/backends.js"
import { createDatabase, createSchema } from "../support/postgres.js"
import { useS3Server } from "../support/s3.js"
import { commitInFlight, slowCommits } from "../support/slowCommit.js"
import { fileTrees } from "../support/tree.js"
import { loadText, saveText } from "../flow/support.js"

const clean = step("dump-clean", (raw: Artifact, dir: string) => Effect.flatMap(loadText(raw), (t) => saveText(dir, `clean/${raw.key!.split("/").pop()}`, t.trim().toLowerCase())))
const combine = step("dump-combine", (a: Artifact, b: Artifact, dir: string, sep = " | ") =>
  Effect.gen(function* () {
    return yield* saveText(dir, "final.txt", `${yield* loadText(a)}${sep}${yield* loadText(b)}`)
  })
)
const pipeline = flow("dump-pipeline", (raw1: Artifact, raw2: Artifact, dir: string) =>
  Effect.gen(function* () {
    const [c1, c2] = yield* Effect.all([clean(raw1, dir), clean(raw2, dir)], { concurrency: 2 })
    return yield* combine(c1, c2, dir)
  })
)

/** An instance with versions, trash, a folder, and a tracked pipeline's lineage. */
const populate = async (i: TestInstance) => {
  await i.run(saveText(i.dir, "raw/one.txt", "  first draft "))
  const raw1 = await i.run(saveText(i.dir, "raw/one.txt", "  Hello World "))
  const raw2 = await i.run(saveText(i.dir, "raw/two.txt", " SECOND "))
  const trashed = await i.run(saveText(i.dir, "old/gone.txt", "to trash"))
  await i.run(trashed.delete())
  const folder = path.join(i.dir, "folder")
  mkdirSync(path.join(folder, "sub"), { recursive: true })
  writeFileSync(path.join(folder, "a.csv"), "a,b\n1,2\n")
  writeFileSync(path.join(folder, "sub", "b.txt"), "nested")
  await i.run(Effect.flatMap(Artifact.fromPath(folder, { key: "folders/set" }), (p) => p.save()))
  const final = await i.run(pipeline(raw1, raw2, i.dir))
  return { raw1, raw2, final }
}

/** What a user can ask an instance, with ids replaced by uids. */
const snapshot = (i: TestInstance, final: Artifact) =>
  i.run(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const artifacts = yield* sql`
        SELECT a.uid, a.key, a.hash, a.hash_type, a.size, a.n_files, a.suffix, a.version_tag, a.is_latest, a.branch, a.kind, a.description, r.uid AS run
        FROM lamina_artifact a LEFT JOIN lamina_run r ON r.id = a.run_id ORDER BY a.uid`
      const runs = yield* sql`
        SELECT r.uid, r.name, r._status_code AS status, r.params, r.cache_key, t.uid AS transform, p.uid AS parent, u.uid AS reused, e.uid AS environment
        FROM lamina_run r JOIN lamina_transform t ON t.id = r.transform_id LEFT JOIN lamina_run p ON p.id = r.initiated_by_run_id
        LEFT JOIN lamina_run u ON u.id = r.reused_run_id LEFT JOIN lamina_artifact e ON e.id = r.environment_id ORDER BY r.uid`
      const inputs = yield* sql`SELECT r.uid AS run, a.uid AS artifact FROM lamina_run_input_artifact l JOIN lamina_run r ON r.id = l.run_id JOIN lamina_artifact a ON a.id = l.artifact_id ORDER BY r.uid, a.uid`
      const transforms = yield* sql`SELECT uid, key, hash, is_latest, source_code FROM lamina_transform ORDER BY uid`
      const latest = yield* Artifact.filter({ key__startswith: "raw/" }).orderBy("key").toArray()
      const graph = yield* upstream(final.uid)
      return {
        artifacts: artifacts.map((r) => ({ ...r, is_latest: Boolean(r.is_latest), size: Number(r.size), n_files: Number(r.n_files), branch: Number(r.branch) })),
        runs: runs.map((r) => ({ ...r, status: Number(r.status), params: typeof r.params === "string" ? JSON.parse(r.params) : r.params })),
        inputs,
        transforms: transforms.map((t) => ({ ...t, is_latest: Boolean(t.is_latest) })),
        query: latest.map((a) => [a.key, a.uid, a.version]),
        graph: { nodes: graph.nodes.map((n) => n.id).sort(), edges: graph.edges.map((e) => `${e.from}->${e.to}`).sort() }
      }
    }).pipe(Effect.orDie)
  )

/** A temporary folder, removed when this file's tests end. */
const dumpFolders = fileTrees("lamina-dump-")
const tempDir = (): string => dumpFolders({})

/** Move `from` into `to` through a dump; both answer alike, `to` checks clean and still hits its cache. */
const moveAndCompare = async (from: TestInstance, to: TestInstance, options: { readonly data?: boolean } = {}) => {
  const { raw1, raw2, final } = await populate(from)
  const dir = path.join(tempDir(), "dump")
  const exported = await from.run(exportInstance(dir, options))
  expect(exported.tables.find((t) => t.table === "lamina_artifact")!.rows).toBeGreaterThan(5)
  const imported = await to.run(importInstance(dir))
  expect(imported.inserted.lamina_artifact).toBe(exported.tables.find((t) => t.table === "lamina_artifact")!.rows)
  expect(await snapshot(to, final)).toEqual(await snapshot(from, final))
  const checked = await to.run(check({ deep: true }))
  expect(checked.problems).toEqual([])
  // Again: nothing changes.
  const again = await to.run(importInstance(dir))
  expect(again.inserted).toEqual({})
  expect(again.objects).toBe(0)
  expect(await snapshot(to, final)).toEqual(await snapshot(from, final))
  // The moved instance's cache holds: the same pipeline is all hits and returns the same artifact.
  const r1 = await to.run(Artifact.get(raw1.uid))
  const r2 = await to.run(Artifact.get(raw2.uid))
  // `dir` is a param of the steps: the same value, as a rerun on the moved instance passes.
  const rerun = await to.run(pipeline(r1, r2, from.dir))
  expect(rerun.uid).toBe(final.uid)
  const statuses = await to.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly name: string; readonly s: number }>`SELECT name, _status_code AS s FROM lamina_run WHERE name LIKE 'dump-c%' ORDER BY id`))
  expect(statuses.slice(-3).map((r) => Number(r.s))).toEqual([3, 3, 3])
  expect(Buffer.from(await to.run(rerun.load())).toString()).toBe("hello world | second")
  rmSync(path.dirname(dir), { recursive: true, force: true })
}

describeBackends(
  "export and import",
  ({ instance, backend }) => {
    it("moves an instance keeping uids, hashes, versions, runs, links and lineage; a second import changes nothing", async () => {
      await moveAndCompare(await instance(), await instance())
    })

    it("refuses a dump whose object is damaged, and writes nothing", async () => {
      const from = await instance()
      const a = await from.run(saveText(from.dir, "x.txt", "original"))
      const dir = path.join(tempDir(), "dump")
      await from.run(exportInstance(dir))
      writeFileSync(path.join(dir, "objects", ".lamina", `${a.uid}.txt`), "tampered")
      const to = await instance()
      const e = await to.fail(importInstance(dir))
      expect(e._tag).toBe("IntegrityError")
      expect(e.message).toContain(a.uid)
      expect(await to.run(Artifact.filter({ key: "x.txt" }).count())).toBe(0)
      expect(await to.exists(`.lamina/${a.uid}.txt`)).toBe(false)
    })

    it("refuses an export into a folder that is not empty, and a folder that is not a dump", async () => {
      const i = await instance()
      const dir = tempDir()
      writeFileSync(path.join(dir, "x"), "x")
      expect((await i.fail(exportInstance(dir)))._tag).toBe("InvalidArgument")
      expect(readdirSync(path.dirname(dir)).some((n) => n.startsWith(`.${path.basename(dir)}.`))).toBe(false)
      expect((await i.fail(importInstance(dir))).message).toContain("is not a Lamina dump")
      // A manifest of the wrong shape names the field at fault, not the whole manifest schema.
      writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ format: "lamina-dump", version: 1 }))
      const wrong = await i.fail(importInstance(dir))
      expect(wrong.message).toContain("is not a Lamina dump this version reads: 'createdAt' is missing")
      expect(wrong.message).not.toContain("readonly")
    })

    it("--no-data: rows only; import requires the objects in the new instance's storage", async () => {
      const from = await instance()
      const a = await from.run(saveText(from.dir, "n.txt", "no data"))
      const dir = path.join(tempDir(), "dump")
      const r = await from.run(exportInstance(dir, { data: false }))
      expect(r.objects).toBe(0)
      expect(readdirSync(dir).sort()).toEqual(["manifest.json", "tables"])
      const to = await instance()
      const e = await to.fail(importInstance(dir))
      expect(e.message).toContain("--no-data")
      expect(e.message).toContain(a.uid)
      await to.putRaw(`.lamina/${a.uid}.txt`, "no data")
      const done = await to.run(importInstance(dir))
      expect(done.inserted.lamina_artifact).toBe(1)
      expect((await to.run(check({ deep: true }))).problems).toEqual([])
    })

    it.skipIf(backend !== "pg")("an import interrupted while its COMMIT is in flight keeps the objects of the rows it committed", async () => {
      const from = await instance()
      const a = await from.run(saveText(from.dir, "slow/x.txt", "imported while interrupted"))
      const dir = path.join(tempDir(), "dump")
      await from.run(exportInstance(dir))
      const to = await instance()
      await slowCommits(to)
      const exit = await to.run(
        Effect.gen(function* () {
          const fiber = yield* Effect.fork(importInstance(dir))
          yield* commitInFlight
          return yield* Fiber.interrupt(fiber)
        })
      )
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect((await to.run(Artifact.get(a.uid))).key).toBe("slow/x.txt")
      expect(await to.exists(`.lamina/${a.uid}.txt`)).toBe(true)
      expect((await to.run(check({ deep: true }))).problems).toEqual([])
    })
  },
  { storages: ["local", "s3"] }
)

describe("export SQLite + local, import Postgres + S3 (and back)", () => {
  const s3 = useS3Server()
  let database: { readonly url: string; readonly drop: () => Promise<void> } | undefined
  const opened: Array<TestInstance> = []
  const dirs: Array<string> = []
  beforeAll(async () => {
    database = await createDatabase()
  })
  afterAll(async () => {
    for (const i of opened) await i.close()
    await database?.drop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  const sqliteLocal = async () => {
    const dir = tempDir()
    dirs.push(dir)
    const i = await connect("sqlite", path.join(dir, "storage"), path.join(dir, "registry.db"), dir)
    opened.push(i)
    return i
  }
  const pgS3 = async () => {
    const dir = tempDir()
    dirs.push(dir)
    const bucket = await s3().createBucket()
    const i = await connect("pg", `s3://${bucket}/moved`, await createSchema(database!.url), dir, { endpoint: s3().endpoint, forcePathStyle: true })
    opened.push(i)
    return i
  }

  it("SQLite + local → Postgres + s3rver: same answers, same lineage, clean deep check, cache hits", async () => {
    await moveAndCompare(await sqliteLocal(), await pgS3())
  })

  it("Postgres + s3rver → SQLite + local", async () => {
    await moveAndCompare(await pgS3(), await sqliteLocal())
  })
})
