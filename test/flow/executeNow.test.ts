/**
 * Executed steps on the short path (src/flow/executeNow.ts): on SQLite an executed call takes
 * far fewer Effect operations, records the same run as the Effect path, and hands a claim it
 * cannot commit within the call to the Effect path.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, Fiber } from "effect"
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { RunStatus } from "../../src/registry/Run.js"
import { Tracker } from "../../src/tracker/Tracker.js"
import { connect, describeBackends } from "../support/backends.js"
import { allRuns, count, counting, inputsOf, saveText } from "./support.js"

interface RunRow {
  readonly id: number
  readonly transform_id: number
  readonly name: string
  readonly entrypoint: string | null
  readonly _status_code: number
  readonly initiated_by_run_id: number
  readonly environment_id: number | null
  readonly created_by_id: number | null
  readonly cache_key: string | null
  readonly _cache_parts: unknown
  readonly _result: unknown
  readonly _lease_owner: string | null
  readonly finished_at: unknown
  readonly logs: string | null
}

/** The statuses of a step's runs, oldest first. */
const statuses = (name: string) => Effect.map(allRuns, (runs) => runs.filter((r) => r.name === name).map((r) => r.status))

const json = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

describeBackends("executeNow", ({ instance, backend }) => {
  it("records an executed step as the Effect path does, with a fraction of its Effect operations on SQLite", async () => {
    const i = await instance()
    const input = await i.run(saveText(i.dir, "en/in.txt", "input"))
    const body = (tag: string) => (a: Artifact, n: number) =>
      Effect.gen(function* () {
        yield* Effect.logInfo(`writing ${n}`)
        const file = path.join(i.dir, `en-out-${tag}-${n}.txt`)
        writeFileSync(file, `${tag} ${n} of ${a.uid}`)
        const saved = yield* Effect.flatMap(Artifact.fromPath(file, { key: `en/${tag}/out-${n}.txt` }), (p) => p.save())
        return { n, out: saved }
      })
    // The same body twice: a concurrency limit keeps the second on the Effect path.
    const short = step("en-leaf", body("short"))
    const long = step({ name: "en-leaf-limited", concurrency: 4 }, body("long"))
    const pair = flow("en-pair", (n: number) => Effect.zipRight(short(input, n), long(input, n)))
    // The first calls store the transforms, the environment and the fingerprint (Effect path).
    await i.run(pair(0))
    await i.run(pair(1))
    const rows = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<RunRow>`SELECT * FROM lamina_run WHERE name IN ('en-leaf', 'en-leaf-limited') ORDER BY id`)
    )
    expect(rows.map((r) => r.name)).toEqual(["en-leaf", "en-leaf-limited", "en-leaf", "en-leaf-limited"])
    const [viaNow, viaEffect] = [rows[2]!, rows[3]!]
    const shape = (r: RunRow) => {
      const parts = json(r._cache_parts) as Record<string, unknown>
      const result = json(r._result) as { readonly value: { readonly n: number; readonly out: { readonly $lamina: string } } }
      return {
        entrypoint: r.entrypoint === r.name,
        status: Number(r._status_code),
        parent: r.initiated_by_run_id,
        environment: r.environment_id,
        user: r.created_by_id,
        finished: r.finished_at !== null,
        lease: r._lease_owner,
        logs: (r.logs ?? "").replace(/^\S+ /, ""),
        partKeys: Object.keys(parts).sort(),
        created: (parts.created as ReadonlyArray<number>).length,
        result: { n: result.value.n, out: result.value.out.$lamina }
      }
    }
    expect(shape(viaNow)).toEqual(shape(viaEffect))
    expect(shape(viaNow)).toMatchObject({ status: 0, finished: true, lease: null, created: 1, result: { n: 1, out: "Artifact" } })
    expect(await i.run(inputsOf(viaNow.id))).toEqual([input.uid])
    expect(await i.run(inputsOf(viaEffect.id))).toEqual([input.uid])
    // The claims were released, and each output names the run that created it.
    const leftovers = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.all([
          sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run_claim`,
          sql<{ readonly run_id: number }>`SELECT run_id FROM lamina_artifact WHERE key IN ('en/short/out-1.txt', 'en/long/out-1.txt') ORDER BY id`
        ])
      )
    )
    expect(Number(leftovers[0][0]!.n)).toBe(0)
    expect(leftovers[1].map((r) => Number(r.run_id))).toEqual([viaNow.id, viaEffect.id])

    // Effect operations of 20 executed no-op steps, against 20 calls of Effect.void.
    const noop = step("en-noop", (n: number) => Effect.succeed(n))
    const steps = flow("en-steps", (from: number) => Effect.forEach(Array.from({ length: 20 }, (_, k) => from + k), (k) => noop(k), { discard: true }))
    const control = flow("en-control", (from: number) => Effect.forEach(Array.from({ length: 20 }, (_, k) => from + k), () => Effect.void, { discard: true }))
    await i.run(steps(1000))
    const count = counting()
    await i.run(Effect.withScheduler(control(0), count.scheduler))
    const c1 = count.ops()
    await i.run(Effect.withScheduler(steps(0), count.scheduler))
    const perStep = (count.ops() - 2 * c1) / 20
    // Through the Effect path an executed step takes ~180 operations more than Effect.void (~265 before invokeInRun);
    // here ~76 (~127 while the body's fiber refs were set one by one and tracing was turned off with Effect.locally).
    if (backend === "sqlite") expect(perStep).toBeLessThan(90)
    else expect(perStep).toBeGreaterThan(200)
  })

  it("shares commits among a fan-out's calls, however short their bodies", async () => {
    const i = await instance()
    const leaf = step("en-wide", (n: number) => Effect.succeed(n))
    const wide = flow("en-wide-flow", (from: number) => Effect.forEach(Array.from({ length: 64 }, (_, k) => from + k), (k) => leaf(k), { concurrency: 16, discard: true }))
    await i.run(wide(1000))
    const stats = Effect.map(Tracker, (t) => t.group.stats())
    const before = await i.run(stats)
    await i.run(wide(0))
    const after = await i.run(stats)
    const perStep = (after.commits - before.commits) / 64
    expect(await i.run(statuses("en-wide"))).toEqual(Array.from({ length: 128 }, () => RunStatus.completed))
    // Each claim alone took a commit per step; Postgres commits its claims one by one anyway.
    if (backend === "sqlite") expect(perStep).toBeLessThan(0.5)
  })

  // A step's first call in a process takes the Effect path (it stores the transform, the
  // environment and the fingerprint); these warm the step first, so the calls under test take the
  // short path on SQLite.
  it("ends a failing call on the short path errored, its partial outputs trashed, its key free to run again", async () => {
    const i = await instance()
    let fail = true
    const flaky = step("en-flaky", (dir: string, n: number) =>
      Effect.gen(function* () {
        yield* saveText(dir, `en/partial-${n}.txt`, `half ${n}`)
        if (n > 0 && fail) return yield* Effect.fail(new Error(`boom ${n}`))
        return n
      })
    )
    const run = flow("en-flaky-flow", (n: number) => flaky(i.dir, n))
    await i.run(run(0))
    const failed = await i.fail(run(1))
    expect(failed).toMatchObject({ _tag: "FlowFailed", step: "en-flaky" })
    expect(await i.run(statuses("en-flaky"))).toEqual([RunStatus.completed, RunStatus.errored])
    expect(await i.run(count("lamina_run_claim"))).toBe(0)
    expect(await i.run(Artifact.filter({ key: "en/partial-1.txt" }).toArray())).toHaveLength(0)
    // Not a hit, not held: the same call executes again.
    fail = false
    expect(await i.run(run(1))).toBe(1)
    expect(await i.run(statuses("en-flaky"))).toEqual([RunStatus.completed, RunStatus.errored, RunStatus.completed])
  })

  it("ends an interrupted call on the short path aborted, and lets the next call of its key in", async () => {
    const i = await instance()
    let started!: () => void
    const startedP = new Promise<void>((r) => (started = r))
    let hang = false
    const slow = step("en-slow", (n: number) =>
      Effect.gen(function* () {
        if (!hang) return n
        started()
        return yield* Effect.never
      })
    )
    const run = flow("en-slow-flow", (n: number) => slow(n))
    await i.run(run(0))
    hang = true
    const fiber = await i.run(Effect.forkDaemon(run(1)))
    await startedP
    expect(Exit.isInterrupted(await i.run(Fiber.interrupt(fiber)))).toBe(true)
    expect(await i.run(statuses("en-slow"))).toEqual([RunStatus.completed, RunStatus.aborted])
    expect(await i.run(count("lamina_run_claim"))).toBe(0)
    // The key's in-process flight landed with the interruption: the call runs (a waiter would hang).
    hang = false
    expect(await i.run(run(1))).toBe(1)
  }, 10_000)

  // The timeout is a hang detector, not a timing: a short path that began its transaction while
  // another connection of this process holds the database's write lock would block the event
  // loop for SQLite's whole busy timeout (30 s), the holder's timer with it.
  it("hands the call to the Effect path while another connection of this process holds a write transaction", async () => {
    const i = await instance()
    const j = await connect(i.backend, i.storage, i.db, i.dir)
    try {
      const noop = step("en-held", (n: number) => Effect.succeed(n * 2))
      await j.run(flow("en-held-warm", () => noop(0))())
      const order: Array<string> = []
      // `i` opens a write transaction and keeps it 200 ms, while `j`'s flow calls the step.
      const hold = () => {
        let opened!: () => void
        const open = new Promise<void>((resolve) => (opened = resolve))
        const done = i.run(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            sql.withTransaction(
              sql`UPDATE lamina_run SET logs = logs WHERE id = -1`.pipe(
                Effect.zipRight(Effect.sync(opened)),
                Effect.zipRight(Effect.sleep("200 millis")),
                Effect.zipRight(Effect.sync(() => order.push("holder")))
              )
            )
          )
        )
        return { open, done }
      }
      const held = flow("en-held-flow", (n: number) =>
        Effect.gen(function* () {
          // A call first, so the one under test is alone (the same fiber claimed last) and tries
          // to commit its claim within the call.
          yield* noop(n - 1)
          const h = hold()
          yield* Effect.promise(() => h.open)
          const value = yield* noop(n)
          order.push("step")
          yield* Effect.promise(() => h.done)
          return value
        })
      )
      expect(await j.run(held(21))).toBe(42)
      // On SQLite the step's claim waited for the holder's commit (one write lock per file).
      if (backend === "sqlite") expect(order).toEqual(["holder", "step"])
      const rows = await j.run(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly s: number }>`SELECT _status_code AS s FROM lamina_run WHERE name = 'en-held' ORDER BY id`)
      )
      expect(rows.map((r) => Number(r.s))).toEqual([0, 0, 0])
    } finally {
      await j.close()
    }
  }, 10_000)
})
