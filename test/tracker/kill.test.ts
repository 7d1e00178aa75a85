/**
 * Crash safety: a process running flows is SIGKILLed at random moments, several times over;
 * then the registry is checked with SQL for the invariants a crash must never break:
 *
 * - no artifact row without its bytes in storage;
 * - no artifact without the row of the run that created it;
 * - no run `completed` whose outputs are missing (the artifacts it created and returned);
 *
 * and the next process that looks ends the killed runs `aborted` (their lease owner is dead).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { spawn } from "node:child_process"
import { rmSync } from "node:fs"
import { createInterface } from "node:readline"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import { flow } from "../../src/flow/index.js"
import { Artifact, ArtifactModel } from "../../src/registry/Artifact.js"
import { decodeRow } from "../../src/registry/model.js"
import { RunStatus } from "../../src/registry/Run.js"
import { resultRefs, type Json } from "../../src/tracker/canonical.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { bundleScript } from "../support/workers.js"

const KILLS = 5

let worker = ""
beforeAll(async () => {
  worker = await bundleScript("test/tracker/killWorker.ts")
})
afterAll(() => rmSync(worker, { force: true }))

/** Start the worker; once it completed a first flow, let it go on for `afterMs`, then SIGKILL it. */
const runAndKill = (i: TestInstance, round: number, afterMs: number) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [worker, JSON.stringify({ storage: i.storage, db: i.db, dir: i.dir, round })], {
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env
    })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()))
    let killed = false
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line !== "iteration 0") return
      setTimeout(() => {
        killed = true
        child.kill("SIGKILL")
      }, afterMs)
    })
    child.on("error", reject)
    child.on("close", (code, signal) => {
      if (killed && signal === "SIGKILL") resolve()
      else reject(new Error(`the worker ended by itself (code ${code}, signal ${signal}): ${stderr.trim() || "(no output)"}`))
    })
  })

interface RunRow {
  readonly id: number
  readonly status: number
  readonly name: string | null
  readonly result: unknown
}

const invariants = (i: TestInstance) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_artifact`
    const artifacts = rows.map((r) => new Artifact(decodeRow(ArtifactModel, r)))
    // 1. every artifact row has its bytes
    const missingBytes: Array<string> = []
    for (const a of artifacts) if (!(yield* Effect.promise(() => i.exists(a.storageKey)))) missingBytes.push(`${a.uid} (${a.key})`)
    // 2. every artifact's creating run exists; only the environment artifact has none
    const orphans = yield* sql<{ readonly uid: string }>`SELECT a.uid FROM lamina_artifact a LEFT JOIN lamina_run r ON r.id = a.run_id WHERE (a.run_id IS NOT NULL AND r.id IS NULL) OR (a.run_id IS NULL AND a.kind IS DISTINCT FROM '__lamina_run__')`
    // 3. a completed step run has its outputs: the artifact it created, live, and the one it returned
    const runs = (yield* sql<RunRow>`SELECT id, _status_code AS status, name, _result AS result FROM lamina_run WHERE name IN ('produce', 'chain', 'combine')`).map((r) => ({ ...r, id: Number(r.id), status: Number(r.status) }))
    const byRun = new Map<number, Array<Artifact>>()
    for (const a of artifacts) if (a.run_id !== null) byRun.set(a.run_id, [...(byRun.get(a.run_id) ?? []), a])
    const uids = new Map(artifacts.map((a) => [a.uid, a]))
    const incomplete: Array<string> = []
    for (const r of runs) {
      if (r.status !== RunStatus.completed) continue
      const created = byRun.get(r.id) ?? []
      const stored = (typeof r.result === "string" ? JSON.parse(r.result) : r.result) as { readonly value?: Json } | null
      const returned = resultRefs(stored?.value ?? null).artifacts[0]
      const ret = returned === undefined ? undefined : uids.get(returned)
      // Content dedup may hand a run an existing artifact (recreated): then it created none.
      if (ret === undefined || ret.branch === -1) incomplete.push(`run ${r.id} (${r.name}): returned ${returned ?? "nothing"} ${ret === undefined ? "missing" : "in trash"}`)
      else if (created.some((a) => a.branch === -1)) incomplete.push(`run ${r.id} (${r.name}): an output it created is in trash`)
    }
    return { missingBytes, orphans: orphans.map((o) => o.uid), incomplete, completed: runs.filter((r) => r.status === RunStatus.completed).length, statuses: runs.map((r) => r.status) }
  })

describeBackends("kill at random moments", ({ instance }) => {
  it(`${KILLS} SIGKILLs mid-flow leave no row without bytes, no orphan artifact, no completed run without outputs`, async () => {
    const i = await instance()
    for (let round = 0; round < KILLS; round++) await runAndKill(i, round, Math.floor(Math.random() * 600))
    const before = await i.run(invariants(i))
    expect(before.missingBytes).toEqual([])
    expect(before.orphans).toEqual([])
    expect(before.incomplete).toEqual([])
    // The workers did real work before dying (else the test proves nothing).
    expect(before.completed).toBeGreaterThan(0)

    // The next flow here ends the killed processes' open runs as aborted; invariants still hold.
    await i.run(flow("after-kills", () => Effect.void)())
    const open = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run WHERE _status_code IN (${RunStatus.started}, ${RunStatus.scheduled})`)
    )
    expect(Number(open[0]!.n)).toBe(0)
    const claims = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT cache_key FROM lamina_run_claim`))
    expect(claims).toEqual([])
    const after = await i.run(invariants(i))
    expect(after.missingBytes).toEqual([])
    expect(after.orphans).toEqual([])
    expect(after.incomplete).toEqual([])
  }, 300_000)
})
