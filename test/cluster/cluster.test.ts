/**
 * Runners on loopback: three `layerWorker` processes on one Postgres instance (each a real
 * @effect/cluster runner with its own TCP server), callers in their own processes, all
 * running one bundled script so their step code is byte-identical.
 *
 * - a fan-out flow on the cluster records the same registry content as the same flow run
 *   locally on another instance, plus the runner and host of each step run;
 * - a cached rerun dispatches nothing;
 * - kill -9 of a runner mid-step: its calls run again on the others, the lost runs end
 *   `aborted`, the flow completes, and no output is registered twice;
 * - a runner with another version of a step refuses it, naming the step and both hashes; with
 *   a runner of the right version in the cluster too, the call moves there and completes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCaller, startRunner, stopRunners, type ClusterInstance, type RunnerProcess } from "../../bench/distributed/processes.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { bundleScript } from "../support/workers.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

const query = async <R extends Record<string, unknown>>(url: string, text: string): Promise<ReadonlyArray<R>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows as ReadonlyArray<R>
  } finally {
    await client.end()
  }
}

/** What a flow recorded, independent of ids, uids and times. */
const registryContent = async (url: string) => ({
  runs: await query(url, `SELECT name, _status_code AS status, regexp_replace(params::text, 'Artifact\[[0-9A-Za-z]+\]', 'Artifact[uid]', 'g') AS params, cache_key FROM lamina_run WHERE name <> 'noops' ORDER BY name, cache_key NULLS FIRST, _status_code`),
  inputs: await query(
    url,
    `SELECT r.name, r.cache_key, a.key, a.hash FROM lamina_run_input_artifact l JOIN lamina_run r ON r.id = l.run_id JOIN lamina_artifact a ON a.id = l.artifact_id ORDER BY r.name, r.cache_key, a.key`
  ),
  outputs: await query(
    url,
    `SELECT a.key, a.hash, a.size, a.is_latest, a.branch, r.name AS run_name, r.cache_key FROM lamina_artifact a JOIN lamina_run r ON r.id = a.run_id WHERE a.key LIKE 'squares/%' ORDER BY a.key, a.id`
  )
})

const executions = (log: string): ReadonlyArray<string> => {
  try {
    return readFileSync(log, "utf8").trim().split("\n").filter((l) => l.length > 0)
  } catch {
    return []
  }
}

