/**
 * Attempts of a dispatched call, on the runner side. The cluster delivers a call at least
 * once: when the runner executing it is lost, the caller's cluster client sends it again and
 * another runner receives it. `lamina_cluster_dispatch` names the call's current run, so that
 * runner can tell a first delivery from a retry:
 *
 * - first delivery: the caller's run is still `started` and holds the cache key's claim → this
 *   runner takes the claim over (its heartbeat, its process) and records itself on the run;
 * - retry: the previous attempt's run, still `started` on a runner that is gone, ends `aborted`
 *   (its partial outputs go to trash) and a new run takes over the claim — up to the caller's
 *   attempt limit;
 * - the current run already ended (the reply was lost): its outcome is answered again, nothing
 *   runs twice.
 *
 * Every decision happens in one transaction holding the cache key's lock (or, for uncached
 * calls, the dispatch row's), and a runner's completion checks, inside its own transaction,
 * what a takeover changes under that lock (`completionGuard`), so a runner that was only
 * presumed lost can never complete a run that was taken over.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { forUpdate } from "../db/dialect.js"
import { sqlFailure } from "../db/failure.js"
import { IntegrityError, type StorageError } from "../errors.js"
import { isHit, lookupHit } from "../tracker/cache.js"
import { encodeRunError, StepFailed } from "../flow/errors.js"
import { withKeyLock } from "../tracker/claims.js"
import { LEASE_MS } from "../tracker/leases.js"
import { OWNER } from "../tracker/owner.js"
import { Tracker } from "../tracker/Tracker.js"
import { encodeValue } from "../registry/model.js"
import { abortRuns, insertRun, RunStatus, type NewRun, type RunRef } from "../registry/Run.js"
import type { CompletionGuard } from "../flow/executor.js"
import type { Lamina } from "../instance/Lamina.js"
import type { Dispatch, Outcome } from "./protocol.js"

/** Who this runner is: its cluster address, host name and a token unique to this process. */
export interface RunnerIdentity {
  readonly address: string
  readonly host: string
  /** `address/pid/start time`: a runner restarted on the same address is another runner. */
  readonly token: string
}

/** What to do with a delivered call. */
export type Attempt =
  | { readonly _tag: "run"; readonly run: RunRef; readonly attempts: number; readonly lost?: number }
  | { readonly _tag: "answer"; readonly outcome: Outcome }
  /** This runner is executing it already (a duplicate delivery): wait for it to end. */
  | { readonly _tag: "busy" }

interface DispatchRow {
  readonly run_id: number
  readonly attempts: number
  readonly runner: string
}

interface RunRow {
  readonly id: number
  readonly uid: string
  readonly _status_code: number
  readonly _result: unknown
  readonly error: unknown
}

/** Run `effect` in a transaction holding the call's lock: its cache key's, else its dispatch row's. */
const locked = <A, E, R>(d: Dispatch, effect: Effect.Effect<A, E, R>) =>
  d.cacheKey !== null
    ? withKeyLock(d.cacheKey, effect)
    : Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(effect).pipe(
          Effect.catchIf(
            (e): e is SqlError => e instanceof SqlError,
            (e) => Effect.fail(sqlFailure("Starting a dispatched step")(e))
          )
        )
      )

const parseJson = (v: unknown): Record<string, unknown> | undefined => {
  if (v === null || v === undefined) return undefined
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
  return v as Record<string, unknown>
}

/** The outcome of a run that already ended, answered again to a repeated delivery. */
const answerOf = (run: RunRow, me: RunnerIdentity, attempts: number): Outcome | undefined => {
  const base = { run: { id: Number(run.id), uid: run.uid }, runner: me.address, host: me.host, attempts }
  const status = Number(run._status_code)
  if (status === RunStatus.completed)
    return { ...base, status: "completed", ...(parseJson(run._result) === undefined ? { uncacheable: "its value could not be stored" } : {}) }
  if (status === RunStatus.errored) {
    const e = parseJson(run.error)
    return {
      ...base,
      status: "errored",
      error: {
        message: typeof e?.message === "string" ? e.message : "the step failed",
        ...(typeof e?.errorTag === "string" ? { errorTag: e.errorTag } : {}),
        ...(typeof e?.errorStack === "string" ? { errorStack: e.errorStack } : {})
      }
    }
  }
  return undefined
}

