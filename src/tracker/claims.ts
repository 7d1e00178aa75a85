/**
 * Single-flight claims across processes: a row in `lamina_run_claim` (the cache key is its
 * primary key). The claim is taken in the same transaction that re-checks the cache and inserts
 * the computing run, and released in the transaction that completes it — under SQLite's write
 * lock (BEGIN IMMEDIATE) or a Postgres transaction-scoped advisory lock on the key, so no caller
 * can slip between "no hit" and "claimed". Waiters poll the claim; a claim whose owner process
 * is gone (same host, dead pid) or whose heartbeat is older than `STALE_AFTER_MS` is taken over.
 *
 * The in-process half (one `Deferred` per key) and the heartbeat are the Tracker layer's state.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect } from "effect"
import type { IntegrityError } from "../errors.js"
import { sqlFailure } from "../registry/crud.js"
import { encodeValue } from "../registry/model.js"
import { abortRuns, insertRun, insertRunStatement, newRunUid, runValues, type NewRun, type RunRef } from "../registry/Run.js"
import { currentDialect, forUpdate } from "../db/dialect.js"
import { sqlDialect } from "../db/dialects/index.js"
import { execute } from "../db/execute.js"
import { inOneTrip } from "../db/oneTrip.js"
import { sql as q, type Sql } from "../db/sql.js"
import { reservedTransaction, type Reserved } from "../db/transaction.js"
import { decodeChecked, type Hit, isHit, lookupHit, lookupHitDirect, lookupHitSync, type StoredCheck, type Refusal } from "./cache.js"
import type { CacheParts } from "./cacheKey.js"
import { type Direct, insertClaimSync, insertRunSync, readClaimSync } from "./direct.js"
import type { SqliteDirect } from "../db/sqlite.js"
import { OWNER, ownerState } from "./owner.js"

/** A claim older than this without a heartbeat is considered abandoned. */
export const STALE_AFTER_MS = 60_000

/** The name of a cache key's lock (Postgres: an advisory lock on its hash, as migration 080's function takes it). */
const keyLockName = (cacheKey: string) => "lamina-cache:" + cacheKey

/** Postgres: the statement taking the cache key's lock until the transaction ends. */
const keyLockStatement = (sql: SqlClient.SqlClient, cacheKey: string) => sql`SELECT pg_advisory_xact_lock(hashtext(${keyLockName(cacheKey)}))`

/** Run `effect` in a transaction holding the cache key's lock. */
export const withKeyLock = <A, E, R>(cacheKey: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.zipRight(
        sql.onDialectOrElse({
          pg: () => Effect.asVoid(keyLockStatement(sql, cacheKey)),
          orElse: () => Effect.void
        }),
        effect
      )
    )
  }).pipe(
    Effect.catchIf(
      (e): e is SqlError => e instanceof SqlError,
      (e) => Effect.fail(sqlFailure("Claiming a cache key")(e))
    ),
    // SQLite: a transaction must not yield to a writer on another connection of this process,
    // whose synchronous busy wait would then block the event loop.
    Effect.withMaxOpsBeforeYield(1_000_000)
  )

/** A claim as stored. */
interface ClaimRow {
  readonly run_id: number
  readonly owner: string
  readonly heartbeat_at: string | Date
}

const isStale = (claim: ClaimRow, staleAfterMs: number): boolean =>
  Date.now() - new Date(claim.heartbeat_at).getTime() > staleAfterMs || ownerState(claim.owner) === "dead"

const claimStatement = (sql: SqlClient.SqlClient, cacheKey: string) => sql<ClaimRow>`SELECT run_id, owner, heartbeat_at FROM lamina_run_claim WHERE cache_key = ${cacheKey}`

const readClaim = (cacheKey: string) => Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(claimStatement(sql, cacheKey), (rows) => rows[0]))

const insertClaimStatement = (sql: SqlClient.SqlClient, cacheKey: string, runId: number) => {
  const t = encodeValue("datetime", new Date())
  return sql`INSERT INTO lamina_run_claim ${sql.insert({ cache_key: cacheKey, run_id: runId, owner: OWNER, claimed_at: t, heartbeat_at: t })}`
}

