/**
 * A registry query a step's body ran is run again on a cache hit: other records now mean the
 * body would see other data, and the hit is refused (src/tracker/queries.ts).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Stream } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { tableFromArrays } from "apache-arrow"
import { Agg, DataFrameCurator, Feature, Run, Schema, ULabel } from "../../src/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { queryChanged, storedQueries, storedQuery, withMaker } from "../../src/tracker/queries.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { inputsOf, loadText, runsNamed, saveText } from "../flow/support.js"

/** The step's runs' statuses, oldest first, and what `why` says of the last. */
const history = async (i: TestInstance, name: string) => {
  const runs = await i.run(runsNamed(name))
  const explanations = await Promise.all(runs.map((r) => i.run(Run.why(r.uid))))
  return { statuses: runs.map((r) => r._status_code), whys: explanations.map((e) => e.message), outcomes: explanations.map((e) => e.outcome) }
}

describeBackends("queries in a step body", ({ instance }) => {
  it("recomputes when a query it ran now returns another record, and why names the query", async () => {
    const i = await instance()
    let n = 0
    const inventory = step("inventory", () =>
      Effect.gen(function* () {
        n++
        const raw = yield* Artifact.filter({ key__startswith: "raw/" }).orderBy("key").toArray()
        return raw.map((a) => a.key).join(",")
      })
    )
    const f = flow("inventory-flow", () => inventory())
    await i.run(saveText(i.dir, "raw/a.csv", "1"))
    await i.run(saveText(i.dir, "raw/b.csv", "2"))
    expect(await i.run(f())).toBe("raw/a.csv,raw/b.csv")
    expect(await i.run(f())).toBe("raw/a.csv,raw/b.csv")
    expect(n).toBe(1)
    // Outside the query: no change.
    await i.run(saveText(i.dir, "other/c.csv", "other"))
    expect(await i.run(f())).toBe("raw/a.csv,raw/b.csv")
    expect(n).toBe(1)
    await i.run(saveText(i.dir, "raw/c.csv", "3"))
    expect(await i.run(f())).toBe("raw/a.csv,raw/b.csv,raw/c.csv")
    expect(n).toBe(2)
    const { statuses, whys, outcomes } = await history(i, "inventory")
    expect(statuses).toEqual([0, 3, 3, 0])
    expect(outcomes[3]).toBe("read-changed")
    expect(whys[3]).toContain(`a registry query it ran now returns other records: Artifact.filter({"key__startswith":"raw/"})`)
    expect(await i.run(f())).toBe("raw/a.csv,raw/b.csv,raw/c.csv")
    expect(n).toBe(2)
  })

  it("recomputes when a record it read was edited (values, counts, aggregates and pages too)", async () => {
    const i = await instance()
    const seen: Array<string> = []
    const vocabulary = step("vocabulary", () =>
      Effect.gen(function* () {
        const names = yield* ULabel.filter({ name__startswith: "tissue:" }).orderBy("name").values("name").toArray()
        seen.push(names.map((r) => r.name).join(","))
        return names.length
      })
    )
    const counted = step("counted", () => Effect.tap(ULabel.filter({ name__startswith: "tissue:" }).count(), (k) => Effect.sync(() => seen.push(`count ${k}`))))
    const summed = step("summed", () =>
      Effect.tap(Artifact.filter({ key__startswith: "sizes/" }).aggregate({ total: Agg.sum("size") }), (r) => Effect.sync(() => seen.push(`total ${r.total}`)))
    )
    const paged = step("paged", () =>
      Effect.map(Stream.runCollect(ULabel.filter({ name__startswith: "tissue:" }).iterate({ chunkSize: 1 })), (c) => seen.push(`paged ${c.length}`))
    )
    const f = flow("vocabulary-flow", () => Effect.all([vocabulary(), counted(), summed(), paged()]))
    const lung = await i.run(ULabel.create({ name: "tissue:lung" }))
    await i.run(ULabel.create({ name: "tissue:liver" }))
    await i.run(saveText(i.dir, "sizes/a.txt", "12"))
    await i.run(f())
    await i.run(f())
    expect(seen).toEqual(["tissue:liver,tissue:lung", "count 2", "total 2", "paged 2"])
    // A rename changes what values() returned: only vocabulary runs again.
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_ulabel SET name = 'tissue:lungs' WHERE id = ${lung.id}`))
    await i.run(f())
    expect(seen.slice(4)).toEqual(["tissue:liver,tissue:lungs", "paged 2"])
    // A new label: the count and the pages change too; a new artifact the sum.
    await i.run(ULabel.create({ name: "tissue:skin" }))
    await i.run(saveText(i.dir, "sizes/b.txt", "123"))
    await i.run(f())
    expect(seen.slice(6).sort()).toEqual(["count 3", "paged 3", "tissue:liver,tissue:lungs,tissue:skin", "total 5"])
    expect((await history(i, "summed")).whys.at(-1)).toContain('Artifact.filter({"key__startswith":"sizes/"}) (aggregate)')
  })

  it("leaves out what the run made itself: a step listing the folder it saves into hits on rerun", async () => {
    const i = await instance()
    let n = 0
    const compact = step("compact", () =>
      Effect.gen(function* () {
        n++
        const before = (yield* Artifact.filter({ key__startswith: "clean/" }).toArray()).length
        // The run itself, and later its cached runs.
        const runs = yield* Run.filter({ name: "compact" }).toArray()
        yield* saveText(i.dir, "clean/all.txt", "merged")
        const after = yield* Artifact.filter({ key__startswith: "clean/" }).toArray()
        return `${before}/${after.length}/${runs.length}`
      })
    )
    const f = flow("compact-flow", () => compact())
    expect(await i.run(f())).toBe("0/1/1")
    expect(await i.run(f())).toBe("0/1/1")
    expect(await i.run(f())).toBe("0/1/1")
    expect(n).toBe(1)
    // Another process's file in the folder is another matter.
    await i.run(saveText(i.dir, "clean/extra.txt", "x"))
    expect(await i.run(f())).toBe("2/2/4")
    expect(n).toBe(2)
    // That run saved the first run's file again (the same bytes, the same artifact): its rerun hits.
    expect(await i.run(f())).toBe("2/2/4")
    expect(n).toBe(2)
  })

  it("runs a curator's lookups in the body again: a label trashed since makes the hit a miss, and the validation fails", async () => {
    const i = await instance()
    await i.run(
      Effect.gen(function* () {
        const type = yield* ULabel.create({ name: "Treatment", is_type: true })
        yield* ULabel.create({ name: "DMSO", type })
        yield* ULabel.create({ name: "IFNG", type })
        yield* Feature.create({ name: "treatment", dtype: "cat[ULabel[Treatment]]" })
        yield* Schema.create({ name: "treatments", features: ["treatment"] })
      })
    )
    let n = 0
    const validated = step("validated", () =>
      Effect.gen(function* () {
        n++
        const curator = yield* DataFrameCurator.make(tableFromArrays({ treatment: ["DMSO", "IFNG", "DMSO"] }), "treatments")
        yield* curator.validate()
        return "valid"
      })
    )
    const f = flow("validated-flow", () => validated())
    expect(await i.run(f())).toBe("valid")
    expect(await i.run(f())).toBe("valid")
    expect(n).toBe(1)
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_ulabel SET branch = -1 WHERE name = 'IFNG'`))
    const e = await i.fail(f())
    expect(n).toBe(2)
    expect(String((e as { readonly message?: unknown }).message)).toContain("IFNG")
  })

  it("checks what a step called inside the step checked: its queries and loads, whether it ran or hit", async () => {
    const i = await instance()
    const ran = { inner: 0, outer: 0 }
    const inner = step("inner-query", () =>
      Effect.gen(function* () {
        ran.inner++
        const ref = yield* loadText(yield* Artifact.get({ key: "ref/genome.txt" }))
        return `${ref}:${yield* Artifact.filter({ key__startswith: "inner/" }).count()}`
      })
    )
    const outer = step("outer-query", () =>
      Effect.gen(function* () {
        ran.outer++
        return `${yield* inner()}:${yield* Artifact.filter({ key__startswith: "outer/" }).count()}`
      })
    )
    const f = flow("nested-flow", () => outer())
    /** Save `key`, run the flow twice (the second a hit): it returns `value`, the bodies ran `times` in all. */
    const after = async (key: string, content: string, value: string, times: typeof ran) => {
      await i.run(saveText(i.dir, key, content))
      expect(await i.run(f())).toBe(value)
      expect(await i.run(f())).toBe(value)
      expect(ran).toEqual(times)
    }
    await after("ref/genome.txt", "ACGT", "ACGT:0:0", { inner: 1, outer: 1 })
    // The inner step's query changed: the outer step's hit would skip it.
    await after("inner/a.txt", "a", "ACGT:1:0", { inner: 2, outer: 2 })
    // The outer step runs again on its own account, the inner one is a hit: what it checked is passed on all the same.
    await after("outer/a.txt", "b", "ACGT:1:1", { inner: 2, outer: 3 })
    await after("inner/b.txt", "c", "ACGT:2:1", { inner: 3, outer: 4 })
    // An artifact the inner step loaded got a newer version.
    await after("ref/genome.txt", "TTTT", "TTTT:2:1", { inner: 4, outer: 5 })
    const outerRuns = await i.run(runsNamed("outer-query"))
    expect((await i.run(Run.why(outerRuns[outerRuns.length - 2]!.uid))).message).toContain("has a newer version")
    // The outer run's lineage names its own inputs only: the inner run loaded the reference.
    expect(await i.run(inputsOf(outerRuns[outerRuns.length - 2]!.id))).toEqual([])
  })
  it("checks what a flow nested in the step read: its own loads and its steps' queries", async () => {
    const i = await instance()
    const ran = { outer: 0 }
    const counted = step("nested-count", () => Artifact.filter({ key__startswith: "inner/" }).count())
    const nestedFlow = flow({ name: "inner-flow", nested: true }, () =>
      Effect.gen(function* () {
        const ref = yield* loadText(yield* Artifact.get({ key: "ref/genome.txt" }))
        return `${ref}:${yield* counted()}`
      })
    )
    const outer = step("flow-caller", () => Effect.sync(() => ran.outer++).pipe(Effect.zipRight(nestedFlow())))
    const f = flow("flow-caller-flow", () => outer())
    await i.run(saveText(i.dir, "ref/genome.txt", "ACGT"))
    expect(await i.run(f())).toBe("ACGT:0")
    expect(await i.run(f())).toBe("ACGT:0")
    expect(ran.outer).toBe(1)
    await i.run(saveText(i.dir, "inner/a.txt", "a"))
    expect(await i.run(f())).toBe("ACGT:1")
    expect(await i.run(f())).toBe("ACGT:1")
    expect(ran.outer).toBe(2)
    await i.run(saveText(i.dir, "ref/genome.txt", "TTTT"))
    expect(await i.run(f())).toBe("TTTT:1")
    expect(ran.outer).toBe(3)
  })

  it("checks what an uncached step (cache: false) called inside the step read: its loads, its queries and its files", async () => {
    const i = await instance()
    const ran = { outer: 0 }
    const weightFile = path.join(i.dir, "weight.txt")
    writeFileSync(weightFile, "1")
    const uncached = step({ name: "uncached-reader", cache: false }, () =>
      Effect.gen(function* () {
        const ref = yield* loadText(yield* Artifact.get({ key: "ref/genome.txt" }))
        const count = yield* Artifact.filter({ key__startswith: "inner/" }).count()
        return `${ref}:${count}:${readFileSync(weightFile, "utf8")}`
      })
    )
    const outer = step("uncached-caller", () => Effect.sync(() => ran.outer++).pipe(Effect.zipRight(uncached())))
    const f = flow("uncached-caller-flow", () => outer())
    /** After `change`, the flow returns `value` twice, the second time a hit: the outer body ran `times` in all. */
    const after = async (change: () => Promise<unknown>, value: string, times: number) => {
      await change()
      expect(await i.run(f())).toBe(value)
      expect(await i.run(f())).toBe(value)
      expect(ran.outer).toBe(times)
    }
    await after(() => i.run(saveText(i.dir, "ref/genome.txt", "ACGT")), "ACGT:0:1", 1)
    await after(() => i.run(saveText(i.dir, "inner/a.txt", "a")), "ACGT:1:1", 2)
    await after(() => i.run(saveText(i.dir, "ref/genome.txt", "TTTT")), "TTTT:1:1", 3)
    await after(async () => writeFileSync(weightFile, "22"), "TTTT:1:22", 4)
    const { statuses, whys } = await history(i, "uncached-caller")
    expect(statuses).toEqual([0, 3, 0, 3, 0, 3, 0, 3])
    expect(whys[2]).toContain("inner/")
    expect(whys[4]).toContain("has a newer version")
    expect(whys[6]).toContain(`the file '${weightFile}' its body read changed`)
  })
})

