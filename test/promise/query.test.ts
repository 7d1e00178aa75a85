/**
 * Queries through the Promise API: the Effect QuerySet's building and terminal methods, keyset
 * iteration with `for await`, params__ lookups, Q trees and subqueries — on SQLite and Postgres.
 */
import { expect, it } from "vitest"
import { Agg, DoesNotExist, InvalidArgument, MultipleResultsFound, Q } from "../../src/promise/index.js"
import { describeBackends } from "../support/backends.js"
import { promiseInstance, saveText } from "./support.js"

describeBackends("promise: queries", (ctx) => {
  it("builds lazily and runs terminals as Promises", async () => {
    const { i, lm } = await promiseInstance(ctx)
    for (const [k, text] of [
      ["raw/a.csv", "x,y\n1,2\n"],
      ["raw/b.csv", "x,y\n1,2\n3,4\n"],
      ["raw/c.txt", "batch notes"],
      ["clean/a.csv", "x\n1\n"]
    ] as const)
      await saveText(lm, i, k, text)
    const raw = lm.Artifact.filter({ key__startswith: "raw/" })
    expect(raw.query.state.where).toHaveLength(1) // nothing ran: the Effect QuerySet underneath
    expect((await raw.orderBy("key").toArray()).map((a) => a.key)).toEqual(["raw/a.csv", "raw/b.csv", "raw/c.txt"])
    expect((await raw.orderBy("-key").slice(1, 2).toArray()).map((a) => a.key)).toEqual(["raw/b.csv"])
    expect(await raw.count()).toBe(3)
    expect(await raw.exclude({ suffix: ".txt" }).count()).toBe(2)
    expect(await lm.Artifact.filter(Q.or({ suffix: ".txt" }, { key: "clean/a.csv" })).count()).toBe(2)
    expect(await raw.filter({ size__gt: 1e9 }).exists()).toBe(false)
    expect((await raw.orderBy("key").first())?.key).toBe("raw/a.csv")
    const loaded = await (await raw.orderBy("key").first())!.load()
    expect(Buffer.from(loaded).toString()).toBe("x,y\n1,2\n")
    expect(await raw.values("key", "suffix").orderBy("key").toArray()).toEqual([
      { key: "raw/a.csv", suffix: ".csv" },
      { key: "raw/b.csv", suffix: ".csv" },
      { key: "raw/c.txt", suffix: ".txt" }
    ])
    expect((await lm.Artifact.search("clean").toArray()).map((a) => a.key)).toEqual(["clean/a.csv"])
    const table = await raw.orderBy("key").toTable()
    expect(table.numRows).toBe(3)
    expect(table.getChild("key")?.toArray()).toEqual(["raw/a.csv", "raw/b.csv", "raw/c.txt"])
    expect(await raw.aggregate({ n: Agg.count(), total: Agg.sum("size") })).toEqual({ n: 3, total: 8 + 12 + 11 })
    expect(await lm.Artifact.filter().groupBy("suffix").aggregate({ n: Agg.count() })).toEqual([
      { suffix: ".csv", n: 3 },
      { suffix: ".txt", n: 1 }
    ])
    // a PromiseQuerySet as a subquery
    expect(await lm.Artifact.filter({ id__in: raw.filter({ suffix: ".csv" }).values("id") }).count()).toBe(2)
    expect((await raw.toSql()).text).toMatch(/SELECT/)
  })

  it("rejects with the QuerySet's errors", async () => {
    const { i, lm } = await promiseInstance(ctx)
    await saveText(lm, i, "a.txt", "a")
    await saveText(lm, i, "b.txt", "b")
    await expect(lm.Artifact.filter({ key: "zzz" }).one()).rejects.toBeInstanceOf(DoesNotExist)
    await expect(lm.Artifact.filter({ suffix: ".txt" }).one()).rejects.toBeInstanceOf(MultipleResultsFound)
    expect(await lm.Artifact.filter({ key: "zzz" }).oneOrNone()).toBeUndefined()
    await expect(lm.Artifact.filter().slice(-1).toArray()).rejects.toBeInstanceOf(InvalidArgument)
    await expect(lm.Artifact.filter().iterate({ chunkSize: 0 })[Symbol.asyncIterator]().next()).rejects.toThrow(/chunkSize must be a positive integer/)
  })

  it("for await streams keyset pages; breaking out stops early", async () => {
    const { i, lm } = await promiseInstance(ctx)
    for (let n = 0; n < 7; n++) await saveText(lm, i, `many/${n}.txt`, `content ${n}`)
    const keys: Array<string> = []
    for await (const a of lm.Artifact.filter({ key__startswith: "many/" }).iterate({ chunkSize: 3 })) keys.push(a.key!)
    expect(keys.sort()).toEqual(Array.from({ length: 7 }, (_, n) => `many/${n}.txt`))
    let seen = 0
    for await (const a of lm.Artifact.filter({ key__startswith: "many/" })) {
      expect(Buffer.from(await a.load()).toString()).toMatch(/^content \d$/)
      if (++seen === 2) break
    }
    expect(seen).toBe(2)
  })

  it("finds runs by params__ lookups", async () => {
    const { lm } = await promiseInstance(ctx)
    const train = lm.flow("train", async (learning_rate: number, epochs = 10) => learning_rate * epochs)
    for (const lr of [0.1, 0.01, 0.01]) await train(lr)
    await train(0.001, 60)
    expect(await lm.Run.filter({ params__learning_rate: 0.01 }).count()).toBe(2)
    const longest = await lm.Run.filter({ params__epochs__gt: 50 }).orderBy("-params__epochs").first()
    expect(longest?.params).toEqual({ learning_rate: 0.001, epochs: 60 })
    expect(await lm.Run.filter({ transform__key__contains: "train" }).count()).toBe(4)
    const why = await lm.Run.why(longest!.uid)
    expect([why.run, why.outcome]).toEqual([longest!.uid, "not-cacheable"]) // a flow is never cached, its steps are
  })
})