/** Drop an abandoned claim and mark its run aborted. */
const dropStale = (cacheKey: string, claim: ClaimRow) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DELETE FROM lamina_run_claim WHERE cache_key = ${cacheKey} AND run_id = ${claim.run_id}`
    yield* abortRuns([Number(claim.run_id)], { _tag: "StepFailed", message: "abandoned: its process stopped while computing" })
  })

/** The outcome of trying to start a computation. */
export type Start =
  | { readonly _tag: "hit"; readonly hit: Hit }
  | { readonly _tag: "busy" }
  | { readonly _tag: "claimed"; readonly run: RunRef; readonly refused?: Refusal }

/** Statements sent through the client itself (each an Effect): `claimIn` outside a reserved transaction. */
const throughClient: Reserved = { run: (statement) => statement }

/**
 * The claim's decisions, inside a transaction that holds the key's lock: a hit, or someone
 * else's live claim, or a new run inserted with the claim on its key. The common path's
 * statements go through `tx`; the uncommon branches (a stale claim to drop, a run found under
 * the lock, feature values) use the Effect functions, which join the same transaction.
 */
const claimIn = (sql: SqlClient.SqlClient, tx: Reserved, cacheKey: string, run: NewRun, staleAfterMs: number) =>
  Effect.gen(function* () {
    const claim = (yield* tx.run(claimStatement(sql, cacheKey)))[0]
    if (claim !== undefined) {
      if (!isStale(claim, staleAfterMs)) return { _tag: "busy" } as Start
      yield* dropStale(cacheKey, claim)
    }
    const hit = yield* lookupHit(cacheKey, tx)
    if (isHit(hit)) return { _tag: "hit", hit } as Start
    const started = hit === undefined ? run : withRefusal(run, hit)
    const ref: RunRef = started.features === undefined ? yield* insertRunRow(tx, sql, started).pipe(Effect.mapError(sqlFailure("Saving a Run"))) : yield* insertRun(started)
    yield* tx.run(insertClaimStatement(sql, cacheKey, ref.id))
    return { _tag: "claimed", run: ref, ...(hit !== undefined ? { refused: hit } : {}) } as Start
  })

/** `claimIn` in one transaction holding the cache key's lock, its statements through the client. */
export const claimAndStart = (cacheKey: string, run: NewRun, staleAfterMs: number = STALE_AFTER_MS) =>
  withKeyLock(
    cacheKey,
    Effect.flatMap(SqlClient.SqlClient, (sql) => claimIn(sql, throughClient, cacheKey, run, staleAfterMs))
  )

/**
 * `claimAndStart` on Postgres: the same statements, decisions and errors, in one transaction on
 * a reserved connection (`db/transaction.ts`) whose common path — key lock, claim, cache
 * re-check, run and claim inserts — goes to the connection directly instead of through
 * @effect/sql's statement path (≈ 4× fewer bytes allocated per statement).
 */
export const claimAndStartReserved = (cacheKey: string, run: NewRun, staleAfterMs: number = STALE_AFTER_MS) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    reservedTransaction((tx) => Effect.zipRight(tx.run(keyLockStatement(sql, cacheKey)), claimIn(sql, tx, cacheKey, run, staleAfterMs)))
  ).pipe(
    Effect.catchIf(
      (e): e is SqlError => e instanceof SqlError,
      (e) => Effect.fail(sqlFailure("Claiming a cache key")(e))
    )
  )

/**
 * What a claim in one round trip must not find before it inserts its run: the run holding the
 * key's claim, and a completed run with the key (`_status_code = 0` literally, for the partial
 * index). Their ids only, as the insert returns: whole run rows cost Postgres twice the planning.
 */
const claimOrRunLookups = (cacheKey: string): ReadonlyArray<Sql> => [
  q`SELECT id FROM lamina_run WHERE id IN (SELECT run_id FROM lamina_run_claim WHERE cache_key = ${cacheKey})`,
  q`SELECT id FROM lamina_run WHERE cache_key = ${cacheKey} AND _status_code = 0 LIMIT 1`
]

/**
 * `claimAndStart`'s common case on Postgres — no claim on the key and no completed run with it —
 * as one transaction in one round trip (`inOneTrip`): the key's lock, then the run's insert
 * unless either is found (`insertUnlessFound`), then the claim on the run it inserted (its uid is
 * new, so nothing else matches). Undefined, with nothing written, when it cannot decide alone: a
 * claim or a completed run found (busy, a hit, a stale claim, a refusal: `claimAndStartReserved`
 * tells them apart), feature values, a lock wait past the bound, a dialect without one-trip
 * transactions.
 */
export const claimInOneTrip = (cacheKey: string, run: NewRun) =>
  Effect.gen(function* () {
    if (run.features !== undefined) return undefined
    const dialect = sqlDialect(yield* currentDialect)
    const uid = run.uid ?? newRunUid()
    const lookups = claimOrRunLookups(cacheKey)
    const lock = dialect.transactionLocks([keyLockName(cacheKey)])
    const insert = dialect.insertUnlessFound("lamina_run", lookups, runValues(run, uid), "id")
    if (lock === undefined || insert === undefined) return undefined
    const t = encodeValue("datetime", new Date())
    const claim = q`INSERT INTO lamina_run_claim (cache_key, run_id, owner, claimed_at, heartbeat_at) SELECT ${cacheKey}, id, ${OWNER}, ${t}, ${t} FROM lamina_run WHERE uid = ${uid} RETURNING run_id`
    const results = yield* inOneTrip([lock, insert, claim])
    if (results === undefined) return undefined
    const [, rows, claimed] = results
    // Rows tagged with a lookup's position were found; the inserted run is tagged after them.
    const inserted = rows!.find((r) => Number(r.lamina_which) === lookups.length)
    if (inserted === undefined) return undefined
    if (claimed!.length !== 1) return yield* Effect.dieMessage(`the claim on ${cacheKey} was not inserted with its run ${uid}`)
    return { _tag: "claimed" as const, run: { id: Number(inserted.id), uid } } satisfies Start
  }).pipe(
    Effect.catchIf(
      (e): e is SqlError => e instanceof SqlError,
      (e) => Effect.fail(sqlFailure("Claiming a cache key")(e))
    )
  )

/** `insertRun` of a run without feature values, its statement sent through `tx`. */
const insertRunRow = (tx: Reserved, sql: SqlClient.SqlClient, r: NewRun) =>
  Effect.suspend(() => {
    const uid = r.uid ?? newRunUid()
    return Effect.map(tx.run(insertRunStatement(sql, r, uid)), (rows): RunRef => ({ id: Number(rows[0]!.id), uid }))
  })

/** What `claimSync` concluded: a start, or that the step-by-step path must decide (it wrote nothing then). */
export type ClaimedSync = Start | { readonly _tag: "slow" } | { readonly _tag: "defect"; readonly error: unknown }

/**
 * `claimAndStart` on SQLite's direct path (see `direct.ts`), as one synchronous call inside a
 * group-commit batch's transaction (BEGIN IMMEDIATE already holds the database's write lock,
 * which is the key lock on SQLite): read the claim, re-check the cache, insert the run and the
 * claim, with the same statements. A stale claim or feature values return `slow` (then
 * `claimAndStartDirectSlow` decides), a decoding bug `defect` — both before writing anything.
 */
export const claimSync = (d: SqliteDirect, cacheKey: string, run: NewRun, staleAfterMs: number, stored: StoredCheck | undefined): ClaimedSync => {
  const claim = readClaimSync(d, cacheKey)
  if (claim !== undefined) return isStale(claim, staleAfterMs) ? { _tag: "slow" } : { _tag: "busy" }
  if (run.features !== undefined) return { _tag: "slow" }
  let hit: Hit | Refusal | undefined
  try {
    hit = decodeChecked(lookupHitSync(d, cacheKey, stored))
  } catch (error) {
    // A decoding bug stays a defect, not a storage error (as on the Effect path).
    return { _tag: "defect", error }
  }
  if (isHit(hit)) return { _tag: "hit", hit }
  const ref = insertRunSync(d, hit === undefined ? run : withRefusal(run, hit))
  insertClaimSync(d, cacheKey, ref.id, OWNER)
  return { _tag: "claimed", run: ref, ...(hit !== undefined ? { refused: hit } : {}) }
}

/** `claimSync` step by step: drops a stale claim, inserts a run with feature values. */
export const claimAndStartDirectSlow = (direct: Direct, cacheKey: string, run: NewRun, staleAfterMs: number, stored: StoredCheck | undefined) =>
  Effect.gen(function* () {
    const claim = yield* direct.run("Claiming a cache key", (d) => readClaimSync(d, cacheKey))
    if (claim !== undefined) {
      if (!isStale(claim, staleAfterMs)) return { _tag: "busy" } as Start
      yield* dropStale(cacheKey, claim).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Claiming a cache key")(e))))
    }
    const hit = yield* lookupHitDirect(direct, cacheKey, stored)
    if (isHit(hit)) return { _tag: "hit", hit } as Start
    const started = hit === undefined ? run : withRefusal(run, hit)
    const ref =
      started.features === undefined
        ? yield* direct.run("Claiming a cache key", (d) => insertRunSync(d, started))
        : yield* insertRun(started)
    yield* direct.run("Claiming a cache key", (d) => insertClaimSync(d, cacheKey, ref.id, OWNER))
    return { _tag: "claimed", run: ref, ...(hit !== undefined ? { refused: hit } : {}) } as Start
  })

/** A refusal as kept in the cache parts of the run that executed instead. */
const refusedPart = (refused: Refusal): NonNullable<CacheParts["refused"]> => ({ run: refused.run.uid, reason: refused.reason, ...(refused.read ? { read: true as const } : {}) })

/** Cache parts noting why the newest run with their key was not reused (unchanged without a refusal). */
export const withRefusedParts = <P extends CacheParts | null>(parts: P, refused: Refusal | undefined): P =>
  parts === null || refused === undefined ? parts : { ...parts, refused: refusedPart(refused) }

/** Note on a new run why the newest run with its key was not reused. */
export const withRefusal = (run: NewRun, refused: Refusal): NewRun =>
  typeof run.cacheParts === "object" && run.cacheParts !== null
    ? { ...run, cacheParts: { ...run.cacheParts, refused: refusedPart(refused) } }
    : run

/** The statement releasing `cacheKey`'s claim held by run `runId`. */
export const releaseClaimStatement = (cacheKey: string, runId: number): Sql => q`DELETE FROM lamina_run_claim WHERE cache_key = ${cacheKey} AND run_id = ${runId}`

/**
 * Release a claim (inside the completing transaction). With `lost`, fail with it when the run
 * no longer held the claim, so the completing transaction (its savepoint) writes nothing.
 */
export const releaseClaim = (cacheKey: string, runId: number, lost?: IntegrityError) =>
  execute<{ readonly run_id: number }>(lost === undefined ? releaseClaimStatement(cacheKey, runId) : q`${releaseClaimStatement(cacheKey, runId)} RETURNING run_id`).pipe(
    Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Releasing a cache claim")(e))),
    Effect.flatMap((rows) => (lost !== undefined && rows.length === 0 ? Effect.fail(lost) : Effect.void))
  )

/**
 * A dispatched uncached call's attempt (inside the completing transaction, before its writes):
 * fail with `lost` unless dispatch row `dispatchId` still names `runId`. The row stays locked
 * until the transaction ends, so a takeover (src/cluster/attempt.ts, which locks it first too)
 * either moved it before this check or waits until the completion committed.
 */
export const holdAttempt = (dispatchId: string, runId: number, lost: IntegrityError) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ readonly run_id: number }>`SELECT run_id FROM lamina_cluster_dispatch WHERE id = ${dispatchId}${forUpdate(sql)}`
  ).pipe(
    Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Completing a dispatched step")(e))),
    Effect.flatMap((rows) => (rows[0] === undefined || Number(rows[0].run_id) !== runId ? Effect.fail(lost) : Effect.void))
  )

/** Wait until the key's claim is gone (released, or abandoned and dropped). */
export const awaitClaim = (cacheKey: string, staleAfterMs: number = STALE_AFTER_MS) =>
  Effect.gen(function* () {
    let delay = 5
    for (;;) {
      yield* Effect.sleep(Duration.millis(delay))
      delay = Math.min(delay * 2, 250)
      const claim = yield* readClaim(cacheKey)
      if (claim === undefined) return
      if (isStale(claim, staleAfterMs)) {
        yield* withKeyLock(cacheKey, dropStale(cacheKey, claim))
        return
      }
    }
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Waiting for a cache claim")(e))))
