/**
 * A runner's attempt bookkeeping (src/cluster/attempt.ts) against Postgres, without processes:
 * the caller's claimed run, then `beginAttempt` as a runner's handler calls it.
 *
 * - a first delivery takes the claim over, records the call and places the run in ONE
 *   statement (migration 80's function) instead of a five-statement transaction;
 * - the cases that function leaves to the transaction still end as before: a repeated
 *   delivery to the same runner waits, to another runner it aborts the previous attempt and
 *   starts the next; a run that already ended is superseded without a write; a run whose claim
 *   moved on ends aborted;
 * - a cached call's completion fails, writing nothing, once its attempt was taken over (the
 *   claim check is part of the completing transaction, no separate guard statement);
 * - so does an uncached call's: its completing transaction first locks the dispatch row and
 *   checks that it still names the run (no guard transaction before it, whose check a takeover
 *   could follow before the completion wrote).
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { randomUUID } from "node:crypto"
import pg from "pg"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { beginAttempt, completionGuard, isTakenOver, type RunnerIdentity } from "../../src/cluster/attempt.js"
import { Dispatch } from "../../src/cluster/protocol.js"
import { RunStatus, type NewRun } from "../../src/registry/Run.js"
import { OWNER } from "../../src/tracker/owner.js"
import { Tracker } from "../../src/tracker/Tracker.js"
import { connect, type TestInstance } from "../support/backends.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, createSchema, postgresAvailable } from "../support/postgres.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

const me: RunnerIdentity = { address: "127.0.0.1:1", host: "runner-host", token: "127.0.0.1:1/1/1" }
const other: RunnerIdentity = { address: "127.0.0.1:2", host: "other-host", token: "127.0.0.1:2/2/2" }

/** Statements sent to Postgres while `f` runs (every pg client of this process). */
const counting = async <A>(f: () => Promise<A>): Promise<{ readonly value: A; readonly statements: ReadonlyArray<string> }> => {
  const proto = pg.Client.prototype as unknown as { query: (...args: Array<unknown>) => unknown }
  const original = proto.query
  const statements: Array<string> = []
  proto.query = function (this: unknown, ...args: Array<unknown>) {
    const q = args[0]
    statements.push(typeof q === "string" ? q : typeof q === "object" && q !== null && "text" in q ? String((q as { readonly text: unknown }).text) : "?")
    return original.apply(this, args)
  }
  try {
    return { value: await f(), statements }
  } finally {
    proto.query = original
  }
}

