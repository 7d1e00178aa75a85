/**
 * Wide fan-outs on Postgres: thousands of step calls started at once, with a caller whose
 * registry pool has one connection. Calls started but not yet admitted (to a runner slot, or to
 * run here) are bounded by the executor's admission gate (src/flow/admission.ts), so the
 * caller's pool never sees thousands of queries at once; before it, this flow failed with
 * `Saving a Transform: registry query failed` (pool acquisition timeouts).
 *
 * Both executors: the cluster one (one real runner process with two slots) and the local one.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCaller, startRunner, stopRunners, type ClusterInstance, type RunnerProcess } from "../../bench/distributed/processes.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { bundleScript } from "../support/workers.js"
import { query } from "./suite.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

/** Calls per fan-out: far more than the pool can queue within its acquisition timeout. */
const N = 1_000
/** The caller's registry pool. */
const SMALL_POOL = { LAMINA_PG_MAX_CONNECTIONS: "1" }

;(enabled ? describe : describe.skip)("an unbounded fan-out of 1,000 steps with a 1-connection registry pool (Postgres)", () => {
  let script = ""
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-admission-"))
  // The processes' user settings: never the developer's own ~/.lamina.
  const home = { LAMINA_HOME: path.join(dir, "home") }
  const runners: Array<RunnerProcess> = []
  let db: { readonly url: string; readonly drop: () => Promise<void> } | undefined
  let instance: ClusterInstance

  beforeAll(async () => {
    script = await bundleScript("bench/distributed/node.ts")
    db = await createDatabase()
    mkdirSync(path.join(dir, "storage"), { recursive: true })
    instance = { storage: path.join(dir, "storage"), db: db.url, failoverAfter: "30 seconds" }
    const first = await runCaller(script, instance, { flow: "noops", args: [0, 0, 1], cluster: false }, home).result
    expect(first.ok, first.error).toBe(true)
    const runner = await startRunner(script, instance, { concurrency: 2, env: home })
    runners.push(runner)
    await runner.ready
  }, 120_000)

  afterAll(async () => {
    await stopRunners(runners)
    await db?.drop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
    rmSync(script, { force: true })
  }, 60_000)

  /** The noop runs of the fan-out with `salt`: status, where it ran. */
  const runsOf = (salt: number) =>
    query<{ status: number; runner: string | null; cache_key: string }>(
      db!.url,
      `SELECT _status_code AS status, runner, cache_key FROM lamina_run WHERE name = 'noop' AND (params->>'i')::bigint BETWEEN ${salt * 1_000_000} AND ${salt * 1_000_000 + N - 1}`
    )

  const expected = (salt: number) => Array.from({ length: N }, (_, i) => salt * 1_000_000 + i)

  /** Run the fan-out with `salt`; every call must complete once, on `runner` (null: in the caller). */
  const fanOutCompletes = async (salt: number, cluster: boolean, runner: string | null) => {
    const result = await runCaller(script, instance, { flow: "noops", args: [N, salt, 1_000_000], cluster }, { ...SMALL_POOL, ...home }).result
    expect(result.ok, result.error).toBe(true)
    expect(result.value).toEqual(expected(salt))
    const runs = await runsOf(salt)
    expect(runs).toHaveLength(N)
    expect(new Set(runs.map((r) => r.cache_key)).size).toBe(N)
    for (const r of runs) {
      expect(Number(r.status)).toBe(0)
      expect(r.runner).toBe(runner)
    }
  }

  it("on a runner: every call completes once, on the runner, with nothing left started or claimed", async () => {
    const salt = 1
    await fanOutCompletes(salt, true, `127.0.0.1:${runners[0]!.port}`)
    expect(await query(db!.url, `SELECT id FROM lamina_run WHERE _status_code = -1 AND name <> 'noops'`)).toEqual([])
    expect(await query(db!.url, `SELECT cache_key FROM lamina_run_claim`)).toEqual([])

    // Rerun: every call is a hit, resolved in the caller (no runner named, nothing dispatched).
    const dispatched = async () => Number((await query<{ n: string }>(db!.url, `SELECT count(*) AS n FROM lamina_cluster_dispatch`))[0]!.n)
    const before = await dispatched()
    const rerun = await runCaller(script, instance, { flow: "noops", args: [N, salt, 1_000_000], cluster: true }, { ...SMALL_POOL, ...home }).result
    expect(rerun.ok, rerun.error).toBe(true)
    expect(rerun.value).toEqual(expected(salt))
    const steps = rerun.events.filter((e) => e.kind === "step")
    expect(steps).toHaveLength(N)
    for (const e of steps) {
      expect(e.status).toBe("cached")
      expect(e.runner).toBeUndefined()
    }
    expect(await dispatched()).toBe(before)
  }, 300_000)

  it("locally: every call completes once, in the caller", async () => {
    await fanOutCompletes(2, false, null)
    expect(await query(db!.url, `SELECT cache_key FROM lamina_run_claim`)).toEqual([])
  }, 300_000)
})
