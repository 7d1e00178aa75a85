/**
 * Faults around the runners, with real processes on loopback and a real Postgres reached
 * through a TCP proxy the test cuts (the server itself is shared and never restarted):
 *
 * - Postgres goes away mid-flow and comes back: the flow completes with the right result or
 *   fails with a typed error (today: the caller's StorageError, while the runners end the runs
 *   whose completion failed `aborted` once Postgres is back); either way no record is wrong
 *   (one completed run and one live artifact per key, with the right bytes, no claim on an
 *   ended run, no run left started), and a rerun completes;
 * - the caller is killed mid-flow: its runners finish the steps in flight (the cluster does not
 *   tell a runner its caller is gone), so the caller's rerun reuses them, executes nothing
 *   again, and leaves no run started and no claim behind.
 */
import { createHash } from "node:crypto"
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCaller, startRunner, stopRunners, type ClusterInstance, type RunnerProcess } from "../../bench/distributed/processes.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy.js"
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

const executions = (log: string): ReadonlyArray<string> => {
  try {
    return readFileSync(log, "utf8").trim().split("\n").filter((l) => l.length > 0)
  } catch {
    return []
  }
}

const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> => {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const md5 = (text: string) => createHash("md5").update(text).digest("base64url").slice(0, 22)

;(enabled ? describe : describe.skip)("runner faults: Postgres outage, caller killed (@effect/cluster, loopback)", () => {
  let script = ""
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cluster-faults-"))
  const runners: Array<RunnerProcess> = []
  const env = { LAMINA_TEST_EXEC_LOG: path.join(dir, "exec.log"), LAMINA_TEST_SCRATCH: path.join(dir, "scratch"), LAMINA_HOME: path.join(dir, "home") }
  let db: { readonly url: string; readonly drop: () => Promise<void> }
  let proxy: TcpProxy
  let cluster: ClusterInstance

  /** Invariants that hold whatever happened: nothing recorded is wrong. */
  const consistent = async (delayMs: number, n: number) => {
    const completed = await query<{ cache_key: string; n: string }>(
      db.url,
      `SELECT cache_key, count(*) AS n FROM lamina_run WHERE name = 'square' AND _status_code = 0 AND params->>'delayMs' = '${delayMs}' GROUP BY cache_key`
    )
    for (const r of completed) expect(Number(r.n)).toBe(1)
    const live = await query<{ key: string; hash: string; n: string }>(
      db.url,
      `SELECT key, min(hash) AS hash, count(*) AS n FROM lamina_artifact WHERE key LIKE 'squares/%' AND key <> 'squares/total.txt' AND branch <> -1 AND is_latest GROUP BY key`
    )
    for (const r of live) {
      expect(Number(r.n)).toBe(1)
      const i = Number(/squares\/(\d+)\.txt/.exec(r.key)![1])
      expect(i).toBeLessThanOrEqual(n)
      expect(r.hash).toBe(md5(`${i * i}\n`))
    }
    // A claim names a run that is still started (never an ended one).
    const claims = await query<{ status: number }>(db.url, `SELECT r._status_code AS status FROM lamina_run_claim c JOIN lamina_run r ON r.id = c.run_id`)
    for (const c of claims) expect(Number(c.status)).toBe(-1)
    return completed.length
  }

  beforeAll(async () => {
    Object.assign(process.env, env)
    script = await bundleScript("bench/distributed/node.ts")
    db = await createDatabase()
    proxy = await startTcpProxy()
    mkdirSync(path.join(dir, "storage"), { recursive: true })
    cluster = { storage: path.join(dir, "storage"), db: proxy.through(db.url), failoverAfter: "10 seconds" }
    const first = await runCaller(script, cluster, { flow: "noops", args: [0, 0, 1], cluster: false }).result
    expect(first.ok, first.error).toBe(true)
    for (let i = 0; i < 2; i++) {
      const runner = await startRunner(script, cluster, { concurrency: 2 })
      runners.push(runner)
      await runner.ready
    }
  }, 300_000)

  afterAll(async () => {
    proxy?.restore()
    await stopRunners(runners)
    await proxy?.close()
    await db?.drop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
    rmSync(script, { force: true })
  }, 120_000)

  it("Postgres cut mid-flow, then back: the flow completes or fails typed, nothing recorded is wrong, a rerun completes", async () => {
    const log = env.LAMINA_TEST_EXEC_LOG
    const before = executions(log).length
    const caller = runCaller(script, cluster, { flow: "squares", args: [4, 3000], cluster: true, attempts: 3 })
    await waitFor("the squares to start on runners", () => executions(log).slice(before).filter((l) => l.startsWith("square ")).length >= 4)
    proxy.cut()
    await new Promise((r) => setTimeout(r, 4000))
    proxy.restore()
    const result = await caller.result
    if (result.ok) expect(result.value).toMatchObject({ sum: 30 })
    else expect(result.error).toMatch(/StorageError|StepFailed|IntegrityError|FlowFailed: Step 'square' failed/)
    await consistent(3000, 4)

    const rerun = await runCaller(script, cluster, { flow: "squares", args: [4, 3000], cluster: true, attempts: 3 }).result
    expect(rerun.ok, rerun.error).toBe(true)
    expect(rerun.value).toMatchObject({ sum: 30 })
    expect(await consistent(3000, 4)).toBe(4)
    const squares = await query<{ status: number; error: string | null }>(db.url, `SELECT _status_code AS status, error::text AS error FROM lamina_run WHERE name = 'square' AND params->>'delayMs' = '3000'`)
    for (const r of squares) {
      expect([0, 2, 3]).toContain(Number(r.status)) // completed, aborted, or a cache hit of the rerun
      // Aborted runs say why: the outage hit them, their runner or process was lost, or (a sibling
      // having failed the flow first) their call was interrupted.
      if (Number(r.status) === 2) expect(r.error).toMatch(/the registry failed while it ran|lost while running it|its process stopped|The run was interrupted/)
    }
    expect(await query(db.url, `SELECT id FROM lamina_run WHERE _status_code = -1 AND name = 'square'`)).toEqual([])
    console.log(`[faults] outage: first run ${result.ok ? "completed" : `failed: ${result.error?.split("\n")[0]}`}; rerun: ${rerun.events.filter((e) => e.kind === "step" && e.status === "cached").length} cached`)
  }, 300_000)

  it("caller killed mid-flow: runners finish its steps, the rerun reuses them, nothing stays started", async () => {
    const log = env.LAMINA_TEST_EXEC_LOG
    const before = executions(log).length
    const caller = runCaller(script, cluster, { flow: "squares", args: [4, 2500], cluster: true })
    await waitFor("the squares to start on runners", () => executions(log).slice(before).filter((l) => l.startsWith("square ")).length >= 4)
    caller.child.kill("SIGKILL")
    await caller.result.catch(() => undefined)
    // The runners do not learn that the caller is gone: every call runs to its end.
    await waitFor(
      "the killed caller's step runs to end",
      async () => (await query(db.url, `SELECT id FROM lamina_run WHERE name = 'square' AND params->>'delayMs' = '2500' AND _status_code = 0`)).length === 4
    )
    const mark = executions(log).length
    const rerun = await runCaller(script, cluster, { flow: "squares", args: [4, 2500], cluster: true }).result
    expect(rerun.ok, rerun.error).toBe(true)
    expect(rerun.value).toMatchObject({ sum: 30 })
    const squares = rerun.events.filter((e) => e.kind === "step" && e.name === "square")
    expect(squares.map((e) => e.status)).toEqual(["cached", "cached", "cached", "cached"])
    expect(executions(log).slice(mark).filter((l) => l.startsWith("square "))).toEqual([])
    expect(await consistent(2500, 4)).toBe(4)
    // The killed caller's own flow run is ended (aborted) by the rerun's connect, not left open.
    const flows = await query<{ status: number }>(db.url, `SELECT _status_code AS status FROM lamina_run WHERE name = 'squares' AND params->>'delayMs' = '2500' ORDER BY id`)
    expect(flows.map((f) => Number(f.status))).toEqual([2, 0])
    expect(await query(db.url, `SELECT id FROM lamina_run WHERE _status_code = -1`)).toEqual([])
    expect(await query(db.url, `SELECT cache_key FROM lamina_run_claim`)).toEqual([])
  }, 300_000)
})