it("keeps a query by its digest, leaving out the run's own rows; refuses unreadable lists", () => {
  const rows = [
    { id: 1, key: "raw/a", run_id: 7 },
    { id: 2, key: "raw/b", run_id: 9 }
  ]
  const ran = { model: "Artifact", what: "Artifact.filter(key__startswith: raw/)", text: "SELECT …", params: ["raw/%"], rows, records: true }
  const kept = storedQuery(ran, 9)
  expect(kept.digest.startsWith("1:")).toBe(true)
  // Rows the run made (their run_id) never count, whenever they appear.
  expect(queryChanged(kept, [...rows, { id: 3, key: "raw/c", run_id: 9 }], 9)).toBeUndefined()
  expect(queryChanged(kept, rows.slice(0, 1), 9)).toBeUndefined()
  expect(queryChanged(kept, [...rows, { id: 3, key: "raw/c", run_id: 8 }], 9)).toContain("now returns other records")
  expect(queryChanged(kept, [{ ...rows[0]!, key: "raw/A" }, rows[1]!], 9)).toContain("Artifact.filter(key__startswith: raw/)")
  // A query passed on to the calling step leaves out the rows of the run that ran it.
  const passed = withMaker([kept], 9)[0]!
  expect(queryChanged(passed, rows, 4)).toBeUndefined()
  // Kept without its maker and checked as run 4's, run 9's row counts: another digest.
  expect(queryChanged({ ...kept }, rows, 4)).toBe("a registry query it ran now returns other records: Artifact.filter(key__startswith: raw/)")
  // A Run's own row, its children and its cached runs are its own.
  const runs = storedQuery({ ...ran, model: "Run", rows: [{ id: 5, initiated_by_run_id: null, reused_run_id: null }] }, 9)
  expect(queryChanged(runs, [{ id: 5, initiated_by_run_id: null, reused_run_id: null }, { id: 9 }, { id: 10, initiated_by_run_id: 9 }, { id: 11, reused_run_id: 9 }], 9)).toBeUndefined()
  // Values and counts have no owner: every row counts.
  const count = storedQuery({ ...ran, rows: [{ n: 2 }], records: false }, 9)
  expect(queryChanged(count, [{ n: 3 }], 9)).toBe("a registry query it ran now returns other records: Artifact.filter(key__startswith: raw/)")
  expect(queryChanged(count, [{ n: 2 }], 9)).toBeUndefined()
  expect(storedQueries(undefined)).toEqual([])
  expect(storedQueries([kept, passed])).toEqual([kept, passed])
  expect(storedQueries([{ ...kept, digest: 1 }])).toBeUndefined()
  expect(storedQueries([{ ...kept, maker: "x" }])).toBeUndefined()
  expect(storedQueries("x")).toBeUndefined()
})
