import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { updateRow } from "../../src/registry/crud.js"
import { Run, RunModel } from "../../src/registry/Run.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { seedRun, seedTransform } from "../support/seed.js"

type Spec = Record<string, unknown>

const PARAMS: Record<string, unknown> = {
  r1: { learning_rate: 0.01, epochs: 10, optimizer: "adam", use_gpu: true, preprocess: { downsample: true, size: 256 }, tags: ["a", "b"], "odd.key": 1, 'q"t': "x", batch: "10" },
  r2: { learning_rate: 0.001, epochs: 100, optimizer: "sgd", use_gpu: false, preprocess: { downsample: false, size: 128 }, batch: "9" },
  r3: { learning_rate: "0.01", epochs: 42, optimizer: null, batch: "5" },
  r4: { epochs: 7, learning_rate: 0.1 },
  r5: null
}

describeBackends("params", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const t = yield* seedTransform({ key: "train.py" })
        for (const [name, params] of Object.entries(PARAMS)) yield* seedRun(t, { name, params, plan: params })
        yield* seedRun(t, { name: "r6", params: { epochs: 1000 }, plan: { epochs: 1000 }, branch: -1 })
      })
    )
  })
  const names = async (...specs: ReadonlyArray<Spec>) => (await i.run(Run.filter(...specs).toArray())).map((r) => r.name).sort()
  /** The same query on params (side table) and on plan (JSON expressions): both must agree. */
  const both = async (spec: Spec) => {
    const onParams = await names(spec)
    const onPlan = await names(Object.fromEntries(Object.entries(spec).map(([k, v]) => [k.replace(/^params/, "plan"), v])))
    expect(onPlan).toEqual(onParams)
    return onParams
  }

  it("compares numbers as numbers and strings as strings", async () => {
    expect(await both({ params__learning_rate: 0.01 })).toEqual(["r1"])
    expect(await both({ params__learning_rate: "0.01" })).toEqual(["r3"])
    expect(await both({ params__epochs__gt: 9 })).toEqual(["r1", "r2", "r3"])
    expect(await both({ params__epochs__gt: 50 })).toEqual(["r2"])
    expect(await both({ params__epochs__lte: 42 })).toEqual(["r1", "r3", "r4"])
    expect(await both({ params__epochs__range: [10, 50] })).toEqual(["r1", "r3"])
    // "5" > "10" as text
    expect(await both({ params__batch__gt: "10" })).toEqual(["r2", "r3"])
    expect(await both({ params__batch__lt: "6" })).toEqual(["r1", "r3"])
  })

  it("matches booleans and null only as JSON booleans and null", async () => {
    expect(await both({ params__use_gpu: true })).toEqual(["r1"])
    expect(await both({ params__use_gpu: false })).toEqual(["r2"])
    expect(await both({ params__use_gpu: 1 })).toEqual([])
    expect(await both({ params__optimizer: null })).toEqual(["r3"])
  })

  it("reads nested keys and keys with special characters", async () => {
    expect(await both({ params__preprocess__downsample: true })).toEqual(["r1"])
    expect(await both({ params__preprocess__size__gte: 200 })).toEqual(["r1"])
    expect(await both({ params__preprocess__size: 128 })).toEqual(["r2"])
    expect(await both({ "params__odd.key": 1 })).toEqual(["r1"])
    expect(await both({ 'params__q"t': "x" })).toEqual(["r1"])
  })

  it("in, isnull, string lookups", async () => {
    expect(await both({ params__optimizer__in: ["adam", "sgd"] })).toEqual(["r1", "r2"])
    expect(await both({ params__learning_rate__in: [0.01, "0.01"] })).toEqual(["r1", "r3"])
    expect(await both({ params__use_gpu__in: [false] })).toEqual(["r2"])
    expect(await both({ params__optimizer__isnull: true })).toEqual(["r4", "r5"])
    expect(await both({ params__optimizer__isnull: false })).toEqual(["r1", "r2", "r3"])
    expect(await both({ params__preprocess__isnull: false })).toEqual(["r1", "r2"])
    expect(await both({ params__optimizer__startswith: "ad" })).toEqual(["r1"])
    expect(await both({ params__optimizer__icontains: "SG" })).toEqual(["r2"])
    expect(await both({ params__optimizer__regex: "^(adam|sgd)$" })).toEqual(["r1", "r2"])
    expect(await both({ params__isnull: true })).toEqual(["r5"])
    expect(await names({ params: null })).toEqual(["r5"])
  })

  it("combines with Q and exclude", async () => {
    expect(await names({ params__epochs__gt: 5 }, { params__optimizer: "adam" })).toEqual(["r1"])
    expect((await i.run(Run.exclude({ params__epochs__gt: 20 }).toArray())).map((r) => r.name).sort()).toEqual(["r1", "r4", "r5"])
  })

  it("orders by a param: numbers ascending, missing values first", async () => {
    const asc = await i.run(Run.filter().orderBy("params__epochs").toArray())
    expect(asc.map((r) => r.name)).toEqual(["r5", "r4", "r1", "r3", "r2"])
    const desc = await i.run(Run.filter().orderBy("-params__epochs").toArray())
    expect(desc.map((r) => r.name)).toEqual(["r2", "r3", "r1", "r4", "r5"])
    const plan = await i.run(Run.filter().orderBy("-plan__epochs").toArray())
    expect(plan.map((r) => r.name)).toEqual(["r2", "r3", "r1", "r4", "r5"])
    // mixed types: absent first, then numbers, then strings
    for (const key of ["params__learning_rate", "plan__learning_rate"] as const) {
      const mixed = await i.run(Run.filter().orderBy(key, "name").toArray())
      expect(mixed.map((r) => r.name)).toEqual(["r5", "r2", "r1", "r4", "r3"])
      const mixedDesc = await i.run(Run.filter().orderBy(`-${key}`).toArray())
      expect(mixedDesc.map((r) => r.name)).toEqual(["r3", "r4", "r1", "r2", "r5"])
    }
    const top = await i.run(Run.filter({ params__epochs__gt: 5 }).orderBy("-params__epochs").slice(0, 2).toArray())
    expect(top.map((r) => r.name)).toEqual(["r2", "r3"])
    const range = await i.run(Run.filter({ params__epochs__range: [8, 50], name__startswith: "r" }).orderBy("params__epochs").toArray())
    expect(range.map((r) => r.name)).toEqual(["r1", "r3"])
    expect(await i.run(Run.filter({ params__epochs__gt: 5 }).orderBy("-params__epochs").count())).toBe(4)
  })

  it("selects params values", async () => {
    const rows = await i.run(Run.filter({ name__in: ["r1", "r3", "r5"] }).orderBy("name").values("name", "params__learning_rate", "params__preprocess", "params__tags").toArray())
    expect(rows).toEqual([
      { name: "r1", params__learning_rate: 0.01, params__preprocess: { downsample: true, size: 256 }, params__tags: ["a", "b"] },
      { name: "r3", params__learning_rate: "0.01", params__preprocess: null, params__tags: null },
      { name: "r5", params__learning_rate: null, params__preprocess: null, params__tags: null }
    ])
  })

  it("hides trashed runs; filtering by branch shows them", async () => {
    expect(await names({ params__epochs: 1000 })).toEqual([])
    expect(await names({ params__epochs: 1000, branch: -1 })).toEqual(["r6"])
  })

  it("keeps the side table in step on update and delete", async () => {
    const t = await i.run(seedTransform({ key: "tmp.py" }))
    const run = await i.run(seedRun(t, { name: "tmp", params: { alpha: 1 } }))
    expect(await names({ params__alpha: 1 })).toEqual(["tmp"])
    await i.run(updateRow(RunModel, run.id, { params: { alpha: 2, beta: "x" } }))
    expect(await names({ params__alpha: 1 })).toEqual([])
    expect(await names({ params__alpha: 2, params__beta: "x" })).toEqual(["tmp"])
    await i.run(updateRow(RunModel, run.id, { _status_code: 1 }))
    expect(await names({ params__alpha: 2 })).toEqual(["tmp"])
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM lamina_run WHERE id = ${run.id}`))
    const left = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run_param WHERE run_id = ${run.id}`))
    expect(Number(left[0]!.n)).toBe(0)
  })

  it("maps status names like LaminDB", async () => {
    expect((await names({ status: "completed" })).length).toBe(5)
    expect(await names({ status: "errored" })).toEqual([])
    expect((await names({ status__in: ["completed", "started"] })).length).toBe(5)
    expect((await i.fail(Run.filter({ status: "done" } as Spec).toArray())).message).toContain("Invalid Run status 'done'")
  })

  it("rejects whole-document and ill-typed comparisons", async () => {
    expect((await i.fail(Run.filter({ params: { a: 1 } }).toArray()))._tag).toBe("InvalidArgument")
    expect((await i.fail(Run.filter({ params__epochs__gt: true }).toArray())).message).toContain("compare JSON values")
    expect((await i.fail(Run.filter({ params__epochs__in: [{}] }).toArray())).message).toContain("numbers, strings or booleans")
    expect((await i.fail(Run.filter({ params__epochs__range: [1, "b"] }).toArray())).message).toContain("two numbers or two strings")
  })
})
