/**
 * `lamina worker` as users run it (the built CLI, dist/lamina.mjs): bad invocations are typed
 * errors; a runner started on a Postgres instance serves the steps of its `--module`; SIGTERM
 * drains it (the call in flight finishes and its caller gets the result), then it leaves the
 * cluster and exits 0 — within its drain and a grace period, whatever its module left running.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort } from "../../bench/distributed/processes.js"
import { cliPath, lamina, runNode } from "../support/cli.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

const fixtures = path.resolve("test/cluster/fixtures")

const query = async <R extends Record<string, unknown>>(url: string, text: string): Promise<ReadonlyArray<R>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text)).rows as ReadonlyArray<R>
  } finally {
    await client.end()
  }
}

const lines = (file: string): ReadonlyArray<string> => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").filter((l) => l.length > 0)
  } catch {
    return []
  }
}

const waitFor = async (what: string, ok: () => boolean, ms = 120_000): Promise<void> => {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** `lamina worker …` in the background; its stderr collected. */
const startWorker = (home: string, args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child: ChildProcess = spawn(process.execPath, [cliPath, "worker", ...args], { env: { ...process.env, LAMINA_HOME: home, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let stderr = ""
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
  return { child, exited, stderr: () => stderr }
}

;(enabled ? describe : describe.skip)("lamina worker (built CLI)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-worker-cli-"))
  const home = path.join(dir, "home")
  const execLog = path.join(dir, "exec.log")
  const dbs: Array<{ readonly url: string; readonly drop: () => Promise<void> }> = []

  beforeAll(async () => {
    mkdirSync(home, { recursive: true })
    dbs.push(await createDatabase())
    const init = await lamina(home, ["init", "--storage", path.join(dir, "storage"), "--db", dbs[0]!.url])
    expect(init.code, init.stderr).toBe(0)
  }, 60_000)

  afterAll(async () => {
    for (const d of dbs) await d.drop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it("refuses bad invocations with a typed error", async () => {
    const sqliteHome = path.join(dir, "sqlite-home")
    expect((await lamina(sqliteHome, ["init", "--storage", path.join(dir, "sqlite-storage")])).code).toBe(0)
    const noModule = await lamina(sqliteHome, ["worker"])
    expect(noModule.code).not.toBe(0)
    expect(noModule.stderr).toContain("Pass the pipeline module")
    const missing = await lamina(sqliteHome, ["worker", "--module", path.join(dir, "nope.mjs")])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain("no such file")
    // A runner needs a Postgres registry: the runners and callers meet there.
    const local = await lamina(sqliteHome, ["worker", "--module", path.join(fixtures, "naps.mjs"), "--listen", `127.0.0.1:${await freePort()}`])
    expect(local.code).not.toBe(0)
    expect(local.stderr).toContain("needs a team instance")
  }, 120_000)

  it("serves its module's steps; SIGTERM drains the call in flight, then it leaves and exits 0", async () => {
    const port = await freePort()
    const env = { LAMINA_TEST_EXEC_LOG: execLog }
    const worker = startWorker(home, ["--module", path.join(fixtures, "naps.mjs"), "--listen", `127.0.0.1:${port}`, "--concurrency", "2", "--drain", "60"], env)
    try {
      await waitFor("the runner to be ready", () => /runner 127\.0\.0\.1:\d+ on \S+ ready: 2 slot\(s\), steps .*nap/.test(worker.stderr()) || worker.child.exitCode !== null)
      expect(worker.stderr()).toContain(`runner 127.0.0.1:${port}`)
      const registered = await query<{ address: string }>(dbs[0]!.url, `SELECT address FROM lamina_cluster_runners`)
      expect(registered.map((r) => r.address)).toEqual([`127.0.0.1:${port}`])

      // Two calls of 3 s; SIGTERM once both have started on the runner.
      const caller = runNode([path.join(fixtures, "call-naps.mjs"), "2", "3000"], { env: { LAMINA_HOME: home, ...env } })
      await waitFor("both calls to start on the runner", () => lines(execLog).filter((l) => l.startsWith("start ")).length === 2)
      worker.child.kill("SIGTERM")
      const result = await caller
      expect(result.code, result.stderr).toBe(0)
      expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toEqual({ ok: true, value: [2, 4] })
      expect(await worker.exited).toBe(0)
      expect(worker.stderr()).toContain("SIGTERM: draining")

      // Both bodies ran to their end on the runner (not in the caller), once each.
      const log = lines(execLog)
      expect(log.filter((l) => l.startsWith("end ")).sort()).toEqual([`end 1 ${worker.child.pid}`, `end 2 ${worker.child.pid}`])
      expect(log).toHaveLength(4)
      const runs = await query<{ status: number; runner: string }>(dbs[0]!.url, `SELECT _status_code AS status, runner FROM lamina_run WHERE name = 'nap'`)
      expect(runs.map((r) => [Number(r.status), r.runner])).toEqual([
        [0, `127.0.0.1:${port}`],
        [0, `127.0.0.1:${port}`]
      ])
      // It left the cluster's runner table.
      expect(await query(dbs[0]!.url, `SELECT address FROM lamina_cluster_runners`)).toEqual([])
    } finally {
      if (worker.child.exitCode === null) worker.child.kill("SIGKILL")
    }
  }, 180_000)

  it("exits after SIGTERM even when the pipeline module leaves a handle open", async () => {
    const worker = startWorker(home, ["--module", path.join(fixtures, "lingers.mjs"), "--listen", `127.0.0.1:${await freePort()}`, "--drain", "0"], {})
    try {
      await waitFor("the runner to be ready", () => /runner \S+ on \S+ ready/.test(worker.stderr()) || worker.child.exitCode !== null)
      worker.child.kill("SIGTERM")
      expect(await worker.exited).toBe(0)
      expect(worker.stderr()).toContain("still running 15s after SIGTERM: exiting")
      expect(await query(dbs[0]!.url, `SELECT address FROM lamina_cluster_runners`)).toEqual([])
    } finally {
      if (worker.child.exitCode === null) worker.child.kill("SIGKILL")
    }
  }, 90_000) // a hang detector: the runner exits 15 s after SIGTERM

  it("with no runner, a call fails after waitForRunners, saying to start one", async () => {
    const result = await runNode([path.join(fixtures, "call-naps.mjs"), "1", "4001"], { env: { LAMINA_HOME: home, LAMINA_TEST_WAIT_FOR_RUNNERS: "3 seconds" } })
    expect(result.code, result.stderr).toBe(0)
    const outcome = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { ok: boolean; error?: string }
    expect(outcome.ok).toBe(false)
    expect(outcome.error).toContain("No Lamina runner joined this instance's cluster within 3s: start one")
  }, 60_000) // a hang detector: before the fix, the wait never ended

  it("a call made before any runner joined runs on the first one that does", async () => {
    const env = { LAMINA_TEST_EXEC_LOG: execLog }
    const started = lines(execLog).length
    const caller = runNode([path.join(fixtures, "call-naps.mjs"), "1", "4002"], { env: { LAMINA_HOME: home, ...env } })
    await new Promise((r) => setTimeout(r, 1_000))
    const worker = startWorker(home, ["--module", path.join(fixtures, "naps.mjs"), "--listen", `127.0.0.1:${await freePort()}`], env)
    try {
      const result = await caller
      expect(result.code, result.stderr).toBe(0)
      expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toEqual({ ok: true, value: [2] })
      expect(lines(execLog).slice(started)).toEqual([`start 1 ${worker.child.pid}`, `end 1 ${worker.child.pid}`])
    } finally {
      worker.child.kill("SIGTERM")
      await worker.exited
    }
  }, 120_000)
})
