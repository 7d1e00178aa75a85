/**
 * The runner suite, shared by the local-folder (cluster.test.ts) and S3 (s3.test.ts) files:
 * three `layerWorker` processes on one Postgres instance (each a real @effect/cluster runner
 * with its own TCP server), callers in their own processes, all running one bundled script so
 * their step code is byte-identical.
 *
 * - a fan-out flow on the cluster records the same registry content as the same flow run
 *   locally on another instance, plus the runner and host of each step run;
 * - a cached rerun dispatches nothing;
 * - kill -9 of a runner mid-step: its calls run again on the others, the lost runs end
 *   `aborted`, the flow completes, and no output is registered twice.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCaller, startRunner, stopRunners, type ClusterInstance, type RunnerProcess } from "../../bench/distributed/processes.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { useS3Server } from "../support/s3.js"
import { bundleScript } from "../support/workers.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

/** Rows of `text` on `url`. */
export const query = async <R extends Record<string, unknown>>(url: string, text: string): Promise<ReadonlyArray<R>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows as ReadonlyArray<R>
  } finally {
    await client.end()
  }
}

/** What a flow recorded, independent of ids, uids, times and where its storage is. */
const registryContent = async (url: string) => ({
  runs: await query(url, `SELECT name, _status_code AS status, regexp_replace(params::text, 'Artifact\\[[0-9A-Za-z]+\\]', 'Artifact[uid]', 'g') AS params, cache_key FROM lamina_run WHERE name <> 'noops' ORDER BY name, cache_key NULLS FIRST, _status_code`),
  inputs: await query(
    url,
    `SELECT r.name, r.cache_key, a.key, a.hash FROM lamina_run_input_artifact l JOIN lamina_run r ON r.id = l.run_id JOIN lamina_artifact a ON a.id = l.artifact_id ORDER BY r.name, r.cache_key, a.key`
  ),
  outputs: await query(
    url,
    `SELECT a.key, a.hash, a.size, a.is_latest, a.branch, r.name AS run_name, r.cache_key FROM lamina_artifact a JOIN lamina_run r ON r.id = a.run_id WHERE a.key LIKE 'squares/%' ORDER BY a.key, a.id`
  )
})

/** The lines of an execution log (one per step body run: `what … pid`). */
export const executions = (log: string): ReadonlyArray<string> => {
  try {
    return readFileSync(log, "utf8").trim().split("\n").filter((l) => l.length > 0)
  } catch {
    return []
  }
}

