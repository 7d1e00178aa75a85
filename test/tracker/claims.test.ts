/**
 * Single-flight claims: the common case of a claim (no claim on the key, no completed run with
 * it) in one round trip on Postgres, and what it leaves to the transaction path.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import pg from "pg"
import { expect, it, vi } from "vitest"
import { decodeValue, encodeValue } from "../../src/registry/model.js"
import { RunStatus, type NewRun } from "../../src/registry/Run.js"
import { claimInOneTrip } from "../../src/tracker/claims.js"
import { OWNER, Tracker } from "../../src/tracker/index.js"
import { describeBackends, type TestInstance } from "../support/backends.js"

const newRun = (transformId: number, cacheKey: string): NewRun => ({
  transformId,
  name: "claimed",
  entrypoint: null,
  params: { it: "'; -- $1" },
  status: RunStatus.started,
  startedAt: new Date(),
  initiatedByRunId: null,
  environmentId: null,
  cacheKey,
  cacheParts: { note: "it's" },
  userId: null,
  lease: { owner: OWNER, expiresAt: new Date(Date.now() + 60_000) }
})

const transformId = Effect.flatMap(Tracker, (t) => Effect.map(t.ensureTransform({ key: "test/claims.ts", kind: "function", source: "() => 1" }), (x) => x.id))

/** The runs and claims with `cacheKey`. */
const rowsOf = (i: TestInstance, cacheKey: string) =>
  i.run(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.all({
        runs: sql<{ readonly id: number; readonly uid: string; readonly status: number; readonly owner: string | null; readonly params: unknown }>`SELECT id, uid, _status_code AS status, _lease_owner AS owner, params FROM lamina_run WHERE cache_key = ${cacheKey} ORDER BY id`,
        claims: sql<{ readonly run_id: number; readonly owner: string }>`SELECT run_id, owner FROM lamina_run_claim WHERE cache_key = ${cacheKey}`
      })
    )
  )

describeBackends("claimInOneTrip", ({ instance, backend }) => {
  it("Postgres: claims a fresh key in one query, writing the run and its claim; SQLite: not offered", async () => {
    const i = await instance()
    const t = await i.run(transformId)
    const queries = vi.spyOn(pg.Client.prototype, "query")
    let start
    try {
      start = await i.run(claimInOneTrip("key-fresh", newRun(t, "key-fresh")))
      expect(queries).toHaveBeenCalledTimes(backend === "pg" ? 1 : 0)
    } finally {
      queries.mockRestore()
    }
    const { runs, claims } = await rowsOf(i, "key-fresh")
    if (backend !== "pg") {
      expect(start).toBeUndefined()
      expect([runs, claims]).toEqual([[], []])
      return
    }
    expect(runs).toHaveLength(1)
    expect(start).toEqual({ _tag: "claimed", run: { id: Number(runs[0]!.id), uid: runs[0]!.uid } })
    expect([Number(runs[0]!.status), runs[0]!.owner, decodeValue("json", runs[0]!.params)]).toEqual([RunStatus.started, OWNER, { it: "'; -- $1" }])
    expect(claims.map((c) => [Number(c.run_id), c.owner])).toEqual([[Number(runs[0]!.id), OWNER]])
  })

  it.skipIf(backend !== "pg")("writes nothing and leaves the decision to the transaction path when the key has a claim or a completed run", async () => {
    const i = await instance()
    const t = await i.run(transformId)
    // A live claim (the first call's).
    expect((await i.run(claimInOneTrip("key-busy", newRun(t, "key-busy"))))?._tag).toBe("claimed")
    expect(await i.run(claimInOneTrip("key-busy", newRun(t, "key-busy")))).toBeUndefined()
    const busy = await rowsOf(i, "key-busy")
    expect([busy.runs.length, busy.claims.length]).toEqual([1, 1])
    // A completed run with the key, no claim.
    await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`INSERT INTO lamina_run ${sql.insert({ uid: "claimsdone000000", name: "done", transform_id: t, _status_code: RunStatus.completed, cache_key: "key-done", created_at: encodeValue("datetime", new Date()), branch: 1, is_locked: 0 })}`
      )
    )
    expect(await i.run(claimInOneTrip("key-done", newRun(t, "key-done")))).toBeUndefined()
    const done = await rowsOf(i, "key-done")
    expect([done.runs.map((r) => r.uid), done.claims]).toEqual([["claimsdone000000"], []])
    // The Tracker then decides: busy, and a hit.
    const decided = await i.run(Effect.flatMap(Tracker, (tracker) => Effect.all([tracker.claimAndStart("key-busy", newRun(t, "key-busy")), tracker.claimAndStart("key-done", newRun(t, "key-done"))])))
    expect(decided.map((s) => s._tag)).toEqual(["busy", "hit"])
  })

  it.skipIf(backend !== "pg")("feature values are not offered (their label links take the transaction path)", async () => {
    const i = await instance()
    const t = await i.run(transformId)
    const withFeatures: NewRun = { ...newRun(t, "key-features"), features: { json: {}, links: [] } }
    expect(await i.run(claimInOneTrip("key-features", withFeatures))).toBeUndefined()
    expect((await rowsOf(i, "key-features")).runs).toEqual([])
  })

  it.skipIf(backend !== "pg")("a key locked by another session past the bound: nothing written, and the Tracker claims it once the lock is free", async () => {
    const i = await instance()
    const t = await i.run(transformId)
    const blocker = new pg.Client({ connectionString: i.db })
    await blocker.connect()
    try {
      await blocker.query("SELECT pg_advisory_lock(hashtext($1))", ["lamina-cache:key-locked"])
      expect(await i.run(claimInOneTrip("key-locked", newRun(t, "key-locked")))).toBeUndefined()
      expect((await rowsOf(i, "key-locked")).runs).toEqual([])
      const claiming = i.run(Effect.flatMap(Tracker, (tracker) => tracker.claimAndStart("key-locked", newRun(t, "key-locked"))))
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      await blocker.query("SELECT pg_advisory_unlock(hashtext($1))", ["lamina-cache:key-locked"])
      expect((await claiming)._tag).toBe("claimed")
    } finally {
      await blocker.end()
    }
    const { runs, claims } = await rowsOf(i, "key-locked")
    expect([runs.length, claims.length]).toEqual([1, 1])
  })
})
