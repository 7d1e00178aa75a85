/**
 * Many writers, nothing lost: real OS processes saving into one instance at once, on SQLite
 * (WAL + BEGIN IMMEDIATE) and Postgres (advisory locks), with local and S3 storage.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it, vi } from "vitest"

import { workerContent } from "../../bench/team/content.js"
import type { WorkerConfig } from "../../bench/team/worker.js"
import { runWorkers } from "../../bench/team/spawn.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { BASE62 } from "../../src/registry/uid.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { bundleScript } from "../support/workers.js"

// Many OS processes on a 2-core machine shared with the rest of the suite: minutes, not seconds.
vi.setConfig({ testTimeout: 300_000 })

const PROCESSES = 8
const SAVES = 50
/** A safety net for loaded CI machines (8 processes start, 400 saves); nothing asserts a duration. */
const GENEROUS = 300_000

let worker = ""
beforeAll(async () => {
  worker = await bundleScript("bench/team/worker.ts")
})
afterAll(() => rmSync(worker, { force: true }))

/** `n` as a 4-digit base62 version suffix. */
const suffix = (n: number): string => {
  let s = ""
  for (let i = 0; i < 4; i++) {
    s = BASE62[n % 62] + s
    n = Math.floor(n / 62)
  }
  return s
}

const configs = (i: TestInstance, mode: WorkerConfig["mode"], key: string, count: number, extra: Partial<WorkerConfig> = {}) =>
  Array.from({ length: PROCESSES }, (_, p): WorkerConfig => ({
    storage: i.storage,
    db: i.db,
    ...(i.s3 ? { s3: i.s3 } : {}),
    mode,
    key,
    count,
    id: `w${p}`,
    dir: path.join(i.dir, "workers", mode),
    ...extra
  }))

const slotsLeft = (i: TestInstance) =>
  i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_artifact_slot`)).then((r) => Number(r[0]!.n))

describeBackends(
  "many writer processes",
  ({ instance }) => {
    it(`${PROCESSES} processes x ${SAVES} new versions of one key: consecutive versions, one is_latest, every byte in place`, async () => {
      const i = await instance()
      const seed = await i.run(Effect.flatMap(Artifact.fromPath(await seedFile(i), { key: "shared/data.txt" }), (p) => p.save()))
      const results = await runWorkers(worker, configs(i, "versions", "shared/data.txt", SAVES))
      const uids = results.flatMap((r) => r.uids)
      expect(uids).toHaveLength(PROCESSES * SAVES)
      expect(new Set(uids).size).toBe(PROCESSES * SAVES)
      expect(uids.every((u) => u.startsWith(seed.stem))).toBe(true)

      const versions = await i.run(seed.versions)
      const total = PROCESSES * SAVES + 1
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: total }, (_, n) => suffix(n)))
      expect(versions.map((v) => v.version).at(-1)).toBe(suffix(PROCESSES * SAVES))
      const latest = versions.filter((v) => v.is_latest)
      expect(latest.map((v) => v.uid)).toEqual([versions.at(-1)!.uid])
      expect((await i.run(Artifact.get({ key: "shared/data.txt" }))).uid).toBe(latest[0]!.uid)

      // Every version's bytes are its own: stored under its uid, with its recorded hash.
      expect(await i.storedKeys(".lamina")).toEqual(versions.map((v) => v.storageKey).sort())
      for (const v of versions.filter((_, n) => n % 37 === 0 || n === total - 1)) {
        const content = Buffer.from(await i.run(v.load())).toString()
        const worker = results.find((r) => r.uids.includes(v.uid))
        expect(content).toBe(worker === undefined ? "seed" : workerContent("shared/data.txt", worker.id, worker.uids.indexOf(v.uid), "versions"))
      }
      expect(await slotsLeft(i)).toBe(0)
    }, GENEROUS)

    it(`${PROCESSES} processes saving the same content at once get one artifact`, async () => {
      const i = await instance()
      const results = await runWorkers(worker, configs(i, "same", "same/data.txt", 5, { content: "identical bytes" }))
      const uids = new Set(results.flatMap((r) => r.uids))
      expect(uids.size).toBe(1)
      const rows = await i.run(Artifact.filter({ hash: "RqtzC9ky4P_JSBaJrAL2XA" }).toArray())
      expect(rows.map((r) => r.uid)).toEqual([...uids])
      expect(await i.storedKeys(".lamina")).toEqual([rows[0]!.storageKey])
      expect(await slotsLeft(i)).toBe(0)
    }, GENEROUS)

    it(`${PROCESSES} processes saving the same content under their own keys at once get one artifact`, async () => {
      const i = await instance()
      const results = await runWorkers(worker, configs(i, "same", "", 5, { content: "identical bytes, own keys" }).map((c) => ({ ...c, key: `own/${c.id}.txt` })))
      const uids = new Set(results.flatMap((r) => r.uids))
      expect(uids.size).toBe(1)
      const rows = await i.run(Artifact.filter({ key__startswith: "own/" }).toArray())
      expect(rows.map((r) => r.uid)).toEqual([...uids])
      expect(await i.storedKeys(".lamina")).toEqual([rows[0]!.storageKey])
    }, GENEROUS)
  },
  { storages: ["local", "s3"] }
)

const seedFile = async (i: TestInstance) => {
  const p = path.join(i.dir, "seed.txt")
  mkdirSync(i.dir, { recursive: true })
  writeFileSync(p, "seed")
  return p
}
