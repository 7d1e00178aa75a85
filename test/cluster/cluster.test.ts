/**
 * Runners on loopback with local-folder storage (the shared suite in suite.ts; s3.test.ts runs
 * it on S3), and runners with another version of a step:
 *
 * - a runner with another version of a step refuses it, naming the step and both hashes, and
 *   nothing runs with the wrong code; with a runner of the right version in the cluster too,
 *   the refused call moves there and completes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCaller, startRunner, stopRunners, type ClusterInstance, type RunnerProcess } from "../../bench/distributed/processes.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { bundleScript } from "../support/workers.js"
import { describeRunners, executions, query } from "./suite.js"

describeRunners("local")

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

;(enabled ? describe : describe.skip)("runners with another version of a step", () => {
  let script = ""
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cluster-stale-"))
  const runners: Array<RunnerProcess> = []
  const env = { LAMINA_TEST_EXEC_LOG: path.join(dir, "exec.log"), LAMINA_TEST_SCRATCH: path.join(dir, "scratch"), LAMINA_HOME: path.join(dir, "home") }
  let db: { readonly url: string; readonly drop: () => Promise<void> }

  beforeAll(async () => {
    Object.assign(process.env, env)
    script = await bundleScript("bench/distributed/node.ts")
    db = await createDatabase()
  }, 120_000)

  afterAll(async () => {
    await stopRunners(runners)
    await db?.drop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
    rmSync(script, { force: true })
  }, 120_000)

  it("a stale runner refuses, naming the step and both hashes; a call moves to a runner of the right version", async () => {
    const stale: ClusterInstance = { storage: path.join(dir, "stale"), db: db.url }
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
