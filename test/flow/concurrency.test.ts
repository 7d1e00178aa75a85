/**
 * Concurrency: composition with Effect.all/forEach, per-step and global limits, single flight
 * in process and across runtimes on one registry, abandoned claims.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as os from "node:os"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { flow, layerFlowConfig, step } from "../../src/flow/index.js"
import { RunStatus } from "../../src/registry/Run.js"
import { connect, describeBackends } from "../support/backends.js"
import { Tracker } from "../../src/tracker/index.js"
import { allRuns, count, saveText } from "./support.js"

/** Tracks how many bodies run at once. */
const gauge = () => {
  let active = 0
  let max = 0
  return {
    around: <A, E, R>(e: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          active++
          max = Math.max(max, active)
        }),
        () => e,
        () => Effect.sync(() => void active--)
      ),
    get max() {
      return max
    }
  }
}

describeBackends("concurrency", ({ instance }) => {
  it("composes with Effect.forEach and bounds one step with its concurrency option", async () => {
    const i = await instance()
    const g = gauge()
    // The first two bodies wait for each other: with a limit of 2 both get in (with 1 this
    // would hang), and no third can join them.
    let bothIn!: () => void
    const twoActive = new Promise<void>((r) => (bothIn = r))
    let entered = 0
    const work = step({ name: "bounded", concurrency: 2 }, (n: number) =>
      g.around(
        Effect.zipRight(
          Effect.suspend(() => {
            if (++entered === 2) bothIn()
            return Effect.promise(() => twoActive)
          }),
          Effect.succeed(n * n)
        )
      )
    )
    const f = flow("bounded-flow", (ns: ReadonlyArray<number>) => Effect.forEach(ns, (n) => work(n), { concurrency: "unbounded" }))
    expect(await i.run(f([1, 2, 3, 4, 5, 6]))).toEqual([1, 4, 9, 16, 25, 36])
    expect(g.max).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "bounded")
    expect(runs).toHaveLength(6)
    expect(runs.every((r) => r.status === RunStatus.completed)).toBe(true)
  })

  it("bounds all steps of a flow with the flow's global limit, without deadlocking nested steps", async () => {
    const i = await instance()
    const g = gauge()
    const leaf = step("leaf", (n: number) => g.around(Effect.as(Effect.sleep("5 millis"), n)))
    const outer = step("outer", (n: number) => Effect.map(Effect.all([leaf(n), leaf(n + 100)]), ([a, b]) => a + b))
    const f = flow({ name: "global-flow", concurrency: 1 }, () => Effect.all([outer(1), outer(2), leaf(7)], { concurrency: "unbounded" }))
    expect(await i.run(f())).toEqual([102, 104, 7])
    // leaves nested in an outer step run under its permit; top-level ones take turns
    expect(g.max).toBeLessThanOrEqual(2)
    const runs = await i.run(allRuns)
    expect(runs.filter((r) => r.status !== RunStatus.completed)).toEqual([])
    expect(runs.filter((r) => r.name === "leaf").map((r) => r.parent).filter((p) => runs.find((x) => x.uid === p)?.name === "outer")).toHaveLength(4)
  })

  it("takes the global limit from FlowConfig when the flow sets none", async () => {
    const i = await instance()
    const g = gauge()
    const work = step("config-limited", (n: number) => g.around(Effect.as(Effect.sleep("5 millis"), n)))
    const f = flow("config-flow", () => Effect.forEach([1, 2, 3, 4], (n) => work(n), { concurrency: "unbounded" }))
    await i.run(Effect.provide(f(), layerFlowConfig({ concurrency: 1 })))
    expect(g.max).toBe(1)
  })

  it("computes identical keys once when they run at the same time (single flight in process)", async () => {
    const i = await instance()
    let executions = 0
    const slow = step("slow-same", (x: number, dir: string) =>
      Effect.gen(function* () {
        executions++
        yield* Effect.sleep("20 millis")
        return yield* saveText(dir, "out/slow.txt", `value ${x}`)
      })
    )
    const f = flow("flight-flow", (dir: string) => Effect.all([slow(1, dir), slow(1, dir), slow(1, dir), slow(2, dir)], { concurrency: "unbounded" }))
    const [a, b, c, d] = await i.run(f(i.dir))
    expect(executions).toBe(2)
    expect(b.uid).toBe(a.uid)
    expect(c.uid).toBe(a.uid)
    expect(d.uid).not.toBe(a.uid)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "slow-same")
    expect(runs.filter((r) => r.status === RunStatus.completed)).toHaveLength(2)
    expect(runs.filter((r) => r.status === RunStatus.cached)).toHaveLength(2)
    expect(await i.run(count("lamina_run_claim"))).toBe(0)
  })

  it("computes once across two runtimes sharing one registry (claim row)", async () => {
    const i = await instance()
    const other = await connect(i.backend, i.storage, i.db, i.dir)
    try {
      let executions = 0
      let started!: () => void
      const startedP = new Promise<void>((r) => (started = r))
      let open!: () => void
      const gate = new Promise<void>((r) => (open = r))
      const shared = step("shared", (x: number, dir: string) =>
        Effect.gen(function* () {
          executions++
          started()
          yield* Effect.promise(() => gate)
          return yield* saveText(dir, "out/shared.txt", `shared ${x}`)
        })
      )
      let bReady!: () => void
      const bReadyP = new Promise<void>((r) => (bReady = r))
      const fA = flow("runtime-a", (dir: string) => shared(5, dir))
      const fB = flow("runtime-b", (dir: string) => Effect.zipRight(Effect.sync(() => bReady()), shared(5, dir)))
      // warm both runtimes (transforms, environment) so only the step itself competes
      await i.run(flow("warm-a", () => Effect.void)())
      await other.run(flow("warm-b", () => Effect.void)())
      const a = i.run(fA(i.dir))
      await startedP
      const b = other.run(fB(i.dir))
      let bDone = false
      void b.then(() => (bDone = true), () => (bDone = true))
      await bReadyP
      // B is now at its cache check: it finds A's claim and must wait for it. Give it time to
      // do otherwise: had it not waited, it would have executed the body (a second execution,
      // with a run of its own) or returned before A finished.
      await new Promise((r) => setTimeout(r, 300))
      expect(await i.run(count("lamina_run_claim"))).toBe(1)
      expect(executions).toBe(1)
      expect(bDone).toBe(false)
      expect((await i.run(allRuns)).filter((r) => r.name === "shared")).toHaveLength(1)
      open()
      const [ra, rb] = await Promise.all([a, b])
      expect(executions).toBe(1)
      expect(rb.uid).toBe(ra.uid)
      const runs = (await i.run(allRuns)).filter((r) => r.name === "shared")
      expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached])
      expect(runs[1]!.reused).toBe(runs[0]!.uid)
      expect(await i.run(count("lamina_run_claim"))).toBe(0)
    } finally {
      await other.close()
    }
  })

  it("refreshes the heartbeat of claims held while a step computes", async () => {
    const i = await instance()
    let seen: ReadonlyArray<{ readonly heartbeat_at: string | Date }> = []
    const long = step("long", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const old = new Date(Date.now() - 3_600_000).toISOString()
        yield* sql`UPDATE lamina_run_claim SET heartbeat_at = ${old}`
        yield* (yield* Tracker).heartbeat.beat
        seen = yield* sql<{ readonly heartbeat_at: string | Date }>`SELECT heartbeat_at FROM lamina_run_claim`
        return seen.length
      })
    )
    expect(await i.run(flow("beat-flow", () => long())())).toBe(1)
    expect(Date.now() - new Date(seen[0]!.heartbeat_at).getTime()).toBeLessThan(600_000)
    expect(await i.run(count("lamina_run_claim"))).toBe(0)
  })

  it("takes over a claim abandoned by a dead process or gone silent, and marks its run aborted", async () => {
    const i = await instance()
    let executions = 0
    const job = step("job", (n: number) => Effect.sync(() => ++executions + n))
    const f = flow("claim-flow", (n: number) => job(n))
    // Simulate a crash mid-computation: the run back to `started`, its claim left behind.
    const orphan = (n: number, owner: string, heartbeat: Date) =>
      Effect.gen(function* () {
        yield* f(n)
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ readonly id: number; readonly cache_key: string }>`SELECT id, cache_key FROM lamina_run WHERE name = 'job' ORDER BY id DESC LIMIT 1`
        const { id, cache_key } = rows[0]!
        yield* sql`UPDATE lamina_run SET _status_code = ${RunStatus.started}, finished_at = NULL WHERE id = ${id}`
        yield* sql`INSERT INTO lamina_run_claim (cache_key, run_id, owner, claimed_at, heartbeat_at) VALUES (${cache_key}, ${id}, ${owner}, ${heartbeat.toISOString()}, ${heartbeat.toISOString()})`
        return Number(id)
      })
    // a dead owner on this host (pid 4194305 is beyond Linux's pid range), fresh heartbeat
    const dead = await i.run(orphan(0, `${os.hostname()}:4194305`, new Date()))
    expect(await i.run(f(0))).toBe(2)
    // another host, silent for ten minutes
    const silent = await i.run(orphan(10, "elsewhere:1", new Date(Date.now() - 600_000)))
    expect(await i.run(f(10))).toBe(14)
    expect(executions).toBe(4)
    expect(await i.run(count("lamina_run_claim"))).toBe(0)
    const byId = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly id: number; readonly s: number }>`SELECT id, _status_code AS s FROM lamina_run WHERE ${sql.in("id", [dead, silent])} ORDER BY id`)
    )
    expect(byId.map((r) => Number(r.s))).toEqual([RunStatus.aborted, RunStatus.aborted])
  })
})
