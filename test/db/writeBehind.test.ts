/**
 * Write-behind transactions (src/db/writeBehind.ts): writes that go behind are seen on their own
 * connection at once and by other connections once the event loop turns, or sooner when anything
 * else takes the file's permit, an ordinary write joins them, enough of them queue up or the
 * connection closes; a write that throws is undone alone; a failed commit is reported, and the
 * file is refused from then on.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import Database from "better-sqlite3"
import { Cause, Context, Effect, Exit, Layer, Logger, type Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import * as Sqlite from "../../src/db/sqlite.js"
import { savepointSync, transactionNowSync } from "../../src/db/sqliteSync.js"
import { MAX_WRITES } from "../../src/db/writeBehind.js"
import { sqliteCommits as commits } from "../support/sqliteCommits.js"

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-write-behind-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0

type Direct = NonNullable<ReturnType<typeof Sqlite.sqliteDirect>>

/** A fresh database file with table `t`, its client and direct handle, and a reader on another connection. */
const open = (options: { readonly file?: string; readonly warnings?: Array<string> } = {}) =>
  Effect.gen(function* () {
    const file = options.file ?? path.join(dir, `db-${files++}.sqlite`)
    const warnings = options.warnings
    const logged = warnings === undefined ? Layer.empty : Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void warnings.push(String(message))))
    const context = yield* Layer.build(Layer.provide(Layer.orDie(Sqlite.layer({ filename: file, busyTimeoutMs: 500 })), logged))
    const client = Context.get(context, SqlClient.SqlClient)
    yield* client`CREATE TABLE IF NOT EXISTS t (n integer NOT NULL)`
    const d = Sqlite.sqliteDirect(client)
    if (d === undefined) return yield* Effect.dieMessage("not a direct SQLite client")
    const reader = new Database(file, { readonly: true })
    yield* Effect.addFinalizer(() => Effect.sync(() => reader.close()))
    /** What another connection sees. */
    const seen = () => (reader.prepare("SELECT n FROM t ORDER BY n").all() as Array<{ readonly n: number }>).map((r) => r.n)
    return { client, d, seen, file }
  })

const insert = (d: Direct, n: number) => () => d.prepare("INSERT INTO t (n) VALUES (?)").run(n)

/** `f` behind, holding the joining permit, as a caller of `later` does. */
const behind = <A>(d: Direct, f: () => A) => d.behind.joining.withPermits(1)(Effect.sync(() => d.behind.later(f)))

/** What this connection sees (inside its write-behind transaction, if one is open). */
const own = (d: Direct) => (d.prepare("SELECT n FROM t ORDER BY n").all() as Array<{ readonly n: number }>).map((r) => r.n)

/** One turn of the event loop (after the timers queued so far). */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const run = <A, E>(body: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(body))

it("shows a write behind on its own connection at once, and to other connections once the event loop turns", async () => {
  const [before, mine, after, count] = await run(
    Effect.gen(function* () {
      const { d, seen } = yield* open()
      commits.reset()
      yield* behind(d, insert(d, 1))
      yield* behind(d, insert(d, 2))
      const before = seen()
      const mine = own(d)
      yield* turn
      return [before, mine, seen(), commits.count] as const
    })
  )
  expect(before).toEqual([])
  expect(mine).toEqual([1, 2])
  expect(after).toEqual([1, 2])
  expect(count).toBe(1)
})

it("commits before anything else takes the file's permit", async () => {
  const [afterStatement, afterDirect] = await run(
    Effect.gen(function* () {
      const { client, d, seen } = yield* open()
      yield* behind(d, insert(d, 1))
      // An @effect/sql statement, even a read.
      yield* client`SELECT 1`
      const afterStatement = seen()
      yield* behind(d, insert(d, 2))
      yield* d.semaphore.withPermits(1)(Effect.void)
      return [afterStatement, seen()] as const
    })
  )
  expect(afterStatement).toEqual([1])
  expect(afterDirect).toEqual([1, 2])
})

