/**
 * `reservedTransaction` (src/db/transaction.ts), the Postgres claim transaction's frame: one
 * transaction on one connection, whether a statement goes through `Reserved.run` or through
 * `SqlClient`; committed on success, rolled back on failure and on interruption (the connection
 * goes back to the pool either way); a savepoint of an enclosing transaction.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { expect, it } from "vitest"
import { reservedTransaction } from "../../src/db/transaction.js"
import { describeBackends } from "../support/backends.js"

const setup = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE IF NOT EXISTS reserved_probe (n integer NOT NULL)`)
const ns = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ readonly n: number }>`SELECT n FROM reserved_probe ORDER BY n`, (rows) => rows.map((r) => Number(r.n)))
)
const insert = (n: number) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO reserved_probe (n) VALUES (${n})`)
const txid = Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(sql<{ readonly t: string }>`SELECT txid_current()::text AS t`, (rows) => rows[0]!.t))

describeBackends("reservedTransaction", ({ instance, backend }) => {
  it.skipIf(backend !== "pg")("runs Reserved.run and SqlClient statements in one transaction and commits it", async () => {
    const i = await instance()
    await i.run(setup)
    const [viaRun, viaClient] = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        reservedTransaction((tx) =>
          Effect.gen(function* () {
            yield* tx.run(sql`INSERT INTO reserved_probe (n) VALUES (${1})`)
            yield* insert(2)
            const a = (yield* tx.run(sql<{ readonly t: string }>`SELECT txid_current()::text AS t`))[0]!.t
            return [a, yield* txid] as const
          })
        )
      )
    )
    expect(viaClient).toBe(viaRun)
    expect(await i.run(ns)).toEqual([1, 2])
  })

  it.skipIf(backend !== "pg")("rolls back every statement when the body fails, and returns its failure", async () => {
    const i = await instance()
    await i.run(setup)
    const failure = await i.fail(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        reservedTransaction((tx) => Effect.zipRight(Effect.zipRight(tx.run(sql`INSERT INTO reserved_probe (n) VALUES (${1})`), insert(2)), Effect.fail("boom" as const)))
      )
    )
    expect(failure).toBe("boom")
    expect(await i.run(ns)).toEqual([])
  })

  it.skipIf(backend !== "pg")("rolls back when interrupted mid-body and gives the connection back", async () => {
    const i = await instance()
    await i.run(setup)
    const exit = await i.run(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const inserted = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          reservedTransaction((tx) => Effect.zipRight(Effect.zipRight(tx.run(sql`INSERT INTO reserved_probe (n) VALUES (${1})`), Deferred.succeed(inserted, undefined)), Effect.never))
        )
        yield* Deferred.await(inserted)
        return yield* Fiber.interrupt(fiber)
      })
    )
    expect(Exit.isInterrupted(exit)).toBe(true)
    expect(await i.run(ns)).toEqual([])
    // No session was left in its transaction, and every connection of the pool is back: as many
    // transactions as the pool has connections can be open at once.
    const stuck = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)
    )
    expect(Number(stuck[0]!.n)).toBe(0)
    const poolSize = Number(process.env.LAMINA_PG_MAX_CONNECTIONS) > 0 ? Number(process.env.LAMINA_PG_MAX_CONNECTIONS) : 8
    const opened = await i.run(
      Effect.gen(function* () {
        const all = yield* Deferred.make<void>()
        let open = 0
        yield* Effect.forEach(
          Array.from({ length: poolSize }, (_, k) => k),
          (k) =>
            reservedTransaction(() =>
              Effect.zipRight(
                Effect.zipRight(insert(10 + k), Effect.sync(() => (++open === poolSize ? Deferred.unsafeDone(all, Exit.void) : undefined))),
                Deferred.await(all)
              )
            ),
          { concurrency: "unbounded", discard: true }
        ).pipe(Effect.timeout("10 seconds"))
        return open
      })
    )
    expect(opened).toBe(poolSize)
  })

  it.skipIf(backend !== "pg")("is a savepoint of an enclosing transaction, on its connection", async () => {
    const i = await instance()
    await i.run(setup)
    const [outer, inner] = await i.run(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(
          Effect.gen(function* () {
            yield* insert(1)
            const outerTx = yield* txid
            const innerTx = yield* reservedTransaction((tx) => Effect.map(tx.run(sql<{ readonly t: string }>`SELECT txid_current()::text AS t`), (rows) => rows[0]!.t))
            // A failing inner transaction undoes only its own statements.
            yield* Effect.ignore(reservedTransaction((tx) => Effect.zipRight(tx.run(sql`INSERT INTO reserved_probe (n) VALUES (${2})`), Effect.fail("inner"))))
            yield* insert(3)
            return [outerTx, innerTx] as const
          })
        )
      )
    )
    expect(inner).toBe(outer)
    expect(await i.run(ns)).toEqual([1, 3])
  })
})