/** The runner suite on local-folder or S3 (s3rver) storage. */
export const describeRunners = (storageKind: "local" | "s3"): void =>
  void (enabled ? describe : describe.skip)(`steps on runners (@effect/cluster, loopback, Postgres, ${storageKind} storage)`, () => {
    let script = ""
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cluster-"))
    const dbs: Array<{ readonly url: string; readonly drop: () => Promise<void> }> = []
    const runners: Array<RunnerProcess> = []
    const env = { LAMINA_TEST_EXEC_LOG: path.join(dir, "exec.log"), LAMINA_TEST_SCRATCH: path.join(dir, "scratch"), LAMINA_HOME: path.join(dir, "home") }
    const s3 = storageKind === "s3" ? useS3Server() : undefined
    let cluster: ClusterInstance
    let reference: ClusterInstance
    // With S3, every process has its own download cache, as on separate hosts.
    let processes = 0
    const own = (): NodeJS.ProcessEnv => (s3 === undefined ? {} : { LAMINA_CACHE_DIR: path.join(dir, "cache", String(processes++)) })
    const caller = (instance: ClusterInstance, call: Parameters<typeof runCaller>[2]) => runCaller(script, instance, call, own())

    beforeAll(async () => {
      Object.assign(process.env, env)
      script = await bundleScript("bench/distributed/node.ts")
      for (let i = 0; i < 2; i++) dbs.push(await createDatabase())
      const storage = async (name: string) => {
        if (s3 === undefined) {
          mkdirSync(path.join(dir, name), { recursive: true })
          return { storage: path.join(dir, name) }
        }
        return { storage: `s3://${await s3().createBucket()}/${name}`, s3: { endpoint: s3().endpoint, forcePathStyle: true } }
      }
      cluster = { ...(await storage("cluster")), db: dbs[0]!.url, failoverAfter: "10 seconds" }
      reference = { ...(await storage("local")), db: dbs[1]!.url }
      // The first connection migrates the instance; runners start on a migrated one.
      const first = await caller(cluster, { flow: "noops", args: [0, 0, 1], cluster: false }).result
      expect(first.ok, first.error).toBe(true)
      // One at a time: on a loaded machine, three processes connecting at once can time out.
      for (let i = 0; i < 3; i++) {
        const runner = await startRunner(script, cluster, { concurrency: 2, env: own() })
        runners.push(runner)
        await runner.ready
      }
    }, 300_000)

    afterAll(async () => {
      await stopRunners(runners)
      for (const d of dbs) await d.drop().catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
      rmSync(script, { force: true })
    }, 120_000)

    it("a fan-out on three runners records what a local run records, plus runner and host", async () => {
      const local = await caller(reference, { flow: "squares", args: [6, 0], cluster: false }).result
      expect(local.ok, local.error).toBe(true)
      const before = executions(env.LAMINA_TEST_EXEC_LOG).length
      const remote = await caller(cluster, { flow: "squares", args: [6, 0], cluster: true }).result
      expect(remote.ok, remote.error).toBe(true)
      expect(remote.value).toMatchObject({ sum: 91 })
      expect(await registryContent(cluster.db)).toEqual(await registryContent(reference.db))

      // Each square ran once, on runners (not in the caller), spread over more than one.
      const ran = executions(env.LAMINA_TEST_EXEC_LOG).slice(before)
      expect(ran.filter((l) => l.startsWith("square "))).toHaveLength(6)
      const pids = new Set(ran.map((l) => Number(l.split(" ").at(-1))))
      for (const pid of pids) expect(runners.map((r) => r.pid)).toContain(pid)
      expect(pids.size).toBeGreaterThan(1)

      // Runner and host per step run; progress lines name the runner.
      const placed = await query<{ runner: string | null; host: string | null; name: string }>(cluster.db, `SELECT name, runner, host FROM lamina_run WHERE name IN ('square', 'total')`)
      expect(placed).toHaveLength(7)
      for (const r of placed) {
        expect(r.runner).toMatch(/^127\.0\.0\.1:\d+$/)
        expect(r.host).toBe(os.hostname())
      }
      const running = remote.events.filter((e) => e.kind === "step" && e.status === "running")
      const done = remote.events.filter((e) => e.kind === "step" && e.status === "done")
      expect(running).toHaveLength(7)
      expect(done).toHaveLength(7)
      for (const e of [...running, ...done]) expect(e.runner).toMatch(/^127\.0\.0\.1:\d+$/)
      if (s3 !== undefined) {
        // The outputs are in the bucket, where the caller's total read them from.
        const stored = await query<{ key: string; storage: string }>(cluster.db, `SELECT a.key, s.root AS storage FROM lamina_artifact a JOIN lamina_storage s ON s.id = a.storage_id WHERE a.key LIKE 'squares/%'`)
        expect(stored).toHaveLength(7)
        for (const a of stored) expect(a.storage).toMatch(/^s3:\/\//)
      }
    }, 300_000)

    it("a cached rerun dispatches nothing", async () => {
      const dispatched = async () => Number((await query<{ n: string }>(cluster.db, `SELECT count(*) AS n FROM lamina_cluster_dispatch`))[0]!.n)
      const before = { log: executions(env.LAMINA_TEST_EXEC_LOG).length, dispatched: await dispatched() }
      const rerun = await caller(cluster, { flow: "squares", args: [6, 0], cluster: true }).result
      expect(rerun.ok, rerun.error).toBe(true)
      expect(rerun.value).toMatchObject({ sum: 91 })
      const steps = rerun.events.filter((e) => e.kind === "step")
      expect(steps).toHaveLength(7)
      for (const e of steps) {
        expect(e.status).toBe("cached")
        expect(e.runner).toBeUndefined()
      }
      expect(executions(env.LAMINA_TEST_EXEC_LOG).length - before.log).toBe(0)
      expect(await dispatched()).toBe(before.dispatched)
    }, 300_000)

    // Storage plays no part in it: run once, with the local suite.
    if (storageKind === "local")
      it("a cached step calling an uncached step on a runner checks what that step's query read: a new record makes it miss", async () => {
        const log = env.LAMINA_TEST_EXEC_LOG
        const census = async (expected: number) => {
          const r = await caller(cluster, { flow: "census", args: [], cluster: true }).result
          expect(r.ok, r.error).toBe(true)
          expect(r.value).toBe(expected)
          return r.events.filter((e) => e.kind === "step")
        }
        const enroll = async (n: number) => {
          const r = await caller(cluster, { flow: "enroll", args: [n], cluster: false }).result
          expect(r.ok, r.error).toBe(true)
        }
        const before = executions(log).length
        await enroll(1)
        const first = await census(1)
        expect(first.find((e) => e.name === "count-enrolled" && e.status === "done")?.runner).toMatch(/^127\.0\.0\.1:\d+$/)
        expect((await census(1)).map((e) => `${e.name} ${e.status}`)).toEqual(["census cached"])
        await enroll(2)
        await census(2)
        const ran = executions(log).slice(before).map((l) => l.split(" ")[0])
        expect(ran.filter((w) => w === "census")).toHaveLength(2)
        expect(ran.filter((w) => w === "count-enrolled")).toHaveLength(2)
      }, 300_000)

    // Storage plays no part in it: run once, with the local suite.
    if (storageKind === "local")
      it("a cached step calling a step that ran on a runner checks the files that step read: an edited file makes it miss", async () => {
        const log = env.LAMINA_TEST_EXEC_LOG
        const file = path.join(env.LAMINA_TEST_SCRATCH, "roster.txt")
        mkdirSync(env.LAMINA_TEST_SCRATCH, { recursive: true })
        const roster = async (expected: number) => {
          const r = await caller(cluster, { flow: "roster", args: [], cluster: true }).result
          expect(r.ok, r.error).toBe(true)
          expect(r.value).toBe(expected)
          return r.events.filter((e) => e.kind === "step")
        }
        const before = executions(log).length
        writeFileSync(file, "ada\ngrace\n")
        const first = await roster(2)
        expect(first.find((e) => e.name === "read-roster" && e.status === "done")?.runner).toMatch(/^127\.0\.0\.1:\d+$/)
        expect((await roster(2)).map((e) => `${e.name} ${e.status}`)).toEqual(["roster cached"])
        writeFileSync(file, "ada\ngrace\nkaren\n")
        await roster(3)
        const ran = executions(log).slice(before).map((l) => l.split(" ")[0])
        expect(ran.filter((w) => w === "roster")).toHaveLength(2)
        expect(ran.filter((w) => w === "read-roster")).toHaveLength(2)
      }, 300_000)

    it("kill -9 of a runner mid-step: its calls run again elsewhere, lost runs end aborted, nothing registered twice", async () => {
      const log = env.LAMINA_TEST_EXEC_LOG
      const before = executions(log).length
      // 6 calls of 5 s on 3 runners × 2 slots: every runner holds two when one is killed.
      const call = caller(cluster, { flow: "squares", args: [6, 5000], cluster: true, attempts: 3 })
      const victim = runners[0]!
      for (let i = 0; i < 600; i++) {
        if (executions(log).slice(before).some((l) => l.startsWith("square ") && Number(l.split(" ").at(-1)) === victim.pid)) break
        await new Promise((r) => setTimeout(r, 100))
      }
      victim.child.kill("SIGKILL")
      await victim.exited
      const result = await call.result
      expect(result.ok, result.error).toBe(true)
      expect(result.value).toMatchObject({ sum: 91 })

      const squares = await query<{ status: number; runner: string; error: string | null; cache_key: string }>(
        cluster.db,
        `SELECT _status_code AS status, runner, error::text AS error, cache_key FROM lamina_run WHERE name = 'square' AND params->>'delayMs' = '5000' ORDER BY id`
      )
      const aborted = squares.filter((r) => Number(r.status) === 2)
      const completed = squares.filter((r) => Number(r.status) === 0)
      expect(aborted.length).toBeGreaterThan(0)
      for (const r of aborted) {
        expect(r.runner).toBe(`127.0.0.1:${victim.port}`)
        expect(r.error).toContain("was lost while running it")
      }
      expect(completed).toHaveLength(6)
      expect(new Set(completed.map((r) => r.cache_key)).size).toBe(6)
      for (const r of completed) expect(r.runner).not.toBe(`127.0.0.1:${victim.port}`)
      // One live artifact per key, never two; no run left started, no claim left behind.
      const live = await query<{ key: string; n: string }>(cluster.db, `SELECT key, count(*) AS n FROM lamina_artifact WHERE key LIKE 'squares/%' AND branch <> -1 GROUP BY key`)
      for (const row of live) expect(Number(row.n)).toBe(1)
      expect(await query(cluster.db, `SELECT id FROM lamina_run WHERE _status_code = -1 AND name <> 'noops'`)).toEqual([])
      expect(await query(cluster.db, `SELECT cache_key FROM lamina_run_claim`)).toEqual([])
    }, 300_000)
  })
