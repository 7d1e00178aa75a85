/**
 * One transaction in one round trip (`inOneTrip`): Postgres only, one result per statement, all
 * or nothing, and undefined past the lock bound.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import pg from "pg"
import { expect, it } from "vitest"
import { execute } from "../../src/db/execute.js"
import { inOneTrip } from "../../src/db/oneTrip.js"
import { sql as q } from "../../src/db/sql.js"
import { describeBackends } from "../support/backends.js"

describeBackends("inOneTrip", ({ instance, backend }) => {
  it("Postgres: one result per statement, the lock bound's SET left out; SQLite: not offered", async () => {
    const i = await instance()
    await i.run(execute(q`CREATE TABLE trip_t (v TEXT)`))
    const results = await i.run(inOneTrip([q`INSERT INTO trip_t (v) VALUES (${"a'b"}) RETURNING v`, q`SELECT COUNT(*) AS n FROM trip_t`]))
    if (backend !== "pg") {
      expect(results).toBeUndefined()
      expect(await i.run(execute(q`SELECT v FROM trip_t`))).toEqual([])
      return
    }
    // The second statement sees the first one's row: one transaction, a fresh snapshot per statement.
    expect(results).toEqual([[{ v: "a'b" }], [{ n: 1 }]])
  })

  it.skipIf(backend !== "pg")("values sent as literals read back unchanged: quotes, backslashes, newlines, placeholders, any Unicode", async () => {
    const i = await instance()
    await i.run(execute(q`CREATE TABLE trip_v (n INT, v TEXT)`))
    const values = ["'", "\\", "a'b\\c", "E'x'", "$1 -- ;", "line\nnext", "🧬 é", "\\'; DROP TABLE trip_v; --"]
    await i.run(inOneTrip(values.map((v, n) => q`INSERT INTO trip_v (n, v) VALUES (${n}, ${v})`)))
    const rows = await i.run(execute(q`SELECT v FROM trip_v ORDER BY n`))
    expect(rows.map((r) => r.v)).toEqual(values)
  })

  it("inside an open transaction: undefined, nothing written (the caller's path joins the transaction instead)", async () => {
    const i = await instance()
    await i.run(execute(q`CREATE TABLE trip_x (v TEXT)`))
    const inside = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(inOneTrip([q`INSERT INTO trip_x (v) VALUES (${"z"})`]))))
    expect(inside).toBeUndefined()
    expect(await i.run(execute(q`SELECT v FROM trip_x`))).toEqual([])
  })

  it.skipIf(backend !== "pg")("all or nothing: a failing statement undoes the ones before it", async () => {
    const i = await instance()
    await i.run(execute(q`CREATE TABLE trip_u (v TEXT UNIQUE)`))
    const failed = await i.run(Effect.flip(inOneTrip([q`INSERT INTO trip_u (v) VALUES (${"x"})`, q`INSERT INTO trip_u (v) VALUES (${"x"})`])))
    expect(failed._tag).toBe("SqlError")
    expect(await i.run(execute(q`SELECT v FROM trip_u`))).toEqual([])
  })

  it.skipIf(backend !== "pg")("a lock held past the bound: undefined, nothing written", async () => {
    const i = await instance()
    await i.run(execute(q`CREATE TABLE trip_l (v TEXT)`))
    const blocker = new pg.Client({ connectionString: i.db })
    await blocker.connect()
    try {
      await blocker.query("SELECT pg_advisory_lock(hashtext('trip-lock'))")
      expect(await i.run(inOneTrip([q`INSERT INTO trip_l (v) VALUES (${"y"})`, q`SELECT pg_advisory_xact_lock(hashtext(${"trip-lock"}))`]))).toBeUndefined()
    } finally {
      await blocker.end()
    }
    expect(await i.run(execute(q`SELECT v FROM trip_l`))).toEqual([])
  })
})
