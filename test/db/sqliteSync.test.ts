/**
 * `makeShared` (src/db/sqliteSync.ts): the write transactions of concurrent fibers share one
 * commit; a write that throws fails alone (its statements undone, the others' committed); a
 * lone write commits at once; a caller interrupted while its write is queued ends only once
 * that write committed (its caller's cleanup must see the row, see save.ts). A write behind (a
 * short step's save) is written at once in the open write-behind transaction, after any other
 * fiber's transaction on the connection.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"
import { afterEach, expect, it } from "vitest"
import * as Sqlite from "../../src/db/sqlite.js"
import { sqliteCommits as commits } from "../support/sqliteCommits.js"

const layer = Sqlite.layer({ filename: ":memory:" })

const withShared = <A, E>(body: (shared: NonNullable<ReturnType<typeof Sqlite.sqliteDirect>>["shared"], sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE shared_probe (n integer NOT NULL)`
        const direct = Sqlite.sqliteDirect(sql)
        if (direct === undefined) return yield* Effect.dieMessage("not a direct SQLite client")
        commits.reset()
        return yield* body(direct.shared, sql)
      }).pipe(Effect.provide(Layer.orDie(layer)))
    )
  )

const insert = (sql: SqlClient.SqlClient, n: number) => () => {
  const d = Sqlite.sqliteDirect(sql)!
  d.prepare("INSERT INTO shared_probe (n) VALUES (?)").run(n)
  return n
}

const ns = (sql: SqlClient.SqlClient) => Effect.map(sql<{ readonly n: number }>`SELECT n FROM shared_probe ORDER BY n`, (rows) => rows.map((r) => r.n))

class Boom {
  readonly _tag = "Boom"
  constructor(readonly cause: unknown) {}
}

afterEach(() => commits.reset())

it("commits the writes of concurrent fibers in one transaction", async () => {
  const [values, rows, count] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      const values = yield* Effect.all(
        Array.from({ length: 8 }, (_, n) => shared(insert(sql, n), (e) => new Boom(e))),
        { concurrency: "unbounded" }
      )
      return [values, yield* ns(sql), commits.count] as const
    })
  )
  expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  expect(rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  expect(count).toBe(1)
})

it("commits one after another when the callers run one after another", async () => {
  const [rows, count] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      for (let n = 0; n < 3; n++) yield* shared(insert(sql, n), (e) => new Boom(e))
      return [yield* ns(sql), commits.count] as const
    })
  )
  expect(rows).toEqual([0, 1, 2])
  expect(count).toBe(3)
})

it("fails a throwing write alone: its statements undone, the others committed", async () => {
  const [exits, rows, count] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      const failing = () => {
        insert(sql, 99)()
        throw new Error("refused")
      }
      const exits = yield* Effect.all(
        [shared(insert(sql, 1), (e) => new Boom(e)), shared(failing, (e) => new Boom(e)), shared(insert(sql, 2), (e) => new Boom(e))].map(Effect.exit),
        { concurrency: "unbounded" }
      )
      return [exits, yield* ns(sql), commits.count] as const
    })
  )
  expect(exits.map(Exit.isSuccess)).toEqual([true, false, true])
  const failure = exits[1]!
  const error = Exit.isFailure(failure) ? Option.getOrUndefined(Cause.failureOption(failure.cause)) : undefined
  expect(error).toBeInstanceOf(Boom)
  expect(String(error?.cause)).toContain("refused")
  expect(rows).toEqual([1, 2])
  expect(count).toBe(1)
})

it("runs each write on its own when the shared COMMIT fails, so only the bad one fails", async () => {
  const [exits, rows] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      // A deferred foreign key: the orphan passes its statement and fails the COMMIT.
      yield* sql`CREATE TABLE shared_parent (id integer PRIMARY KEY)`
      yield* sql`CREATE TABLE shared_child (parent integer REFERENCES shared_parent (id) DEFERRABLE INITIALLY DEFERRED)`
      const orphan = () => {
        Sqlite.sqliteDirect(sql)!.prepare("INSERT INTO shared_child (parent) VALUES (42)").run()
        return 42
      }
      const exits = yield* Effect.all(
        [shared(insert(sql, 1), (e) => new Boom(e)), shared(orphan, (e) => new Boom(e)), shared(insert(sql, 2), (e) => new Boom(e))].map(Effect.exit),
        { concurrency: "unbounded" }
      )
      return [exits, yield* ns(sql)] as const
    })
  )
  expect(exits.map(Exit.isSuccess)).toEqual([true, false, true])
  expect(rows).toEqual([1, 2])
})

it("rolls back a lone write that throws", async () => {
  const [exit, rows] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        shared(() => {
          insert(sql, 7)()
          throw new Error("refused")
        }, (e) => new Boom(e))
      )
      return [exit, yield* ns(sql)] as const
    })
  )
  expect(Exit.isFailure(exit)).toBe(true)
  expect(rows).toEqual([])
})

it("ends an interrupted caller only after its queued write committed", async () => {
  const [settledEarly, waiter, rows] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      // Another fiber's transaction holds the connection: the batch must wait for it.
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(sql.withTransaction(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const leader = yield* Effect.fork(shared(insert(sql, 1), (e) => new Boom(e)))
      const waiter = yield* Effect.fork(shared(insert(sql, 2), (e) => new Boom(e)))
      yield* Effect.yieldNow()
      const interrupting = yield* Effect.fork(Fiber.interrupt(waiter))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      // Had the waiter ended now, its caller's cleanup (a save removing its bytes) would run
      // before the batch commits its row.
      const settledEarly = interrupting.unsafePoll() !== null
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(leader)
      return [settledEarly, yield* Fiber.join(interrupting), yield* ns(sql)] as const
    })
  )
  expect(settledEarly).toBe(false)
  expect(Exit.isInterrupted(waiter)).toBe(true)
  expect(rows).toEqual([1, 2])
})

it("writes a write behind at once when no batch gathers: each caller has its value, a throwing one is undone alone, nothing commits yet", async () => {
  const [values, exit, open, count, rows] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      const values: Array<number> = []
      for (let n = 0; n < 3; n++) values.push(yield* shared(insert(sql, n), (e) => new Boom(e), true))
      const failing = () => {
        insert(sql, 99)()
        throw new Error("refused")
      }
      const exit = yield* Effect.exit(shared(failing, (e) => new Boom(e), true))
      const side = yield* Effect.all([shared(insert(sql, 3), (e) => new Boom(e), true), shared(insert(sql, 4), (e) => new Boom(e), true)], { concurrency: "unbounded" })
      values.push(...side)
      // Read before anything takes the file's permit (which commits first).
      const open = Sqlite.sqliteDirect(sql)!.behind.open()
      const count = commits.count
      return [values, exit, open, count, yield* ns(sql)] as const
    })
  )
  expect(values).toEqual([0, 1, 2, 3, 4])
  expect(Exit.isFailure(exit)).toBe(true)
  expect(open).toBe(true)
  expect(count).toBe(0)
  expect(rows).toEqual([0, 1, 2, 3, 4])
})

it("makes a write behind wait for another fiber's transaction on the connection", async () => {
  const [doneEarly, rows] = await withShared((shared, sql) =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(sql.withTransaction(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const writer = yield* Effect.fork(shared(insert(sql, 1), (e) => new Boom(e), true))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      const doneEarly = writer.unsafePoll() !== null
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(writer)
      return [doneEarly, yield* ns(sql)] as const
    })
  )
  expect(doneEarly).toBe(false)
  expect(rows).toEqual([1])
})