/**
 * Decide what to do with a delivered call, in one locked transaction. `retryRun` builds the
 * run of a new attempt. A previous attempt's partial outputs are trashed afterwards.
 */
export const beginAttempt = (
  d: Dispatch,
  me: RunnerIdentity,
  stepName: string,
  retryRun: () => NewRun,
  environmentId: number | null
): Effect.Effect<Attempt, StorageError | IntegrityError, Lamina> =>
  Effect.gen(function* () {
    const first = yield* firstAttempt(d, me, environmentId)
    const attempt: Attempt = first ? { _tag: "run", run: d.run, attempts: 1 } : yield* locked(
      d,
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const now = encodeValue("datetime", new Date())
        // The runner executes the run: it records itself, and its heartbeat renews the lease.
        const lease = encodeValue("datetime", new Date(Date.now() + LEASE_MS))
        const place = (runId: number) =>
          sql`UPDATE lamina_run SET runner = ${me.address}, host = ${me.host}, environment_id = ${environmentId}, _lease_owner = ${OWNER}, _lease_expires_at = ${lease} WHERE id = ${runId}`
        const superseded: Attempt = {
          _tag: "answer",
          outcome: { status: "superseded", run: d.run, runner: me.address, host: me.host, attempts: 0 }
        }
        const row = (yield* sql<DispatchRow>`SELECT run_id, attempts, runner FROM lamina_cluster_dispatch WHERE id = ${d.id}${forUpdate(sql)}`)[0]
        if (row === undefined) {
          // First delivery that `firstAttempt` left here (the run ended or its claim moved on;
          // off Postgres, every first delivery): the caller's run, if it is still the one
          // computing this call. Check it, take the claim over, record the call and place the
          // run in one statement, all or nothing: when the run already ended or its claim is no
          // longer its own, nothing is written.
          const started = sql`EXISTS (SELECT 1 FROM lamina_run WHERE id = ${d.run.id} AND _status_code = ${RunStatus.started})`
          const first = (
            yield* sql<{ readonly status: number | null; readonly placed: number }>`WITH claim AS (
                UPDATE lamina_run_claim SET owner = ${OWNER}, heartbeat_at = ${now}
                WHERE ${d.cacheKey !== null ? sql`cache_key = ${d.cacheKey} AND run_id = ${d.run.id} AND ${started}` : sql`FALSE`} RETURNING run_id
              ), go AS (
                SELECT ${d.run.id}::BIGINT AS run_id WHERE ${d.cacheKey === null ? started : sql`EXISTS (SELECT 1 FROM claim)`}
              ), recorded AS (
                INSERT INTO lamina_cluster_dispatch (id, run_id, attempts, runner, updated_at)
                SELECT ${d.id}::TEXT, run_id, 1, ${me.token}::TEXT, ${now}::TIMESTAMPTZ FROM go
              ), placed AS (
                UPDATE lamina_run SET runner = ${me.address}, host = ${me.host}, environment_id = ${environmentId}, _lease_owner = ${OWNER}, _lease_expires_at = ${lease}
                WHERE id IN (SELECT run_id FROM go) RETURNING id
              )
              SELECT (SELECT _status_code FROM lamina_run WHERE id = ${d.run.id}) AS status, (SELECT COUNT(*) FROM placed) AS placed`
          )[0]
          if (first === undefined || first.status === null || Number(first.status) !== RunStatus.started) return superseded
          if (Number(first.placed) === 0) {
            yield* abortRuns([d.run.id], encodeRunError(new StepFailed({ step: stepName, run: d.run.uid, message: "aborted: another run took over its cache key before a runner started it", aborted: true })))
            return superseded
          }
          return { _tag: "run", run: d.run, attempts: 1 } as Attempt
        }
        const attempts = Number(row.attempts)
        const current = (yield* sql<RunRow>`SELECT id, uid, _status_code, _result, error FROM lamina_run WHERE id = ${row.run_id}`)[0]
        if (current === undefined) return superseded
        const ended = answerOf(current, me, attempts)
        if (ended !== undefined) return { _tag: "answer", outcome: ended } as Attempt
        const status = Number(current._status_code)
        if (status === RunStatus.started && row.runner === me.token) return { _tag: "busy" } as Attempt
        // The previous attempt's runner is gone (the cluster only re-sends a call whose runner it lost).
        const previous = row.runner.split("/")[0]
        if (status === RunStatus.started)
          yield* abortRuns(
            [Number(current.id)],
            encodeRunError(
              new StepFailed({
                step: stepName,
                run: current.uid,
                message: `aborted: runner ${previous} was lost while running it (attempt ${attempts} of ${d.maxAttempts})${attempts < d.maxAttempts ? `; attempt ${attempts + 1} runs on ${me.address}` : ""}`,
                aborted: true
              })
            )
          )
        if (attempts >= d.maxAttempts)
          return {
            _tag: "answer",
            outcome: {
              status: "aborted",
              run: { id: Number(current.id), uid: current.uid },
              runner: me.address,
              host: me.host,
              attempts,
              error: {
                message: `step '${stepName}' gave up after ${attempts} attempt(s): runner ${previous} was lost while running it. Raise the attempt limit (cluster({ attempts }) from lamina/cluster) or find out why runners die (out of memory?).`
              }
            }
          } as Attempt
        const next = retryRun()
        if (d.cacheKey !== null) {
          const claim = (yield* sql<{ readonly run_id: number }>`SELECT run_id FROM lamina_run_claim WHERE cache_key = ${d.cacheKey}`)[0]
          if (claim !== undefined && Number(claim.run_id) !== Number(current.id)) return superseded
          if (claim === undefined) {
            const hit = yield* lookupHit(d.cacheKey)
            if (isHit(hit)) return superseded
          }
          const ref = yield* insertRun(next)
          if (claim !== undefined)
            yield* sql`UPDATE lamina_run_claim SET run_id = ${ref.id}, owner = ${OWNER}, heartbeat_at = ${now} WHERE cache_key = ${d.cacheKey}`
          else
            yield* sql`INSERT INTO lamina_run_claim ${sql.insert({ cache_key: d.cacheKey, run_id: ref.id, owner: OWNER, claimed_at: now, heartbeat_at: now })}`
          yield* sql`UPDATE lamina_cluster_dispatch SET run_id = ${ref.id}, attempts = ${attempts + 1}, runner = ${me.token}, updated_at = ${now} WHERE id = ${d.id}`
          yield* place(ref.id)
          return { _tag: "run", run: ref, attempts: attempts + 1, lost: Number(current.id) } as Attempt
        }
        const ref = yield* insertRun(next)
        yield* sql`UPDATE lamina_cluster_dispatch SET run_id = ${ref.id}, attempts = ${attempts + 1}, runner = ${me.token}, updated_at = ${now} WHERE id = ${d.id}`
        yield* place(ref.id)
        return { _tag: "run", run: ref, attempts: attempts + 1, lost: Number(current.id) } as Attempt
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Starting a dispatched step")(e))))
    )
    if (attempt._tag === "run") {
      const tracker = yield* Tracker
      yield* tracker.heartbeat.hold(attempt.run.id, d.cacheKey ?? undefined)
      if (attempt.lost !== undefined) yield* trashLost(attempt.lost)
    }
    return attempt
  })

