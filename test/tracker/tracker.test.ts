/**
 * The Tracker service: run leases (renewed by the scoped heartbeat, reaped when their process is
 * gone), group commit (concurrent completions share a transaction; a failing write rolls back
 * alone), and the state it keeps per layer (transforms, environment artifact).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as os from "node:os"
import pg from "pg"
import { Cause, Effect } from "effect"
import { sqliteDirect } from "../../src/db/sqlite.js"
import { expect, it, vi } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { encodeValue } from "../../src/registry/model.js"
import { RunStatus } from "../../src/registry/Run.js"
import { OWNER, REAPED_ERROR, Tracker } from "../../src/tracker/index.js"
import { describeBackends } from "../support/backends.js"
import { saveText } from "../flow/support.js"
import { execute } from "../../src/db/execute.js"
import { sql as q, type Sql } from "../../src/db/sql.js"

interface LeaseRow {
  readonly id: number
  readonly status: number
  readonly owner: string | null
  readonly expires: string | Date | null
  readonly error: unknown
}

const runRow = (id: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<LeaseRow>`SELECT id, _status_code AS status, _lease_owner AS owner, _lease_expires_at AS expires, error FROM lamina_run WHERE id = ${id}`,
      (rows) => ({ ...rows[0]!, status: Number(rows[0]!.status) })
    )
  )

/** A transform to hang test runs on. */
const transformId = Effect.flatMap(Tracker, (t) => Effect.map(t.ensureTransform({ key: "test/lease.ts", kind: "function", source: "() => 1" }), (x) => x.id))

const newRun = (transform: number) => ({
  transformId: transform,
  name: "leased",
  entrypoint: null,
  params: {},
  status: RunStatus.started,
  startedAt: new Date(),
  initiatedByRunId: null,
  environmentId: null,
  cacheKey: null,
  cacheParts: null,
  userId: null
})