;(enabled ? describe : describe.skip)("steps on runners (@effect/cluster, loopback, Postgres)", () => {
  let script = ""
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cluster-"))
  const dbs: Array<{ readonly url: string; readonly drop: () => Promise<void> }> = []
  const runners: Array<RunnerProcess> = []
  const env = { LAMINA_TEST_EXEC_LOG: path.join(dir, "exec.log"), LAMINA_TEST_SCRATCH: path.join(dir, "scratch"), LAMINA_HOME: path.join(dir, "home") }
  let cluster: ClusterInstance
  let reference: ClusterInstance

  beforeAll(async () => {
    Object.assign(process.env, env)
    script = await bundleScript("bench/distributed/node.ts")
    for (let i = 0; i < 3; i++) dbs.push(await createDatabase())
    mkdirSync(path.join(dir, "cluster"), { recursive: true })
    mkdirSync(path.join(dir, "local"), { recursive: true })
    cluster = { storage: path.join(dir, "cluster"), db: dbs[0]!.url, failoverAfter: "10 seconds" }
    reference = { storage: path.join(dir, "local"), db: dbs[1]!.url }
    // The first connection migrates the instance; runners start on a migrated one.
    const first = await runCaller(script, cluster, { flow: "noops", args: [0, 0, 1], cluster: false }).result
    expect(first.ok).toBe(true)
    // One at a time: on a loaded machine, three processes connecting at once can time out.
    for (let i = 0; i < 3; i++) {
      const runner = await startRunner(script, cluster, { concurrency: 2 })
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
    const local = await runCaller(script, reference, { flow: "squares", args: [6, 0], cluster: false }).result
    expect(local.ok, local.error).toBe(true)
    const before = executions(env.LAMINA_TEST_EXEC_LOG).length
    const remote = await runCaller(script, cluster, { flow: "squares", args: [6, 0], cluster: true }).result
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
  }, 300_000)

  it("a cached rerun dispatches nothing", async () => {
    const dispatched = async () => Number((await query<{ n: string }>(cluster.db, `SELECT count(*) AS n FROM lamina_cluster_dispatch`))[0]!.n)
    const before = { log: executions(env.LAMINA_TEST_EXEC_LOG).length, dispatched: await dispatched() }
    const rerun = await runCaller(script, cluster, { flow: "squares", args: [6, 0], cluster: true }).result
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

  it("kill -9 of a runner mid-step: its calls run again elsewhere, lost runs end aborted, nothing registered twice", async () => {
    const log = env.LAMINA_TEST_EXEC_LOG
    const before = executions(log).length
    // 6 calls of 5 s on 3 runners × 2 slots: every runner holds two when one is killed.
    const caller = runCaller(script, cluster, { flow: "squares", args: [6, 5000], cluster: true, attempts: 3 })
    const victim = runners[0]!
    for (let i = 0; i < 600; i++) {
      if (executions(log).slice(before).some((l) => l.startsWith("square ") && Number(l.split(" ").at(-1)) === victim.pid)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    victim.child.kill("SIGKILL")
    await victim.exited
    const result = await caller.result
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

  it("a runner with another version of a step refuses it, naming the step and both hashes", async () => {
    const stale: ClusterInstance = { storage: path.join(dir, "stale"), db: dbs[2]!.url }
    mkdirSync(stale.storage, { recursive: true })
    const first = await runCaller(script, stale, { flow: "noops", args: [0, 0, 1], cluster: false }).result
    expect(first.ok).toBe(true)
    const runner = await startRunner(script, stale, { concurrency: 1, stale: true })
    runners.push(runner)
    await runner.ready
    const before = executions(env.LAMINA_TEST_EXEC_LOG).length
    const result = await runCaller(script, stale, { flow: "squares", args: [2, 0], cluster: true }).result
    expect(result.ok).toBe(false)
    expect(result.error).toContain("has another version of step 'bench/distributed:square'")
    expect(result.error).toMatch(/source hash \S+ on the runner, \S+ in the caller/)
    const [runnerHash, callerHash] = /source hash (\S+) on the runner, (\S+) in the caller/.exec(result.error ?? "")!.slice(1)
    expect(runnerHash).not.toBe(callerHash)
    // Nothing ran with the wrong code: no execution, no completed square, no artifact.
    expect(executions(env.LAMINA_TEST_EXEC_LOG).slice(before).filter((l) => l.startsWith("square "))).toEqual([])
    const squares = await query<{ status: number }>(stale.db, `SELECT _status_code AS status FROM lamina_run WHERE name = 'square'`)
    expect(squares.length).toBeGreaterThan(0)
    for (const r of squares) expect(Number(r.status)).not.toBe(0)
    expect(await query(stale.db, `SELECT id FROM lamina_artifact WHERE key LIKE 'squares/%'`)).toEqual([])

    // With a runner of the right version in the cluster too, the refused call moves there.
    const good = await startRunner(script, stale, { concurrency: 1 })
    runners.push(good)
    await good.ready
    const mark = executions(env.LAMINA_TEST_EXEC_LOG).length
    // Both runners have one slot: the two calls start one on each, so the stale one is asked.
    const retried = await runCaller(script, stale, { flow: "squares", args: [2, 0], cluster: true }).result
    expect(retried.ok, retried.error).toBe(true)
    expect(retried.value).toMatchObject({ sum: 5 })
    expect(retried.output).toContain(`runner 127.0.0.1:${runner.port} has another version of step 'bench/distributed:square'`)
    expect(retried.output).toMatch(new RegExp(`Sending step 'square' \\(run \\S+\\) to runner 127\\.0\\.0\\.1:${good.port} instead`))
    const ran = executions(env.LAMINA_TEST_EXEC_LOG).slice(mark).filter((l) => l.startsWith("square "))
    expect(ran.map((l) => Number(l.split(" ").at(-1)))).toEqual([good.pid, good.pid])
    const done = await query<{ runner: string }>(stale.db, `SELECT runner FROM lamina_run WHERE name = 'square' AND _status_code = 0`)
    expect(done.map((r) => r.runner)).toEqual([`127.0.0.1:${good.port}`, `127.0.0.1:${good.port}`])
  }, 300_000)
})