/**
 * The common first delivery in one statement (`lamina_cluster_first_attempt`, migration 80,
 * under the same locks as the transaction in `beginAttempt`): true when it took the claim over,
 * recorded the call and placed the run. False when it wrote nothing and the transaction must
 * decide (a repeated delivery, a run that ended, a claim that moved on) — or off Postgres.
 */
const firstAttempt = (d: Dispatch, me: RunnerIdentity, environmentId: number | null) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const now = encodeValue("datetime", new Date())
    const lease = encodeValue("datetime", new Date(Date.now() + LEASE_MS))
    return yield* sql.onDialectOrElse({
      pg: () =>
        Effect.map(
          sql<{ readonly code: number }>`SELECT lamina_cluster_first_attempt(${d.id}::TEXT, ${d.run.id}::BIGINT, ${d.cacheKey}::TEXT, ${RunStatus.started}::BIGINT, ${OWNER}::TEXT, ${me.token}::TEXT, ${me.address}::TEXT, ${me.host}::TEXT, ${environmentId}::BIGINT, ${now}::TIMESTAMPTZ, ${lease}::TIMESTAMPTZ) AS code`,
          (rows) => Number(rows[0]?.code) === 0
        ),
      orElse: () => Effect.succeed(false)
    })
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Starting a dispatched step")(e))))

