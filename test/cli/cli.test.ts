import { spawn } from "node:child_process"
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cliPath, lamina, laminaJson } from "../support/cli.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, createSchema, postgresAvailable } from "../support/postgres.js"

const pgUp = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

for (const backend of ["sqlite", "pg"] as const) {
  ;(backend === "sqlite" || pgUp ? describe : describe.skip)(`lamina CLI [${backend}]`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cli-"))
    const home = path.join(dir, "home")
    const storage = path.join(dir, "storage")
    let drop: (() => Promise<void>) | undefined
    let db: ReadonlyArray<string> = []

    beforeAll(async () => {
      if (backend === "pg") {
        const database = await createDatabase()
        drop = database.drop
        db = ["--db", await createSchema(database.url)]
      }
    })
    afterAll(async () => {
      await drop?.()
      rmSync(dir, { recursive: true, force: true })
    })

    const write = (name: string, content: string) => {
      const p = path.join(dir, name)
      writeFileSync(p, content)
      return p
    }

    it("init creates an instance and remembers it; init again keeps the data", async () => {
      const info = await laminaJson(home, ["init", "--storage", storage, ...db, "--name", "cli-test"])
      expect(info).toMatchObject({ name: "cli-test", storage })
      const a = await laminaJson(home, ["save", write("keep.txt", "keep me"), "--key", "keep.txt"])
      expect(await laminaJson(home, ["init", "--storage", storage, ...db, "--name", "cli-test"])).toMatchObject({ name: "cli-test" })
      expect(await laminaJson(home, ["describe", "keep.txt"])).toMatchObject({ uid: a.uid })
    })

    it("save, new version, describe, ls, load, delete", async () => {
      const v1 = await laminaJson(home, ["save", write("data.csv", "a,b\n1,2\n"), "--key", "raw/data.csv", "--description", "first"])
      expect(Object.keys(v1)).toEqual(expect.arrayContaining(["uid", "key", "description", "suffix", "size", "hash", "hash_type", "n_files", "version", "is_latest", "branch", "created_at", "path"]))
      expect(v1).toMatchObject({ key: "raw/data.csv", suffix: ".csv", size: 8, version: "0000", is_latest: true, branch: 1, hash_type: "md5" })
      const v2 = await laminaJson(home, ["save", write("data.csv", "a,b\n1,2\n3,4\n"), "--key", "raw/data.csv"])
      expect(v2.version).toBe("0001")
      expect(String(v2.uid).slice(0, 16)).toBe(String(v1.uid).slice(0, 16))
      const described = await laminaJson(home, ["describe", "raw/data.csv"])
      expect(described).toMatchObject({ uid: v2.uid, is_latest: true, created_by: expect.any(String) })
      expect(await laminaJson(home, ["describe", String(v1.uid)])).toMatchObject({ uid: v1.uid, is_latest: false })
      const human = await lamina(home, ["describe", "raw/data.csv"])
      expect(human.stdout).toContain("├── uid:")
      expect(human.stdout).toContain("0001 (latest)")
      const listed = await laminaJson<Array<{ uid: string }>>(home, ["ls", "artifact", "--limit", "2"])
      expect(listed.map((a) => a.uid)).toEqual([v2.uid, v1.uid])
      const loaded = await lamina(home, ["load", "raw/data.csv"])
      expect(loaded.stdout.trim()).toBe(v2.path)
      expect(await laminaJson(home, ["delete", "raw/data.csv"])).toMatchObject({ deleted: "trash" })
      expect(await laminaJson(home, ["describe", "raw/data.csv"])).toMatchObject({ uid: v1.uid, is_latest: true })
    })

    it("fails with one clear line and a non-zero exit, changing nothing", async () => {
      const before = (await laminaJson<Array<unknown>>(home, ["ls", "artifact", "--limit", "100"])).length
      const stored = readdirSync(path.join(storage, ".lamina")).length
      for (const [args, pattern] of [
        [["save", path.join(dir, "missing.txt"), "--key", "m.txt"], /does not exist/],
        [["save", write("x.txt", "x"), "--key", "../x.txt"], /cannot point outside/],
        [["save", write("y.txt", "y"), "--key", "/abs.txt"], /relative path/],
        [["describe", "no/such/key"], /No artifact, run or transform 'no\/such\/key'/],
        [["load", "0123456789abcdefABCD"], /No artifact/],
        [["ls", "nonsense"], /Unknown registry/],
        [["frobnicate"], /Unknown command/],
        [["save", "--bogus"], /Unknown option/]
      ] as const) {
        const r = await lamina(home, args)
        expect(r.code, args.join(" ")).not.toBe(0)
        expect(r.stderr).toMatch(pattern)
        expect(r.stderr.trim().split("\n")).toHaveLength(1)
        expect(r.stdout).toBe("")
      }
      expect((await laminaJson<Array<unknown>>(home, ["ls", "artifact", "--limit", "100"])).length).toBe(before)
      expect(readdirSync(path.join(storage, ".lamina")).length).toBe(stored)
    })

    it("leaves no row and no registered file when killed mid-save", async () => {
      const big = path.join(dir, "big.bin")
      const fd = openSync(big, "w")
      const chunk = Buffer.alloc(16 * 1024 * 1024, 1)
      for (let i = 0; i < 24; i++) writeSync(fd, chunk)
      closeSync(fd)
      const before = (await laminaJson<Array<unknown>>(home, ["ls", "artifact", "--limit", "100"])).length
      const child = spawn(process.execPath, [cliPath, "save", big, "--key", "big.bin"], { env: { ...process.env, LAMINA_HOME: home }, stdio: "ignore" })
      const lamDir = path.join(storage, ".lamina")
      // Kill as soon as the copy has started (its temporary file exists).
      for (let i = 0; i < 400 && !readdirSync(lamDir).some((f) => f.endsWith(".tmp")); i++) await new Promise((r) => setTimeout(r, 5))
      child.kill("SIGKILL")
      await new Promise((r) => child.once("exit", r))
      expect((await laminaJson<Array<unknown>>(home, ["ls", "artifact", "--limit", "100"])).length).toBe(before)
      expect(readdirSync(lamDir).filter((f) => f.endsWith(".bin"))).toEqual([])
      expect((await lamina(home, ["describe", "big.bin"])).code).toBe(1)
    })

    it("reports an unreachable database without touching settings", async () => {
      const other = path.join(dir, "home2")
      const r = await lamina(other, ["init", "--storage", path.join(dir, "s2"), "--db", "postgresql://nobody@127.0.0.1:1/none"])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/Cannot connect to the Postgres registry/)
      expect((await lamina(other, ["ls"])).stderr).toMatch(/No Lamina instance is configured/)
    })

    it("fails, and returns, when a folder cannot be made (Node's recursive mkdir never returns under /proc)", async () => {
      const other = path.join(dir, "home3")
      const storageIn = await lamina(other, ["init", "--storage", "/proc/lamina-storage", ...db])
      expect(storageIn.code).toBe(1)
      // The default SQLite registry lives in the storage folder: on SQLite that is what fails first.
      expect(storageIn.stderr).toMatch(/(Creating storage root|Cannot open the SQLite registry) '\/proc\/lamina-storage/)
      const dbIn = await lamina(other, ["init", "--storage", path.join(dir, "s3"), "--db", "/proc/lamina-db/registry.db"])
      expect(dbIn.code).toBe(1)
      expect(dbIn.stderr).toMatch(/Cannot open the SQLite registry '\/proc\/lamina-db\/registry.db'/)
      expect((await lamina(other, ["ls"])).stderr).toMatch(/No Lamina instance is configured/)
    })
  })
}