;(enabled ? describe : describe.skip)("a dispatched call's attempts [pg]", () => {
  let db: { readonly url: string; readonly drop: () => Promise<void> }
  let dir: string
  let lamina: TestInstance
  beforeAll(async () => {
    db = await createDatabase()
    dir = mkdtempSync(path.join(os.tmpdir(), "lamina-attempt-"))
    lamina = await connect("pg", path.join(dir, "storage"), await createSchema(db.url), dir)
  }, 60_000)
  afterAll(async () => {
    await lamina?.close()
    await db?.drop()
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  const rows = <R>(text: string) => lamina.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<R & object>(text)))

  /** A started step run of `transformId`, keyed by `cacheKey` (null: an uncached call). */
  const startedRun = (transformId: number, cacheKey: string | null): NewRun => ({
    transformId,
    name: "step",
    entrypoint: null,
    params: {},
    status: RunStatus.started,
    startedAt: new Date(),
    initiatedByRunId: null,
    environmentId: null,
    cacheKey,
    cacheParts: null,
    userId: null
  })

  /** The caller's side: a claimed, started run for a new key, and the message it sends. */
  const claimed = () =>
    lamina.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const transform = yield* tracker.ensureTransform({ key: "test/attempt.ts", kind: "function", source: "() => 1" })
        const cacheKey = randomUUID()
        const newRun = startedRun(transform.id, cacheKey)
        const start = yield* tracker.claimAndStart(cacheKey, newRun)
        if (start._tag !== "claimed") throw new Error(`expected a claim, got ${start._tag}`)
        const d = new Dispatch({
          id: randomUUID(),
          transform: "test/attempt.ts",
          source: "hash",
          code: null,
          cacheKey,
          parts: null,
          run: { id: start.run.id, uid: start.run.uid },
          parent: start.run.id,
          user: null,
          args: [],
          maxAttempts: 3
        })
        return { d, newRun }
      })
    )

  /** The caller's side of an uncached call (`cache: false`): a started run, no key, no claim. */
  const uncached = () =>
    lamina.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const transform = yield* tracker.ensureTransform({ key: "test/attempt.ts", kind: "function", source: "() => 1" })
        const newRun = startedRun(transform.id, null)
        const run = yield* tracker.startRun(newRun)
        const d = new Dispatch({
          id: randomUUID(),
          transform: "test/attempt.ts",
          source: "hash",
          code: null,
          cacheKey: null,
          parts: null,
          run: { id: run.id, uid: run.uid },
          parent: run.id,
          user: null,
          args: [],
          maxAttempts: 3
        })
        return { d, newRun }
      })
    )

  const begin = (d: Dispatch, who: RunnerIdentity, newRun: NewRun) => lamina.run(beginAttempt(d, who, "step", () => ({ ...newRun, startedAt: new Date() }), null))

  it("a first delivery takes the claim over, records the call and places the run in one statement", async () => {
    const { d, newRun } = await claimed()
    const { value: attempt, statements } = await counting(() => begin(d, me, newRun))
    expect(attempt).toEqual({ _tag: "run", run: d.run, attempts: 1 })
    expect(statements).toHaveLength(1)
    expect(statements[0]).toContain("lamina_cluster_first_attempt")
    expect(await rows(`SELECT run_id, attempts, runner FROM lamina_cluster_dispatch WHERE id = '${d.id}'`)).toEqual([{ run_id: d.run.id, attempts: 1, runner: me.token }])
    expect(await rows(`SELECT run_id, owner FROM lamina_run_claim WHERE cache_key = '${d.cacheKey}'`)).toEqual([{ run_id: d.run.id, owner: OWNER }])
    expect(await rows(`SELECT runner, host, _lease_owner, _status_code FROM lamina_run WHERE id = ${d.run.id}`)).toEqual([
      { runner: me.address, host: me.host, _lease_owner: OWNER, _status_code: RunStatus.started }
    ])
  }, 60_000)

  it("a repeated delivery waits on the same runner and, on another, aborts the previous attempt and starts the next", async () => {
    const { d, newRun } = await claimed()
    await begin(d, me, newRun)
    expect(await begin(d, me, newRun)).toEqual({ _tag: "busy" })
    const retry = await begin(d, other, newRun)
    expect(retry).toMatchObject({ _tag: "run", attempts: 2, lost: d.run.id })
    const next = (retry as { readonly run: { readonly id: number } }).run.id
    expect(await rows(`SELECT _status_code FROM lamina_run WHERE id = ${d.run.id}`)).toEqual([{ _status_code: RunStatus.aborted }])
    expect(await rows(`SELECT run_id, attempts, runner FROM lamina_cluster_dispatch WHERE id = '${d.id}'`)).toEqual([{ run_id: next, attempts: 2, runner: other.token }])
    expect(await rows(`SELECT run_id FROM lamina_run_claim WHERE cache_key = '${d.cacheKey}'`)).toEqual([{ run_id: next }])
    expect(await rows(`SELECT runner FROM lamina_run WHERE id = ${next}`)).toEqual([{ runner: other.address }])
  }, 60_000)

  it("a first delivery of a run that already ended is superseded and writes nothing", async () => {
    const { d, newRun } = await claimed()
    await rows(`UPDATE lamina_run SET _status_code = ${RunStatus.aborted} WHERE id = ${d.run.id}`)
    expect(await begin(d, me, newRun)).toMatchObject({ _tag: "answer", outcome: { status: "superseded" } })
    expect(await rows(`SELECT id FROM lamina_cluster_dispatch WHERE id = '${d.id}'`)).toEqual([])
    expect(await rows(`SELECT runner FROM lamina_run WHERE id = ${d.run.id}`)).toEqual([{ runner: null }])
  }, 60_000)

  it("a first delivery whose run lost its claim ends that run aborted", async () => {
    const { d, newRun } = await claimed()
    await rows(`DELETE FROM lamina_run_claim WHERE cache_key = '${d.cacheKey}'`)
    expect(await begin(d, me, newRun)).toMatchObject({ _tag: "answer", outcome: { status: "superseded" } })
    expect(await rows(`SELECT _status_code, runner FROM lamina_run WHERE id = ${d.run.id}`)).toEqual([{ _status_code: RunStatus.aborted, runner: null }])
    expect(await rows(`SELECT id FROM lamina_cluster_dispatch WHERE id = '${d.id}'`)).toEqual([])
  }, 60_000)

  it("a taken-over attempt's completion fails and records nothing; the current attempt's completes", async () => {
    const { d, newRun } = await claimed()
    await begin(d, me, newRun)
    const retry = await begin(d, other, newRun)
    const next = (retry as { readonly run: { readonly id: number } }).run.id
    const complete = (runId: number) =>
      Effect.flatMap(Tracker, (t) =>
        t.completeRun({ runId, inputs: [], end: { status: RunStatus.completed, finishedAt: new Date(), result: 1 }, releaseClaim: d.cacheKey!, ...completionGuard(d, runId) })
      )
    const lost = await counting(() => lamina.fail(complete(d.run.id)))
    expect(isTakenOver(lost.value)).toBe(true)
    // BEGIN, the run's end, the claim's release (no row: ROLLBACK): no guard statement of its own.
    expect(lost.statements.filter((q) => /lamina_cluster_dispatch/.test(q))).toEqual([])
    expect(await rows(`SELECT _status_code, _result FROM lamina_run WHERE id = ${d.run.id}`)).toEqual([{ _status_code: RunStatus.aborted, _result: null }])
    expect(await rows(`SELECT run_id FROM lamina_run_claim WHERE cache_key = '${d.cacheKey}'`)).toEqual([{ run_id: next }])
    await lamina.run(complete(next))
    expect(await rows(`SELECT _status_code FROM lamina_run WHERE id = ${next}`)).toEqual([{ _status_code: RunStatus.completed }])
    expect(await rows(`SELECT run_id FROM lamina_run_claim WHERE cache_key = '${d.cacheKey}'`)).toEqual([])
  }, 60_000)

  it("an uncached call taken over between its body and its completion is not recorded; the current attempt's is", async () => {
    const { d, newRun } = await uncached()
    expect(await begin(d, me, newRun)).toEqual({ _tag: "run", run: d.run, attempts: 1 })
    // The body ran; before its runner records it, it is presumed lost and the call retried elsewhere.
    const retry = await begin(d, other, newRun)
    expect(retry).toMatchObject({ _tag: "run", attempts: 2, lost: d.run.id })
    const next = (retry as { readonly run: { readonly id: number } }).run.id
    const complete = (runId: number) =>
      Effect.flatMap(Tracker, (t) => t.completeRun({ runId, inputs: [], end: { status: RunStatus.completed, finishedAt: new Date(), result: 1 }, ...completionGuard(d, runId) }))
    const lost = await counting(() => lamina.fail(complete(d.run.id)))
    expect(isTakenOver(lost.value)).toBe(true)
    // The check is the completing transaction's first statement, the row locked; it fails it before any write.
    expect(lost.statements).toEqual(["BEGIN", expect.stringMatching(/^SELECT run_id FROM lamina_cluster_dispatch WHERE .* FOR UPDATE$/), "ROLLBACK"])
    expect(await rows(`SELECT _status_code, _result FROM lamina_run WHERE id = ${d.run.id}`)).toEqual([{ _status_code: RunStatus.aborted, _result: null }])
    const done = await counting(() => lamina.run(complete(next)))
    // One transaction: the check, then the run's end — no guard transaction of its own before it.
    expect(done.statements.filter((q) => /^BEGIN/i.test(q))).toHaveLength(1)
    expect(done.statements[1]).toMatch(/lamina_cluster_dispatch .* FOR UPDATE$/)
    expect(done.statements.at(-1)).toBe("COMMIT")
    expect(await rows(`SELECT _status_code FROM lamina_run WHERE id = ${next}`)).toEqual([{ _status_code: RunStatus.completed }])
  }, 60_000)
})
