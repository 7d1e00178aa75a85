/**
 * What else the cache key covers: the step's result schema (a schema change is a miss that
 * `why` names, never a hit that dies decoding), bodies returning a Promise or a plain value
 * (hit and miss), and the fingerprint mode.
 */
import { Effect, Schema } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { Run, RunStatus } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { allRuns } from "./support.js"

// The same body under two result schemas: the stored form of v1 ({ x: 1 }) does not decode with v2.
const V1 = Schema.Struct({ x: Schema.Number })
const V2 = Schema.Struct({ x: Schema.NumberFromString })

describeBackends("cache key", ({ instance }) => {
  it("includes the result schema: changing only the schema misses, and why names it", async () => {
    const i = await instance()
    let n = 0
    const body = () => Effect.sync(() => ({ x: ++n }))
    // Same body, same key; only the result schema differs.
    const v1 = step({ name: "point", key: "test:point", result: V1 }, body)
    const v2 = step({ name: "point", key: "test:point", result: V2 }, body)
    const f1 = flow("point-1", () => v1())
    const f2 = flow("point-2", () => v2())
    expect(await i.run(f1())).toEqual({ x: 1 })
    expect(await i.run(f1())).toEqual({ x: 1 })
    expect(await i.run(f2())).toEqual({ x: 2 })
    const runs = (await i.run(allRuns)).filter((r) => r.name === "point")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    const why = await i.run(Run.why(runs[2]!.uid))
    expect(why.changes.map((c) => c.component)).toEqual(["result"])
    expect(why.message).toContain("the step's result schema changed")
    // The old schema's entry is still reused by the old definition.
    expect(await i.run(f1())).toEqual({ x: 1 })
    expect(await i.run(f2())).toEqual({ x: 2 })
    expect(n).toBe(2)
  })

  it("caches a body that returns a Promise: hit on the same params, miss on new ones", async () => {
    const i = await instance()
    let n = 0
    const asyncStep = step("async-body", async (x: number) => {
      n++
      await new Promise((r) => setTimeout(r, 1))
      return { doubled: x * 2 }
    })
    const f = flow("async-flow", (x: number) => asyncStep(x))
    expect(await i.run(f(2))).toEqual({ doubled: 4 })
    expect(await i.run(f(2))).toEqual({ doubled: 4 })
    expect(await i.run(f(3))).toEqual({ doubled: 6 })
    expect(n).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "async-body")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    expect((await i.run(Run.why(runs[2]!.uid))).changes.map((c) => [c.component, c.name])).toEqual([["param", "x"]])
  })

  it("caches a body that returns a plain value; a rejected Promise errors the run", async () => {
    const i = await instance()
    let n = 0
    const plain = step("plain-body", (s: string) => {
      n++
      return s.toUpperCase()
    })
    const rejecting = step("rejecting-body", async () => {
      throw new Error("no network")
    })
    const f = flow("plain-flow", (s: string) => plain(s))
    expect(await i.run(f("a"))).toBe("A")
    expect(await i.run(f("a"))).toBe("A")
    expect(await i.run(f("b"))).toBe("B")
    expect(n).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "plain-body")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    const e = await i.fail(flow("rejecting-flow", () => rejecting())())
    expect(e.message).toContain("no network")
    expect((await i.run(allRuns)).filter((r) => r.name === "rejecting-body").map((r) => r.status)).toEqual([RunStatus.errored])
  })

  it("keys a step on the code its module reaches by default, on its own source with fingerprint: \"function\"", async () => {
    const i = await instance()
    const wide = step({ name: "wide", key: "test:mode" }, () => Effect.succeed(1))
    const narrow = step({ name: "narrow", key: "test:mode", fingerprint: "function" }, () => Effect.succeed(1))
    await i.run(flow("modes", () => Effect.all([wide(), narrow()]))())
    const runs = await i.run(Run.filter({ transform__key: "test:mode" }).toArray())
    const parts = Object.fromEntries(runs.map((r) => [r.name, r._cache_parts as { readonly code?: string }]))
    expect(parts.wide!.code).toMatch(/^[\w-]{22}$/)
    expect(parts.narrow!.code).toBeUndefined()
    // Same own source and key, different modes: different cache keys, and why says so.
    const [first, second] = [...runs].sort((a, b) => a.id - b.id)
    expect(first!.cache_key).not.toBe(second!.cache_key)
    expect((await i.run(Run.why(second!.uid))).message).toContain("fingerprint mode changed (module → function)")
  })
})