it("lets an ordinary write transaction join it: both commit at once, in one COMMIT", async () => {
  const [rows, count] = await run(
    Effect.gen(function* () {
      const { d, seen } = yield* open()
      commits.reset()
      yield* behind(d, insert(d, 1))
      yield* d.behind.joining.withPermits(1)(Effect.sync(() => transactionNowSync(d, insert(d, 2))))
      return [seen(), commits.count] as const
    })
  )
  expect(rows).toEqual([1, 2])
  expect(count).toBe(1)
})

it("undoes a write behind that throws, and only it", async () => {
  const [exit, rows] = await run(
    Effect.gen(function* () {
      const { d, seen } = yield* open()
      yield* behind(d, insert(d, 1))
      const exit = yield* Effect.exit(
        behind(d, () =>
          savepointSync(d, () => {
            insert(d, 2)()
            throw new Error("refused")
          })
        )
      )
      yield* behind(d, insert(d, 3))
      yield* turn
      return [exit, seen()] as const
    })
  )
  expect(Exit.isFailure(exit)).toBe(true)
  expect(rows).toEqual([1, 3])
})

it(`commits once ${MAX_WRITES} writes went behind, without waiting for the event loop`, async () => {
  const [beforeLast, atLast] = await run(
    Effect.gen(function* () {
      const { d, seen } = yield* open()
      for (let n = 1; n < MAX_WRITES; n++) yield* behind(d, insert(d, n))
      const beforeLast = seen().length
      yield* behind(d, insert(d, MAX_WRITES))
      return [beforeLast, seen().length] as const
    })
  )
  expect(beforeLast).toBe(0)
  expect(atLast).toBe(MAX_WRITES)
})

it("commits before the connection closes", async () => {
  const file = path.join(dir, "closing.sqlite")
  await run(
    Effect.gen(function* () {
      const { d } = yield* open({ file })
      yield* behind(d, insert(d, 7))
    })
  )
  const reader = new Database(file, { readonly: true })
  const rows = reader.prepare("SELECT n FROM t").all()
  reader.close()
  expect(rows).toEqual([{ n: 7 }])
})

it("reports a commit that failed (its writes are lost) and then refuses every statement on the file: the lost rows' ids would be given out again", async () => {
  const warnings: Array<string> = []
  const [rows, write, read] = await run(
    Effect.gen(function* () {
      const { client, d, seen } = yield* open({ warnings })
      // A deferred foreign key: the orphan passes its statement and fails the COMMIT.
      yield* client`CREATE TABLE parent (id integer PRIMARY KEY)`
      yield* client`CREATE TABLE child (parent integer REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`
      yield* behind(d, insert(d, 1))
      yield* behind(d, () => d.prepare("INSERT INTO child (parent) VALUES (42)").run())
      yield* turn
      const rows = seen()
      const write = yield* Effect.exit(behind(d, insert(d, 2)))
      const read = yield* Effect.exit(client`SELECT n FROM t`)
      return [rows, write, read] as const
    })
  )
  expect(rows).toEqual([])
  expect(warnings.some((w) => /could not commit the records of recent steps.*FOREIGN KEY/.test(w))).toBe(true)
  expect(Exit.isFailure(write) && String(Cause.squash(write.cause))).toMatch(/uses this registry no more.*Restart the process/)
  expect(Exit.isFailure(read) && String(Cause.squash(read.cause))).toMatch(/uses this registry no more/)
})

it("commits another connection's write-behind transaction before this one writes (no wait for its lock)", async () => {
  const file = path.join(dir, "two-connections.sqlite")
  const rows = await run(
    Effect.gen(function* () {
      const a = yield* open({ file })
      const b = yield* open({ file })
      yield* behind(a.d, insert(a.d, 1))
      // b's busy timeout is 500 ms: had it waited for a's lock, this would fail with SQLITE_BUSY.
      yield* b.client`INSERT INTO t (n) VALUES (2)`
      return a.seen()
    })
  )
  expect(rows).toEqual([1, 2])
})