/** Move what a lost attempt saved to trash. */
const trashLost = (runId: number) => Effect.flatMap(Tracker, (tracker) => tracker.trashRunOutputs(runId))

/** The failure of a completion whose attempt was taken over (`isTakenOver`). */
const takenOver = (runId: number) => new IntegrityError({ message: `run ${runId} was taken over while it ran (its runner was presumed lost); its result is discarded` })

/**
 * How a runner records `runId` only while it is still the call's current attempt — a runner
 * presumed lost, whose call was taken over or whose claim was dropped as abandoned, must not
 * complete it. Both checks are part of the completing transaction (they fail it, writing
 * nothing), so no takeover slips in between, and cost no transaction of their own:
 *
 * - a cached call: its completion releases the key's claim and fails when the run no longer
 *   holds it — every takeover (a retry here, `abandonAttempt`, a claimant dropping a stale
 *   claim) moves or drops the claim under the key's lock;
 * - an uncached call has no claim: its completion first locks the dispatch row (`FOR UPDATE`,
 *   before any write, the order a retry here takes its locks in) and fails unless it still
 *   names the run. A retry moves the row under that lock, so it either moved it before the
 *   check or waits until the completion committed — then finds the run ended and answers it.
 */
export const completionGuard = (d: Dispatch, runId: number): CompletionGuard =>
  d.cacheKey !== null ? { claimLost: takenOver(runId) } : { attempt: { dispatch: d.id, lost: takenOver(runId) } }

/** True for the failure a completion refused by `completionGuard` raises. */
export const isTakenOver = (e: unknown): boolean => e instanceof IntegrityError && e.message.includes("was taken over while it ran")

/**
 * End an attempt whose completion failed on a registry error (Postgres went away while the
 * body ran): under the call's lock, a run still `started` ends `aborted` (its claim dropped,
 * its outputs to trash), so nothing waits on it and a rerun computes it again. A run that did
 * end (its completion committed, only the acknowledgement was lost) is answered as it ended.
 * Retry it until the registry is back: a runner is long-lived, so lease expiry never ends
 * its runs for it.
 */
export const abandonAttempt = (
  d: Dispatch,
  run: RunRef,
  me: RunnerIdentity,
  stepName: string,
  attempts: number,
  reason: string
): Effect.Effect<Outcome, StorageError | IntegrityError, Lamina> =>
  Effect.gen(function* () {
    const answer = yield* locked(
      d,
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const row = (yield* sql<RunRow>`SELECT id, uid, _status_code, _result, error FROM lamina_run WHERE id = ${run.id}${forUpdate(sql)}`)[0]
        const ended = row === undefined ? undefined : answerOf(row, me, attempts)
        if (ended !== undefined) return { outcome: ended, aborted: false }
        const message = `aborted: the registry failed while it ran on runner ${me.address} (${reason}); a rerun computes it again`
        if (row !== undefined && Number(row._status_code) === RunStatus.started) {
          yield* abortRuns([run.id], encodeRunError(new StepFailed({ step: stepName, run: run.uid, message, aborted: true })))
          if (d.cacheKey !== null) yield* sql`DELETE FROM lamina_run_claim WHERE cache_key = ${d.cacheKey} AND run_id = ${run.id}`
        }
        const outcome: Outcome = { status: "aborted", run: { id: run.id, uid: run.uid }, runner: me.address, host: me.host, attempts, error: { message } }
        return { outcome, aborted: true }
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Ending a step whose completion failed")(e))))
    )
    if (answer.aborted) yield* trashLost(run.id)
    return answer.outcome
  })