/** Pretend a run belongs to `owner` with a lease ending at `expires`. */
const setLease = (id: number, owner: string, expires: Date) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE lamina_run SET _lease_owner = ${owner}, _lease_expires_at = ${encodeValue("datetime", expires)} WHERE id = ${id}`
  )

/** A run row's insert under transform `t` as a statement (`is_locked` bound: Postgres reads a boolean, SQLite stores 0). */
const runInsert = (t: number) => {
  const created = encodeValue("datetime", new Date())
  return (name: string, uid = name.padEnd(16, "0")) =>
    q`INSERT INTO lamina_run (uid, name, transform_id, _status_code, created_at, branch, is_locked) VALUES (${uid}, ${name}, ${t}, 0, ${created}, 1, ${0})`
}

/** Submit `statement` to the group commit in both forms, the Effect write and the statement (same row, same failure); its exit. */
const submitStatement = (statement: Sql) =>
  Effect.flatMap(Tracker, (tracker) => Effect.exit(tracker.group.submit(Effect.asVoid(execute(statement)), { statements: [statement] })))

describeBackends("tracker", ({ instance, backend }) => {
  it("gives a started run a lease that the heartbeat renews and the run's end clears", async () => {
    const i = await instance()
    const seen: Array<LeaseRow> = []
    const probe = step("probe", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const tracker = yield* Tracker
        const rows = yield* sql<{ readonly id: number }>`SELECT id FROM lamina_run WHERE name = 'probe'`
        const id = Number(rows[0]!.id)
        seen.push(yield* runRow(id))
        // Age the lease, then beat: it is pushed forward again.
        yield* sql`UPDATE lamina_run SET _lease_expires_at = ${encodeValue("datetime", new Date(Date.now() - 1000))} WHERE id = ${id}`
        expect(tracker.heartbeat.held().has(id)).toBe(true)
        yield* tracker.heartbeat.beat
        seen.push(yield* runRow(id))
        return id
      })
    )
    const id = await i.run(flow("lease-flow", () => probe())())
    expect(seen[0]!.owner).toBe(OWNER)
    expect(new Date(seen[0]!.expires!).getTime()).toBeGreaterThan(Date.now())
    expect(new Date(seen[1]!.expires!).getTime()).toBeGreaterThan(Date.now())
    const ended = await i.run(runRow(id))
    expect(ended.status).toBe(RunStatus.completed)
    expect(ended.owner).toBeNull()
    expect(ended.expires).toBeNull()
    // Nothing open: the heartbeat holds nothing (its fiber stopped).
    expect(await i.run(Effect.map(Tracker, (t) => t.heartbeat.held().size))).toBe(0)
  })

  it("reaps runs of dead processes and expired leases as aborted, trashing what they created, and leaves live ones", async () => {
    const i = await instance()
    const ids = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const t = yield* transformId
        const dead = yield* tracker.startRun(newRun(t))
        const expired = yield* tracker.startRun(newRun(t))
        const lateButAlive = yield* tracker.startRun(newRun(t))
        const fresh = yield* tracker.startRun(newRun(t))
        // Simulate a crash: the dead run's process is gone (pid beyond Linux's range) ...
        yield* setLease(dead.id, `${os.hostname()}:4194305`, new Date(Date.now() + 60_000))
        // ... another host stopped renewing ten minutes ago ...
        yield* setLease(expired.id, "elsewhere:1", new Date(Date.now() - 600_000))
        // ... this (live) process is late: never reaped.
        yield* setLease(lateButAlive.id, OWNER, new Date(Date.now() - 600_000))
        // An artifact the dead run created, and one of the live run.
        const sql = yield* SqlClient.SqlClient
        const a = yield* saveText(i.dir, "reap/dead.txt", "partial output")
        const b = yield* saveText(i.dir, "reap/live.txt", "live output")
        yield* sql`UPDATE lamina_artifact SET run_id = ${dead.id} WHERE id = ${a.id}`
        yield* sql`UPDATE lamina_artifact SET run_id = ${fresh.id} WHERE id = ${b.id}`
        return { dead: dead.id, expired: expired.id, late: lateButAlive.id, fresh: fresh.id, a: a.id, b: b.id }
      })
    )
    const reaped = await i.run(Effect.flatMap(Tracker, (t) => t.reapExpiredRuns))
    expect([...reaped].sort((x, y) => x - y)).toEqual([ids.dead, ids.expired])
    for (const id of [ids.dead, ids.expired]) {
      const row = await i.run(runRow(id))
      expect(row.status).toBe(RunStatus.aborted)
      expect(row.expires).toBeNull()
      const error = typeof row.error === "string" ? JSON.parse(row.error) : row.error
      expect(error).toMatchObject({ message: REAPED_ERROR.message })
    }
    expect((await i.run(runRow(ids.late))).status).toBe(RunStatus.started)
    expect((await i.run(runRow(ids.fresh))).status).toBe(RunStatus.started)
    const branches = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly id: number; readonly branch: number }>`SELECT id, branch FROM lamina_artifact WHERE ${sql.in("id", [ids.a, ids.b])} ORDER BY id`)
    )
    expect(branches.map((r) => Number(r.branch))).toEqual([-1, 1])
    // A second look finds nothing more to do.
    expect(await i.run(Effect.flatMap(Tracker, (t) => t.reapExpiredRuns))).toEqual([])
  })

  it("reaps at the start of the next flow", async () => {
    const i = await instance()
    const orphan = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const run = yield* tracker.startRun(newRun(yield* transformId))
        yield* setLease(run.id, "elsewhere:1", new Date(Date.now() - 1000))
        return run.id
      })
    )
    await i.run(flow("after-crash", () => Effect.succeed(1))())
    expect((await i.run(runRow(orphan))).status).toBe(RunStatus.aborted)
  })

  it("commits the completions of concurrent steps together, and a failing write alone rolls back", async () => {
    const i = await instance()
    const leaf = step("leaf", (n: number) => Effect.succeed(n + 1))
    const f = flow("wide", (n: number) => Effect.forEach(Array.from({ length: n }, (_, k) => k), (k) => leaf(k), { concurrency: "unbounded" }))
    const before = await i.run(Effect.map(Tracker, (t) => t.group.stats()))
    expect(await i.run(f(40))).toHaveLength(40)
    const after = await i.run(Effect.map(Tracker, (t) => t.group.stats()))
    const writes = after.writes - before.writes
    const commits = after.commits - before.commits
    // 40 completions + the flow's start and end, in far fewer transactions.
    expect(writes).toBeGreaterThanOrEqual(42)
    expect(commits).toBeLessThan(writes / 2)
    const done = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run WHERE name = 'leaf' AND _status_code = ${RunStatus.completed}`)
    )
    expect(Number(done[0]!.n)).toBe(40)

    // Three writes in one batch; the middle one fails after writing: only it is undone.
    const outcome = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const sql = yield* SqlClient.SqlClient
        const t = yield* transformId
        const write = (name: string, fail: boolean) =>
          Effect.zipRight(
            Effect.flatMap(SqlClient.SqlClient, (s) => s`INSERT INTO lamina_run ${s.insert({ uid: name.padEnd(16, "0"), name, transform_id: t, _status_code: 0, created_at: encodeValue("datetime", new Date()), branch: 1, is_locked: 0 })}`),
            fail ? Effect.fail("refused" as const) : Effect.void
          )
        const c0 = tracker.group.stats().commits
        const exits = yield* Effect.all(
          [Effect.exit(tracker.group.submit(write("gcA", false))), Effect.exit(tracker.group.submit(write("gcB", true))), Effect.exit(tracker.group.submit(write("gcC", false)))],
          { concurrency: "unbounded" }
        )
        const names = yield* sql<{ readonly name: string }>`SELECT name FROM lamina_run WHERE name LIKE 'gc%' ORDER BY name`
        return { exits: exits.map((x) => x._tag), names: names.map((r) => r.name), commits: tracker.group.stats().commits - c0 }
      })
    )
    expect(outcome.exits).toEqual(["Success", "Failure", "Success"])
    expect(outcome.names).toEqual(["gcA", "gcC"])
    expect(outcome.commits).toBe(1)

    // When every write of a batch succeeds, none gets a savepoint of its own (on Postgres a round trip each).
    const queries = vi.spyOn(pg.Client.prototype, "query")
    try {
      const ok = await i.run(
        Effect.gen(function* () {
          const tracker = yield* Tracker
          const t = yield* transformId
          const write = (name: string) =>
            Effect.flatMap(SqlClient.SqlClient, (s) => s`INSERT INTO lamina_run ${s.insert({ uid: name.padEnd(16, "0"), name, transform_id: t, _status_code: 0, created_at: encodeValue("datetime", new Date()), branch: 1, is_locked: 0 })}`)
          const c0 = tracker.group.stats().commits
          const exits = yield* Effect.all(["okA", "okB", "okC"].map((n) => Effect.exit(tracker.group.submit(write(n)))), { concurrency: "unbounded" })
          return { exits: exits.map((x) => x._tag), commits: tracker.group.stats().commits - c0 }
        })
      )
      expect(ok).toEqual({ exits: ["Success", "Success", "Success"], commits: 1 })
      // @effect/sql-pg passes the statement's text as the first argument.
      const sent = queries.mock.calls.map(([q]) => (typeof q === "string" ? q : ""))
      if (backend === "pg") {
        expect(sent.filter((q) => /^INSERT INTO lamina_run/.test(q))).toHaveLength(3)
        expect(sent.filter((q) => /SAVEPOINT/i.test(q))).toEqual([])
      }
    } finally {
      queries.mockRestore()
    }
  })

  it("writes given as statements: Postgres commits a batch of them in one round trip; when one fails, the batch runs the usual way and only its caller fails", async () => {
    const i = await instance()
    const insert = runInsert(await i.run(transformId))
    const batch = (statements: ReadonlyArray<Sql>) =>
      i.run(
        Effect.gen(function* () {
          const tracker = yield* Tracker
          const c0 = tracker.group.stats().commits
          const exits = yield* Effect.all(statements.map(submitStatement), { concurrency: "unbounded" })
          return { exits: exits.map((x) => x._tag), commits: tracker.group.stats().commits - c0 }
        })
      )
    const names = async (prefix: string) =>
      (await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly name: string }>`SELECT name FROM lamina_run WHERE name LIKE ${prefix + "%"} ORDER BY name`))).map((r) => r.name)
    const queries = vi.spyOn(pg.Client.prototype, "query")
    try {
      expect(await batch([insert("stA"), insert("stB"), insert("stC")])).toEqual({ exits: ["Success", "Success", "Success"], commits: 1 })
      const sent = queries.mock.calls.map(([q]) => (typeof q === "string" ? q : ""))
      expect(await names("st")).toEqual(["stA", "stB", "stC"])
      if (backend === "pg") {
        // One query: the three inserts, no BEGIN, no COMMIT.
        expect(sent).toHaveLength(1)
        expect(sent[0]!.match(/INSERT INTO lamina_run/g)).toHaveLength(3)
      }
      queries.mockClear()
      // The middle write's uid is taken: its statement fails the one round trip (nothing written), then its Effect form fails alone.
      expect(await batch([insert("sfA"), insert("sfB", "stA".padEnd(16, "0")), insert("sfC")])).toEqual({ exits: ["Success", "Failure", "Success"], commits: 1 })
      const fallback = queries.mock.calls.map(([q]) => (typeof q === "string" ? q : "")).filter((s) => s === "BEGIN" || s === "COMMIT")
      expect(await names("sf")).toEqual(["sfA", "sfC"])
      if (backend === "pg") expect(fallback.length).toBeGreaterThan(0)
    } finally {
      queries.mockRestore()
    }
  })

  it("a run starts with its id read back: on Postgres in one round trip, also within a batch of statements; when the batch fails, the usual way", async () => {
    const i = await instance()
    const t = await i.run(transformId)
    const insert = runInsert(t)
    const rowOf = (id: number) =>
      i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(sql<{ readonly id: number; readonly uid: string; readonly name: string }>`SELECT id, uid, name FROM lamina_run WHERE id = ${id}`, (rows) => rows.map((r) => ({ ...r, id: Number(r.id) })))))
    const queries = vi.spyOn(pg.Client.prototype, "query")
    try {
      const alone = await i.run(Effect.flatMap(Tracker, (tracker) => tracker.startRun({ ...newRun(t), name: "started-alone" })))
      expect(queries).toHaveBeenCalledTimes(backend === "pg" ? 1 : 0)
      expect(await rowOf(alone.id)).toEqual([{ id: alone.id, uid: alone.uid, name: "started-alone" }])
      expect((await i.run(runRow(alone.id))).owner).toBe(OWNER)
      // In one batch with another statement write: each gets its own rows back.
      queries.mockClear()
      const [other, joined] = await i.run(
        Effect.flatMap(Tracker, (tracker) => Effect.all([submitStatement(insert("startedWith")), tracker.startRun({ ...newRun(t), name: "started-joined" })], { concurrency: "unbounded" }))
      )
      expect(other._tag).toBe("Success")
      if (backend === "pg") expect(queries).toHaveBeenCalledTimes(1)
      expect(await rowOf(joined.id)).toEqual([{ id: joined.id, uid: joined.uid, name: "started-joined" }])
      // A failing statement in the batch (a taken uid): nothing of the trip is written, the run starts the usual way.
      const [failed, fallback] = await i.run(
        Effect.flatMap(Tracker, (tracker) => Effect.all([submitStatement(insert("startedDup", alone.uid)), tracker.startRun({ ...newRun(t), name: "started-fallback" })], { concurrency: "unbounded" }))
      )
      expect(failed._tag).toBe("Failure")
      expect(await rowOf(fallback.id)).toEqual([{ id: fallback.id, uid: fallback.uid, name: "started-fallback" }])
      if (backend === "pg") expect(queries.mock.calls.map(([text]) => text)).toContain("BEGIN")
    } finally {
      queries.mockRestore()
    }
  })

  it("inside a caller's transaction, writes given as statements join it: a failing one fails alone and the transaction goes on", async () => {
    const i = await instance()
    const insert = runInsert(await i.run(transformId))
    const exits = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(
          Effect.gen(function* () {
            const first = yield* submitStatement(insert("txA"))
            // Its uid is taken: it fails, and only it.
            const second = yield* submitStatement(insert("txB", "txA".padEnd(16, "0")))
            const third = yield* submitStatement(insert("txC"))
            return [first._tag, second._tag, third._tag]
          })
        )
      )
    )
    expect(exits).toEqual(["Success", "Failure", "Success"])
    const names = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly name: string }>`SELECT name FROM lamina_run WHERE name LIKE 'tx%' ORDER BY name`))
    expect(names.map((r) => r.name)).toEqual(["txA", "txC"])
  })

  it.skipIf(backend !== "sqlite")("SQLite: a batch of synchronous writes runs their plain-call forms in one commit; a failing one alone is undone, also when it is alone", async () => {
    const i = await instance()
    const outcome = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const sql = yield* SqlClient.SqlClient
        const d = sqliteDirect(sql)!
        const t = yield* transformId
        // The Effect form is only the fallback for a failed COMMIT: it must not run here.
        const write = (name: string, fail: boolean) =>
          tracker.group.submit(Effect.dieMessage("the Effect form ran"), {
            sync: {
              what: "Saving a test row",
              run: () => {
                d.prepare("INSERT INTO lamina_run (uid, name, transform_id, _status_code, created_at, branch, is_locked) VALUES (?, ?, ?, 0, ?, 1, 0)").run(name.padEnd(16, "0"), name, t, encodeValue("datetime", new Date()))
                if (fail) throw new Error("refused")
              }
            }
          })
        const c0 = tracker.group.stats().commits
        const exits = yield* Effect.all([Effect.exit(write("gsA", false)), Effect.exit(write("gsB", true)), Effect.exit(write("gsC", false))], { concurrency: "unbounded" })
        const commits = tracker.group.stats().commits - c0
        const alone = yield* Effect.exit(write("gsD", true))
        const names = yield* sql<{ readonly name: string }>`SELECT name FROM lamina_run WHERE name LIKE 'gs%' ORDER BY name`
        return { exits: exits.map((x) => x._tag), alone: alone._tag === "Failure" ? String(Cause.squash(alone.cause)) : "Success", names: names.map((r) => r.name), commits }
      })
    )
    expect(outcome.exits).toEqual(["Success", "Failure", "Success"])
    expect(outcome.commits).toBe(1)
    expect(outcome.alone).toMatch(/refused/)
    expect(outcome.names).toEqual(["gsA", "gsC"])
  })

  it.skipIf(backend !== "pg")("Postgres: the heartbeat skips rows another transaction holds, so it never deadlocks with a completing batch", async () => {
    const i = await instance()
    const ids = await i.run(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const tracker = yield* Tracker
        const t = yield* transformId
        const runs = [yield* tracker.startRun(newRun(t)), yield* tracker.startRun(newRun(t))]
        const old = encodeValue("datetime", new Date(Date.now() - 5_000))
        for (const [k, r] of runs.entries()) {
          yield* sql`INSERT INTO lamina_run_claim ${sql.insert({ cache_key: `beat-${k}`, run_id: r.id, owner: OWNER, claimed_at: old, heartbeat_at: old })}`
          yield* tracker.heartbeat.hold(r.id, `beat-${k}`)
        }
        return runs.map((r) => r.id)
      })
    )
    // Another transaction (as a group-commit batch completing run 2) holds run 2's rows ...
    const batch = new pg.Client({ connectionString: i.db })
    await batch.connect()
    try {
      await batch.query("BEGIN")
      await batch.query("UPDATE lamina_run SET finished_at = finished_at WHERE id = $1", [ids[1]])
      await batch.query("DELETE FROM lamina_run_claim WHERE run_id = $1", [ids[1]])
      // ... while the heartbeat beats: it must not wait for them (holding run 1's rows meanwhile).
      const beat = await i.run(Effect.flatMap(Tracker, (t) => t.heartbeat.beat).pipe(Effect.timeout("20 seconds"), Effect.option))
      expect(beat._tag).toBe("Some")
      // The batch's next completion takes run 1's rows: free, so it does not deadlock.
      await batch.query("UPDATE lamina_run SET finished_at = finished_at WHERE id = $1", [ids[0]])
      await batch.query("UPDATE lamina_run_claim SET owner = owner WHERE run_id = $1", [ids[0]])
      await batch.query("COMMIT")
    } finally {
      await batch.end()
    }
    const claims = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly run_id: number; readonly heartbeat_at: string | Date }>`SELECT run_id, heartbeat_at FROM lamina_run_claim ORDER BY run_id`)
    )
    // Run 1's claim was renewed; run 2's is gone with its batch.
    expect(claims.map((c) => Number(c.run_id))).toEqual([ids[0]])
    expect(new Date(claims[0]!.heartbeat_at).getTime()).toBeGreaterThan(Date.now() - 4_000)
    await i.run(Effect.flatMap(Tracker, (t) => Effect.all(ids.map((id) => t.heartbeat.release(id)))))
  })

  it.skipIf(backend !== "pg")("Postgres: a write that loses a deadlock inside a batch runs again, after the other transaction", async () => {
    const i = await instance()
    const [a, b] = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const t = yield* transformId
        return [(yield* tracker.startRun(newRun(t))).id, (yield* tracker.startRun(newRun(t))).id] as const
      })
    )
    const deadlocks = async (c: pg.Client) => (await c.query<{ readonly n: number }>("SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()")).rows[0]!.n
    const other = new pg.Client({ connectionString: i.db })
    await other.connect()
    try {
      // This session checks for deadlocks late, so the batch's session (which waits first) finds it.
      await other.query("SET deadlock_timeout = '20s'")
      const before = await deadlocks(other)
      await other.query("BEGIN")
      await other.query("UPDATE lamina_run SET name = 'other' WHERE id = $1", [b])
      const touch = (id: number) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_run SET name = 'touched' WHERE id = ${id}`)
      // One batch: the first write takes run a's row, the second waits for run b's.
      const batch = i.run(Effect.flatMap(Tracker, (t) => Effect.all([t.group.submit(touch(a)), t.group.submit(touch(b))], { concurrency: "unbounded" })))
      for (let n = 0; (await other.query("SELECT 1 FROM pg_locks WHERE NOT granted")).rowCount === 0; n++) {
        if (n > 400) throw new Error("the batch never waited for run b's row")
        await new Promise((r) => setTimeout(r, 25))
      }
      // Now this session wants run a's row, held by the batch: a deadlock, and the batch's write loses.
      await other.query("UPDATE lamina_run SET name = 'other' WHERE id = $1", [a])
      await other.query("COMMIT")
      await batch
      let after = await deadlocks(other)
      for (let n = 0; after === before && n < 100; n++) {
        await new Promise((r) => setTimeout(r, 50))
        after = await deadlocks(other)
      }
      expect(after).toBe(before + 1)
    } finally {
      await other.end()
    }
    const names = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly id: number; readonly name: string }>`SELECT id, name FROM lamina_run WHERE id IN (${a}, ${b}) ORDER BY id`))
    // The batch was undone whole and ran again after the other transaction committed: both writes land.
    expect(names.map((r) => r.name)).toEqual(["touched", "touched"])
    await i.run(Effect.flatMap(Tracker, (t) => Effect.all([a, b].map((id) => t.heartbeat.release(id)))))
  })

  it("writes deferred records behind: before any later write, by settle, and a failing one only logs", async () => {
    const i = await instance()
    const outcome = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const sql = yield* SqlClient.SqlClient
        const t = yield* transformId
        const write = (name: string) =>
          Effect.flatMap(SqlClient.SqlClient, (s) => s`INSERT INTO lamina_run ${s.insert({ uid: name.padEnd(16, "0"), name, transform_id: t, _status_code: 0, created_at: encodeValue("datetime", new Date()), branch: 1, is_locked: 0 })}`)
        const names = Effect.map(sql<{ readonly name: string }>`SELECT name FROM lamina_run WHERE name LIKE 'df%' ORDER BY id`, (rows) => rows.map((r) => r.name))
        // A write submitted after a deferred one commits after it (one queue): ids keep call order.
        yield* tracker.group.defer(write("dfA"), "a test record")
        yield* tracker.group.submit(write("dfB"))
        const afterSubmit = yield* names
        yield* tracker.group.defer(Effect.fail("refused" as const), "a failing test record")
        yield* tracker.group.defer(write("dfC"), "a test record")
        yield* tracker.group.settle
        return { afterSubmit, settled: yield* names }
      })
    )
    expect(outcome.afterSubmit).toEqual(["dfA", "dfB"])
    expect(outcome.settled).toEqual(["dfA", "dfB", "dfC"])
  })

  it("records a cached run with its input links; on Postgres a batch of such records in one round trip", async () => {
    const i = await instance()
    const input = await i.run(saveText(i.dir, "cached-input.txt", "an input"))
    const t = await i.run(transformId)
    const reused = await i.run(Effect.flatMap(Tracker, (tracker) => tracker.startRun(newRun(t))))
    const queries = vi.spyOn(pg.Client.prototype, "query")
    let uids: ReadonlyArray<string>
    let sent: ReadonlyArray<string>
    try {
      uids = await i.run(
        Effect.gen(function* () {
          const tracker = yield* Tracker
          const cached = (name: string) => ({ ...newRun(t), name, status: RunStatus.cached, reusedRunId: reused.id, finishedAt: new Date() })
          const a = yield* tracker.recordCached(cached("rcA"), [input.id])
          const b = yield* tracker.recordCached(cached("rcB"), [input.id])
          yield* tracker.group.settle
          return [a.uid, b.uid]
        })
      )
      sent = queries.mock.calls.map(([q]) => (typeof q === "string" ? q : ""))
    } finally {
      queries.mockRestore()
    }
    // Both records, their runs and links, in one query: no BEGIN, no COMMIT.
    if (backend === "pg") expect([sent.length, sent[0]!.match(/INSERT INTO/g)?.length]).toEqual([1, 4])
    const links = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ readonly uid: string; readonly status: number; readonly reused: number; readonly artifact: number | null }>`SELECT r.uid, r._status_code AS status, r.reused_run_id AS reused, l.artifact_id AS artifact FROM lamina_run r LEFT JOIN lamina_run_input_artifact l ON l.run_id = r.id WHERE r.name LIKE 'rc%' ORDER BY r.id`
      )
    )
    expect(links.map((r) => [r.uid, Number(r.status), Number(r.reused), Number(r.artifact)])).toEqual(uids.map((uid) => [uid, RunStatus.cached, reused.id, input.id]))
  })

  it("records a cache hit's cached run by the time its flow returns, in call order", async () => {
    const i = await instance()
    const leaf = step("df-leaf", (n: number) => Effect.succeed(n * 2))
    const f = flow("df-flow", (n: number) => Effect.forEach(Array.from({ length: n }, (_, k) => k), (k) => leaf(k)))
    await i.run(f(5))
    await i.run(f(6))
    const rows = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly status: number; readonly params: string | Record<string, unknown> }>`SELECT _status_code AS status, params FROM lamina_run WHERE name = 'df-leaf' ORDER BY id`)
    )
    const params = rows.map((r) => (typeof r.params === "string" ? JSON.parse(r.params) : r.params) as { readonly n: number })
    expect(rows.map((r) => Number(r.status))).toEqual([...Array(5).fill(RunStatus.completed), ...Array(5).fill(RunStatus.cached), RunStatus.completed])
    expect(params.map((p) => p.n)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5])
  })

  it("writes a step's successful completion behind on SQLite: the next claim commits it, and a repeat call is still a hit", async () => {
    const i = await instance()
    let executions = 0
    const leaf = step("wb-leaf", (n: number) => Effect.sync(() => (executions++, n + 1)))
    const statusOf = (uid: string) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(sql<{ readonly s: number }>`SELECT _status_code AS s FROM lamina_run WHERE uid = ${uid}`, (rows) => Number(rows[0]!.s)))
    const lastLeaf = Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.map(sql<{ readonly uid: string }>`SELECT uid FROM lamina_run WHERE name = 'wb-leaf' ORDER BY id DESC LIMIT 1`, (rows) => rows[0]!.uid)
    )
    const f = flow("wb-flow", () =>
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const before = tracker.group.stats().commits
        const seen: Array<number> = []
        for (let k = 0; k < 6; k++) {
          yield* leaf(k)
          // Read at once, before any timer turn: the step has returned.
          seen.push(yield* statusOf(yield* lastLeaf))
        }
        const commits = tracker.group.stats().commits - before
        // The same call again: its first run's completion committed with the next claim.
        const again = yield* leaf(0)
        return { seen, commits, again }
      })
    )
    const out = await i.run(f())
    expect(executions).toBe(6)
    expect(out.again).toBe(1)
    if (backend === "sqlite") {
      // Each claim commits the completion of the step before it: one commit per executed step, not two.
      expect(out.seen).toEqual(Array(6).fill(RunStatus.started))
      expect(out.commits).toBeLessThanOrEqual(7)
    } else expect(out.seen).toEqual(Array(6).fill(RunStatus.completed))
    // By the time the flow returned, every completion had committed.
    const rows = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly s: number }>`SELECT _status_code AS s FROM lamina_run WHERE name = 'wb-leaf' ORDER BY id`))
    expect(rows.map((r) => Number(r.s))).toEqual([...Array(6).fill(RunStatus.completed), RunStatus.cached])
  })

  it("keeps transforms and the environment artifact as layer state: resolved once per Tracker", async () => {
    const i = await instance()
    const counts = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        let saves = 0
        const save = Effect.sync(() => ++saves)
        const ids = yield* Effect.all([tracker.environmentId(save), tracker.environmentId(save), tracker.environmentId(save)], { concurrency: "unbounded" })
        const t1 = yield* tracker.ensureTransform({ key: "k.ts", kind: "function", source: "a" })
        const t2 = yield* tracker.ensureTransform({ key: "k.ts", kind: "function", source: "a" })
        const t3 = yield* tracker.ensureTransform({ key: "k.ts", kind: "function", source: "b" })
        return { saves, ids, same: t1 === t2, versions: [t1.uid.slice(0, 12) === t3.uid.slice(0, 12), t1.uid !== t3.uid] }
      })
    )
    expect(counts.saves).toBe(1)
    expect(counts.ids).toEqual([1, 1, 1])
    expect(counts.same).toBe(true)
    expect(counts.versions).toEqual([true, true])
  })

  it("writes a new code fingerprint once when the first calls of a step start together", async () => {
    const i = await instance()
    const attempts = await i.run(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // Count every INSERT tried (a BEFORE trigger fires before ON CONFLICT DO NOTHING decides).
        yield* sql`CREATE TABLE fp_attempts (n INTEGER)`
        if (backend === "pg") {
          yield* sql.unsafe(`CREATE FUNCTION fp_count() RETURNS trigger AS $$ BEGIN INSERT INTO fp_attempts VALUES (1); RETURN NEW; END $$ LANGUAGE plpgsql`)
          yield* sql.unsafe(`CREATE TRIGGER fp_count BEFORE INSERT ON lamina_code_fingerprint FOR EACH ROW EXECUTE FUNCTION fp_count()`)
        } else yield* sql.unsafe(`CREATE TRIGGER fp_count BEFORE INSERT ON lamina_code_fingerprint BEGIN INSERT INTO fp_attempts VALUES (1); END`)
        const tracker = yield* Tracker
        const fp = { hash: "fp-test-hash", files: { "src/a.ts": "h1", "src/b.ts": "h2" }, packages: { effect: "3" } }
        yield* Effect.all(Array.from({ length: 20 }, () => tracker.recordFingerprint(fp)), { concurrency: "unbounded" })
        yield* tracker.recordFingerprint(fp)
        const rows = yield* sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM fp_attempts`
        return Number(rows[0]!.n)
      })
    )
    expect(attempts).toBe(1)
  })
})
