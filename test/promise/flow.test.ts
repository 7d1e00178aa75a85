/**
 * The Promise API's lineage engine: `lm.flow`/`lm.step` record the same run tree, params,
 * inputs and outputs as the Effect versions, cache, limit concurrency, fly single, fail and
 * abort the same way — with the current run following async code across `await`, timers and
 * `Promise.all`.
 */
import { writeFileSync } from "node:fs"
import { readFile, writeFile } from "node:fs/promises"
import { setTimeout as sleep } from "node:timers/promises"
import { Effect, FiberId, Runtime } from "effect"
import { expect, it } from "vitest"
import { flow as effectFlow, step as effectStep } from "../../src/flow/index.js"
import { Artifact as EffectArtifact } from "../../src/registry/Artifact.js"
import { FlowFailed, InvalidArgument, RunStatus, type Artifact } from "../../src/promise/index.js"
import { allRuns, createdBy, inputsOf, runsNamed } from "../flow/support.js"
import { describeBackends } from "../support/backends.js"
import { promiseInstance, saveText, scratchFile, textOf } from "./support.js"

describeBackends("promise: flows and steps", (ctx) => {
  it("records the flow run, child step runs, transforms, params with defaults, inputs and outputs; a rerun is cached", async () => {
    const { i, lm } = await promiseInstance(ctx)
    let executed = 0
    const upper = lm.step("upper", async (input: Artifact, suffix = "!", verbose = false) => {
      executed++
      const text = await textOf(input)
      return saveText(lm, i, "out/upper.txt", text.toUpperCase() + suffix + (verbose ? "?" : ""))
    })
    const count = lm.step("count", async ({ text, min_length = 1 }: { text: Artifact; min_length?: number }) => {
      const t = await textOf(text)
      return { chars: t.length, long: t.length >= min_length }
    })
    const pipeline = lm.flow("pipeline", async (input: Artifact) => {
      const up = await upper(input)
      const stats = await count({ text: up })
      return { up, stats }
    })
    const source = await saveText(lm, i, "in/a.txt", "hello")
    const first = await pipeline(source)
    expect(first.stats).toEqual({ chars: 6, long: true })
    expect(await textOf(first.up)).toBe("HELLO!")
    expect(first.up).toBeInstanceOf(EffectArtifact)

    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.kind, r.status])).toEqual([
      ["pipeline", "pipeline", RunStatus.completed],
      ["upper", "function", RunStatus.completed],
      ["count", "function", RunStatus.completed]
    ])
    expect(runs[1]!.parent).toBe(runs[0]!.uid)
    expect(runs[2]!.parent).toBe(runs[0]!.uid)
    expect(runs.map((r) => r.key)).toEqual(["test/promise/flow.test.ts:pipeline", "test/promise/flow.test.ts:upper", "test/promise/flow.test.ts:count"])
    const upperRun = await lm.Run.get(runs[1]!.uid)
    expect(upperRun.params).toEqual({ input: `Artifact[${source.uid}]`, suffix: "!", verbose: false })
    expect((await lm.Run.get(runs[2]!.uid)).params).toEqual({ text: `Artifact[${first.up.uid}]`, min_length: 1 })
    expect(await i.run(inputsOf(upperRun.id))).toEqual([source.uid])
    expect(await i.run(createdBy(upperRun.id))).toEqual([first.up.uid])
    // the transform records the async function's own source
    const transform = await lm.Transform.get({ key: "test/promise/flow.test.ts:upper" })
    expect(transform.source_code).toContain("toUpperCase()")

    const second = await pipeline(source)
    expect(executed).toBe(1)
    expect(second.up.uid).toBe(first.up.uid)
    expect(second.stats).toEqual(first.stats)
    const rerun = (await i.run(allRuns)).slice(3)
    expect(rerun.map((r) => [r.name, r.status])).toEqual([
      ["pipeline", RunStatus.completed],
      ["upper", RunStatus.cached],
      ["count", RunStatus.cached]
    ])
    expect(rerun[1]!.reused).toBe(runs[1]!.uid)
    expect(await lm.Run.filter({ params__suffix: "!", status: "cached" } as never).count()).toBe(1)
  })

  it("keys a step a factory made by the values it captured, not only by its source", async () => {
    const { lm } = await promiseInstance(ctx)
    let executed = 0
    const scaled = (factor: number) =>
      lm.step("scaled", async (n: number) => {
        executed++
        return n * factor
      })
    const run = lm.flow("scaling", async (factor: number) => scaled(factor)(5))
    expect(await run(2)).toBe(10)
    expect(await run(3)).toBe(15)
    expect(await run(3)).toBe(15)
    expect(executed).toBe(2)
  })

  it("runs a query its async body made again on a hit: a new matching artifact is a miss", async () => {
    const { i, lm } = await promiseInstance(ctx)
    let executed = 0
    const inventory = lm.step("inventory", async () => {
      executed++
      await sleep(1) // the query runs after an await: still the step's
      return (await lm.Artifact.filter({ key__startswith: "raw/" }).orderBy("key").toArray()).map((a) => a.key)
    })
    const run = lm.flow("inventory", async () => inventory())
    await saveText(lm, i, "raw/a.csv", "a")
    expect(await run()).toEqual(["raw/a.csv"])
    expect(await run()).toEqual(["raw/a.csv"])
    expect(executed).toBe(1)
    await saveText(lm, i, "raw/b.csv", "b")
    expect(await run()).toEqual(["raw/a.csv", "raw/b.csv"])
    expect(executed).toBe(2)
  })

  it("follows the current run across await, timers and Promise.all: nested steps are children, loads are inputs", async () => {
    const { i, lm } = await promiseInstance(ctx)
    const a = await saveText(lm, i, "in/a.txt", "a")
    const b = await saveText(lm, i, "in/b.txt", "b")
    const leaf = lm.step("leaf", async (n: number) => {
      await sleep(5)
      return n * 2
    })
    const branch = lm.step("branch", async (key: string) => {
      await sleep(1)
      const art = await lm.Artifact.get({ key }) // loaded here: an input of this run
      await new Promise((r) => setTimeout(r, 2))
      const text = await textOf(art)
      const doubled = await Promise.all([1, 2].map((n) => leaf(n + text.length)))
      return doubled.reduce((x, y) => x + y, 0)
    })
    const root = lm.flow("fan", async () => Promise.all([branch("in/a.txt"), branch("in/b.txt")]))
    expect(await root()).toEqual([10, 10])
    const runs = await i.run(allRuns)
    const fan = runs.find((r) => r.name === "fan")!
    const branches = runs.filter((r) => r.name === "branch")
    expect(branches).toHaveLength(2)
    expect(branches.every((r) => r.parent === fan.uid)).toBe(true)
    const leaves = runs.filter((r) => r.name === "leaf")
    // leaf(2) and leaf(3) run twice (once per branch): once executed, once cached or both executed
    expect(leaves).toHaveLength(4)
    expect(leaves.every((l) => branches.some((br) => br.uid === l.parent))).toBe(true)
    const inputs = await Promise.all(branches.map(async (br) => i.run(inputsOf((await lm.Run.get(br.uid)).id))))
    expect(inputs.flat().sort()).toEqual([a.uid, b.uid].sort())
    expect(inputs.every((xs) => xs.length === 1)).toBe(true)
  })

  it("a failing step: run errored, partial outputs trashed, FlowFailed names it; the step rejects with its own error; rerun recomputes only it", async () => {
    const { i, lm } = await promiseInstance(ctx)
    let fail = true
    let okRuns = 0
    const ok = lm.step("ok", async () => {
      okRuns++
      return 1
    })
    const boom = lm.step("boom", async () => {
      await saveText(lm, i, "partial/out.txt", "half")
      if (fail) throw new RangeError("disk full")
      return 2
    })
    const caught = lm.flow("caught", async () => {
      const e = await boom().catch((x: unknown) => x)
      return e instanceof RangeError ? e.message : "not the original error"
    })
    expect(await caught()).toBe("disk full")
    const pipeline = lm.flow("fails", async () => (await ok()) + (await boom()))
    const error = await pipeline().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FlowFailed)
    expect((error as FlowFailed).step).toBe("boom")
    expect((error as FlowFailed).message).toMatch(/Step 'boom' failed in flow 'fails'.*disk full/)
    const boomRuns = (await i.run(allRuns)).filter((r) => r.name === "boom")
    expect(boomRuns.every((r) => r.status === RunStatus.errored)).toBe(true)
    const boomRun = await lm.Run.get(boomRuns[1]!.uid)
    expect((boomRun.error as { readonly message: string }).message).toBe("disk full")
    expect(await lm.Artifact.filter({ key: "partial/out.txt" }).count()).toBe(0) // trashed
    fail = false
    expect(await pipeline()).toBe(3)
    expect(okRuns).toBe(1) // reused from the cache
  })

  it("traces a step's body from its first call: a file it reads after an await is checked on a hit, the file it writes and saves is not", async () => {
    const { i, lm } = await promiseInstance(ctx)
    const config = scratchFile(i, "config.txt", "twice")
    // The body reads the file its input names: no variable it captures names it, only the trace sees it.
    const scale = lm.step("scale", async (input: Artifact) => {
      const name = (await textOf(input)).trim()
      const times = (await readFile(name, "utf8")) === "twice" ? 2 : 3
      const out = `${name}.out`
      await writeFile(out, "ab".repeat(times))
      return (await lm.Artifact.fromPath(out, { key: "out/scaled.txt" })).save()
    })
    const pipeline = lm.flow("scale-flow", async (input: Artifact) => scale(input))
    const source = await saveText(lm, i, "in/config-name.txt", config)
    expect(await textOf(await pipeline(source))).toBe("abab")
    const [first] = await i.run(runsNamed("scale"))
    const traced = ((first!._cache_parts as { readonly files?: ReadonlyArray<{ readonly param: string; readonly path: string }> }).files ?? []).filter((f) => !f.param.startsWith("captured:"))
    expect(traced.map((f) => f.path).filter((f) => f.startsWith(i.dir))).toEqual([config])
    expect(await textOf(await pipeline(source))).toBe("abab")
    writeFileSync(config, "thrice")
    expect(await textOf(await pipeline(source))).toBe("ababab")
    expect((await i.run(runsNamed("scale"))).map((r) => r._status_code)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
  })

  it("limits a step's concurrency and computes identical calls once (single flight)", async () => {
    const { lm } = await promiseInstance(ctx)
    let active = 0
    let max = 0
    let bodies = 0
    // The first two bodies wait for each other: with a limit of 2 both get in (with 1 this
    // would hang), and no third can join them.
    let bothIn!: () => void
    const twoActive = new Promise<void>((r) => (bothIn = r))
    const bounded = lm.step({ name: "bounded", concurrency: 2 }, async (n: number) => {
      active++
      if (++bodies === 2) bothIn()
      max = Math.max(max, active)
      await twoActive
      await sleep(5)
      active--
      return n
    })
    const run = lm.flow("limits", async () => Promise.all([1, 2, 3, 4, 5, 6].map((n) => bounded(n))))
    expect(await run()).toEqual([1, 2, 3, 4, 5, 6])
    expect(max).toBe(2)
    bodies = 0
    const same = lm.step("same", async (n: number) => {
      bodies++
      await sleep(20)
      return n + 1
    })
    const dup = lm.flow("dup", async () => Promise.all([same(7), same(7), same(7)]))
    expect(await dup()).toEqual([8, 8, 8])
    expect(bodies).toBe(1)
    expect(await lm.Run.filter({ name: "same", status: "cached" } as never).count()).toBe(2)
  })

  it("steps called from a flow's async body make no AbortController and no abort listener per call", async () => {
    const { lm } = await promiseInstance(ctx)
    const leaf = lm.step("leaf-signal", async (n: number) => n + 1)
    const mid = lm.step("mid-signal", async (n: number) => (await leaf(n)) * 2)
    const pipeline = lm.flow("no-signals", async (n: number) => {
      let sum = 0
      for (let k = 0; k < n; k++) sum += await mid(k)
      return sum
    })
    const Original = globalThis.AbortController
    let made = 0
    globalThis.AbortController = class extends Original {
      constructor() {
        super()
        made++
      }
    }
    try {
      expect(await pipeline(5)).toBe(30)
      // Cache hits the second time: the same.
      expect(await pipeline(5)).toBe(30)
    } finally {
      globalThis.AbortController = Original
    }
    // Each call used to make one for its body (Effect.tryPromise) and add an "abort" listener.
    expect(made).toBe(0)
  })

  it("calls a body awaits one at a time run on its run's fiber: no fiber per call; concurrent calls still run at once", async () => {
    const { lm } = await promiseInstance(ctx)
    const leaf = lm.step("leaf-fiber", async (n: number) => n + 1)
    const sequential = lm.flow("sequential-fibers", async (n: number) => {
      let sum = 0
      for (let k = 0; k < n; k++) sum += await leaf(n * 1000 + k)
      return sum
    })
    // Fiber ids count up: the ids a flow takes are the fibers it made.
    const fibersOf = async (n: number) => {
      const before = FiberId.unsafeMake().id
      await sequential(n)
      return FiberId.unsafeMake().id - before - 1
    }
    await fibersOf(2)
    const few = await fibersOf(5)
    const many = await fibersOf(25)
    // One fiber per call used to make the 20 more calls cost 20 more fibers.
    expect(many - few).toBeLessThan(5)
    // A call made while the run's fiber is busy with another gets a fiber of its own: these two
    // bodies wait for each other, so running them one after the other would hang.
    let bothIn!: () => void
    let entered = 0
    const together = new Promise<void>((r) => (bothIn = r))
    const pair = lm.step("pair-fiber", async (n: number) => {
      if (++entered === 2) bothIn()
      await together
      return n
    })
    const fanOut = lm.flow("fan-out-fibers", async () => Promise.all([pair(1), pair(2)]))
    expect(await fanOut()).toEqual([1, 2])
    // A call the body does not await still runs and settles (the run waits for it).
    let unawaited: Promise<number> | undefined
    // (A plain function: it settles at once, before the run's fiber takes the call.)
    const loose = lm.flow("unawaited-call", () => {
      unawaited = leaf(-1)
      return 7
    })
    expect(await loose()).toBe(7)
    expect(await unawaited).toBe(0)
    // A call made right after the run's interruption was requested (before the run's fiber
    // took it) rejects as aborted, like any call of an interrupted run; it does not hang.
    const controller = new AbortController()
    let late: Promise<number> | undefined
    const aborting = lm.flow("abort-then-call", async () => {
      controller.abort(new Error("stop"))
      late = leaf(-2)
      return late
    })
    await expect(aborting.withSignal(controller.signal)()).rejects.toThrow("stop")
    await expect(late).rejects.toThrow("aborted")
  })

  it("an AbortSignal cancels a flow: its open runs end aborted and the Promise rejects with the reason", async () => {
    const { i, lm } = await promiseInstance(ctx)
    let started!: () => void
    const inside = new Promise<void>((r) => (started = r))
    let after = 0
    const slow = lm.step("slow", async () => {
      started()
      await sleep(300)
      after++
      return 1
    })
    const later = lm.step("later", async () => 2)
    const pipeline = lm.flow("abortable", async () => {
      await slow()
      return later()
    })
    const controller = new AbortController()
    const pending = pipeline.withSignal(controller.signal)()
    await inside
    controller.abort(new Error("user cancelled"))
    await expect(pending).rejects.toThrow("user cancelled")
    await sleep(400) // the abandoned body finishes; nothing it does is recorded
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ["abortable", RunStatus.aborted],
      ["slow", RunStatus.aborted]
    ])
    expect(after).toBe(1)
  })

  it("interop: a Promise step in an Effect flow and an Effect step in a Promise flow make one run tree", async () => {
    const { i, lm } = await promiseInstance(ctx)
    const input = await saveText(lm, i, "in/x.txt", "xyz")
    const promiseStep = lm.step("promise-step", async (a: Artifact) => (await textOf(a)).length)
    const effectInner = effectStep("effect-step", (a: EffectArtifact) => Effect.map(a.load(), (b) => b.length * 10))
    const effectPipeline = effectFlow("effect-flow", (a: EffectArtifact) => Effect.flatMap(promiseStep.effect(a), (n) => Effect.map(effectInner(a), (m) => n + m)))
    // Effect-API functions take Effect-API values: promisify unwraps Promise-API arguments
    expect(await lm.promisify(effectPipeline)(input)).toBe(33)
    const asPromise = lm.promisify(effectInner)
    const promisePipeline = lm.flow("promise-flow", async (a: Artifact) => {
      // lm.runtime is this run's Effect runtime: what runs with it belongs to the run
      const viaRuntime = await Runtime.runPromise(lm.runtime)(Effect.flatMap(EffectArtifact.get({ key: "in/x.txt" }), effectInner))
      return (await asPromise(a)) + (await promiseStep(a)) + viaRuntime - 30
    })
    expect(await promisePipeline(input)).toBe(33)
    const runs = await i.run(allRuns)
    const tree = runs.map((r) => [r.name, runs.find((p) => p.uid === r.parent)?.name ?? null])
    expect(tree).toContainEqual(["promise-step", "effect-flow"])
    expect(tree).toContainEqual(["effect-step", "effect-flow"])
    expect(tree).toContainEqual(["effect-step", "promise-flow"])
    expect(tree).toContainEqual(["promise-step", "promise-flow"])
    expect(tree.filter(([name, parent]) => name === "effect-step" && parent === "promise-flow")).toHaveLength(2)
  })

  it("a step outside a flow rejects with the engine's message; bad definitions throw InvalidArgument", async () => {
    const { lm } = await promiseInstance(ctx)
    const lone = lm.step("lone", async () => 1)
    await expect(lone()).rejects.toThrow(/Please track the global run context/)
    expect(() => lm.step("", async () => 1)).toThrow(InvalidArgument)
    expect(() => lm.flow("x", 42 as never)).toThrow(InvalidArgument)
    const nested = lm.flow("outer", async () => lm.flow("inner", async () => 1)())
    await expect(nested()).rejects.toThrow(/nested: true/)
  })

  it("an argument that contains itself rejects with InvalidArgument naming the cycle, not a stack overflow", async () => {
    const { lm } = await promiseInstance(ctx)
    const config: { depth: number; self?: unknown } = { depth: 1 }
    config.self = config
    const f = lm.flow("cyclic", async (c: typeof config) => c.depth)
    const e = await f(config).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(InvalidArgument)
    expect(e).toMatchObject({ message: expect.stringContaining("a cycle") })
    // Also through a filter: the cycle reaches the query compiler as a typed error.
    await expect(lm.Run.filter({ params__c: config }).toArray()).rejects.toBeInstanceOf(InvalidArgument)
  })

  it("decorators: @lm.flow() and @lm.step() on async methods", async () => {
    const { i, lm } = await promiseInstance(ctx)
    class Pipeline {
      constructor(readonly factor: number) {}
      @lm.step()
      async scale(x: number): Promise<number> {
        return x * this.factor
      }
      @lm.flow({ name: "decorated" })
      async run(xs: ReadonlyArray<number>): Promise<ReadonlyArray<number>> {
        return Promise.all(xs.map((x) => this.scale(x)))
      }
    }
    expect(await new Pipeline(3).run([1, 2])).toEqual([3, 6])
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.key])).toEqual([
      ["decorated", "test/promise/flow.test.ts:Pipeline.decorated"],
      ["scale", "test/promise/flow.test.ts:Pipeline.scale"],
      ["scale", "test/promise/flow.test.ts:Pipeline.scale"]
    ])
    expect(runs.slice(1).every((r) => r.parent === runs[0]!.uid)).toBe(true)
  })

  it("track() / finish(): a script run whose top-level steps are its children; close() aborts an unfinished one", async () => {
    const { i, lm } = await promiseInstance(ctx)
    const double = lm.step("double", async (n: number) => n * 2)
    const run = await lm.track({ path: scratchFile(i, "script.ts", "// the script"), params: { mode: "test" } })
    expect(run.params).toEqual({ mode: "test" })
    expect(await double(4)).toBe(8)
    await lm.finish()
    await expect(double(5)).rejects.toThrow(/Please track/)
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ["script.ts", RunStatus.completed],
      ["double", RunStatus.completed]
    ])
    expect(runs[1]!.parent).toBe(runs[0]!.uid)
    await expect(lm.finish()).rejects.toBeInstanceOf(InvalidArgument)
    await lm.track({ path: scratchFile(i, "other.ts", "// another"), key: "other.ts" })
    await lm.close()
    const last = (await i.run(allRuns)).at(-1)!
    expect([last.key, last.status]).toEqual(["other.ts", RunStatus.aborted])
    await expect(lm.Artifact.filter().count()).rejects.toThrow(/connection is closed/)
  })

  it("sweep: one flow run per grid point, found by params__; outcomes like Promise.allSettled", async () => {
    const { lm } = await promiseInstance(ctx)
    const train = lm.flow("train", async ({ lr, epochs }: { lr: number; epochs: number }) => {
      if (lr > 0.5) throw new Error("diverged")
      return lr * epochs
    })
    const outcomes = await lm.sweep(train, { lr: [0.1, 0.01, 1], epochs: [10, 50] }, { concurrency: 2 })
    expect(outcomes).toHaveLength(6)
    expect(outcomes.filter((o) => o.status === "fulfilled").map((o) => o.status === "fulfilled" && o.value)).toEqual([1, 5, 0.1, 0.5])
    const failed = outcomes.filter((o) => o.status === "rejected")
    expect(failed.map((o) => o.params.lr)).toEqual([1, 1])
    expect(failed[0]!.status === "rejected" && failed[0]!.reason).toBeInstanceOf(FlowFailed)
    expect(await lm.Run.filter({ name: "train", params__lr: 0.01 }).count()).toBe(2)
    expect(await lm.Run.filter({ name: "train", params__epochs__gt: 20, status: "errored" } as never).count()).toBe(1)
  })
})
