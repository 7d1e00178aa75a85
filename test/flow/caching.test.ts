/**
 * Content-hash caching: hit and miss per key component, cached run records, Run.why.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Option, Schema } from "effect"
import { expect, it } from "vitest"
import { flow, registerCodec, step } from "../../src/flow/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { tableFromArrays } from "apache-arrow"
import { Collection, Run, RunStatus, ULabel } from "../../src/index.js"
import { Transform } from "../../src/registry/Transform.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { allRuns, inputsOf, loadText, saveText, writeFile } from "./support.js"

// Executions per step body, to see what ran.
const executions: Record<string, number> = {}
const ran = (name: string) => Effect.sync(() => void (executions[name] = (executions[name] ?? 0) + 1))

/** Step `name` ran twice, the second time because the first run's outputs were unavailable (`why` says `reason`); its runs. */
const expectRecomputed = async (i: TestInstance, name: string, reason: string) => {
  const runs = (await i.run(allRuns)).filter((r) => r.name === name)
  expect(runs.map((r) => r.status)).toEqual([0, 0])
  const why = await i.run(Run.why(runs[1]!.uid))
  expect(why.outcome).toBe("outputs-unavailable")
  expect(why.message).toContain(reason)
  return runs
}

const transform = step("transform", (input: Artifact, factor: number, outDir: string) =>
  Effect.gen(function* () {
    yield* ran("transform")
    const text = yield* loadText(input)
    return yield* saveText(outDir, `out/t-${factor}.txt`, text.repeat(factor))
  })
)
const pipeline = flow("cache-pipeline", (input: Artifact, factor: number, outDir: string) => transform(input, factor, outDir))

describeBackends("caching", ({ instance }) => {
  it("reuses a step with the same code, params and input content; records a cached run", async () => {
    const i = await instance()
    executions.transform = 0
    const input = await i.run(saveText(i.dir, "in/x.txt", "ab"))
    const first = await i.run(pipeline(input, 2, i.dir))
    const second = await i.run(pipeline(input, 2, i.dir))
    expect(executions.transform).toBe(1)
    expect(second.uid).toBe(first.uid)
    expect(second).toBeInstanceOf(Artifact)

    const runs = (await i.run(allRuns)).filter((r) => r.name === "transform")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached])
    expect(runs[1]!.reused).toBe(runs[0]!.uid)
    const cached = await i.run(Run.get(runs[1]!.uid))
    expect(cached.started_at).toBeInstanceOf(Date)
    expect(cached.finished_at).toBeInstanceOf(Date)
    expect(cached.cache_key).toBe((await i.run(Run.get(runs[0]!.uid))).cache_key)
    expect(cached.params).toEqual({ input: `Artifact[${input.uid}]`, factor: 2, outDir: i.dir })
    expect(await i.run(inputsOf(cached.id))).toEqual([input.uid])
    // no new artifact version was written by the hit
    expect(await i.run(Artifact.filter({ key: "out/t-2.txt" }).toArray())).toHaveLength(1)

    const why = await i.run(Run.why(runs[1]!.uid))
    expect(why).toMatchObject({ outcome: "cached", reusedRun: runs[0]!.uid })
    expect((await i.run(Run.why(runs[0]!.uid))).outcome).toBe("first-run")
  })

  it("misses when a param changes, and why names it", async () => {
    const i = await instance()
    executions.transform = 0
    const input = await i.run(saveText(i.dir, "in/x.txt", "ab"))
    await i.run(pipeline(input, 2, i.dir))
    await i.run(pipeline(input, 3, i.dir))
    expect(executions.transform).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "transform")
    const why = await i.run(Run.why(runs[1]!.uid))
    expect(why.outcome).toBe("changed")
    expect(why.closestRun).toBe(runs[0]!.uid)
    expect(why.changes.map((c) => [c.component, c.name])).toEqual([["param", "factor"]])
    expect(why.message).toContain("param 'factor' changed (2 → 3)")
  })

  it("misses when input content changes (a new version), and why names the input", async () => {
    const i = await instance()
    executions.transform = 0
    const v1 = await i.run(saveText(i.dir, "in/x.txt", "ab"))
    await i.run(pipeline(v1, 2, i.dir))
    const v2 = await i.run(saveText(i.dir, "in/x.txt", "cd"))
    expect(v2.stem).toBe(v1.stem)
    const out = await i.run(pipeline(v2, 2, i.dir))
    expect(executions.transform).toBe(2)
    expect(Buffer.from(await i.run(out.load())).toString()).toBe("cdcd")
    const runs = (await i.run(allRuns)).filter((r) => r.name === "transform")
    const why = await i.run(Run.why(runs[1]!.uid))
    expect(why.changes.map((c) => [c.component, c.name])).toEqual([["input", "input"]])
    expect(why.message).toContain(`input 'input' has different content (artifact ${v1.uid} → ${v2.uid})`)
    // the same content again hits the first run
    const again = await i.run(pipeline(v1, 2, i.dir))
    expect(executions.transform).toBe(2)
    expect(again.hash).toBe((await i.run(Artifact.get(again.uid))).hash)
  })

  it("misses when the code changes: a new transform version, and why says code", async () => {
    const i = await instance()
    const v1 = step({ name: "coded", key: "test:coded" }, (n: number) => Effect.succeed(n + 1))
    const v2 = step({ name: "coded", key: "test:coded" }, (n: number) => Effect.succeed(n + 2))
    const f1 = flow("code-1", () => v1(1))
    const f2 = flow("code-2", () => v2(1))
    expect(await i.run(f1())).toBe(2)
    expect(await i.run(f1())).toBe(2)
    expect(await i.run(f2())).toBe(3)
    const transforms = [...(await i.run(Transform.filter({ key: "test:coded" }).toArray()))].sort((a, b) => a.id - b.id)
    expect(transforms).toHaveLength(2)
    expect(transforms[1]!.uid.slice(0, 12)).toBe(transforms[0]!.uid.slice(0, 12))
    expect(transforms.map((t) => t.uid.slice(12))).toEqual(["0000", "0001"])
    expect(transforms.map((t) => t.is_latest)).toEqual([false, true])
    const runs = (await i.run(allRuns)).filter((r) => r.name === "coded")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    const why = await i.run(Run.why(runs[2]!.uid))
    expect(why.changes.map((c) => c.component)).toEqual(["code"])
    // back to the old code: the old transform version, and a cache hit
    expect(await i.run(f1())).toBe(2)
    expect((await i.run(allRuns)).filter((r) => r.name === "coded").map((r) => r.status).at(-1)).toBe(RunStatus.cached)
  })

  it("misses when a declared environment item changes; undeclared ones do not matter", async () => {
    const i = await instance()
    let n = 0
    const envStep = step({ name: "env-step", env: ["var:LAMINA_TEST_THREADS", "node"] }, () => Effect.sync(() => ++n))
    const plain = step("plain-step", () => Effect.sync(() => ++n))
    const f = flow("env-flow", () => Effect.all([envStep(), plain()]))
    process.env.LAMINA_TEST_THREADS = "1"
    await i.run(f())
    await i.run(f())
    process.env.LAMINA_TEST_THREADS = "8"
    await i.run(f())
    delete process.env.LAMINA_TEST_THREADS
    const runs = await i.run(allRuns)
    expect(runs.filter((r) => r.name === "env-step").map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    expect(runs.filter((r) => r.name === "plain-step").map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.cached])
    const why = await i.run(Run.why(runs.filter((r) => r.name === "env-step")[2]!.uid))
    expect(why.changes).toMatchObject([{ component: "env", name: "var:LAMINA_TEST_THREADS", before: "1", after: "8" }])
  })

  it("keys a step by the environment variables its source reads by name, as if declared", async () => {
    const i = await instance()
    let n = 0
    const threads = step("threads-step", () => Effect.sync(() => (n++, `${process.env.LAMINA_TEST_POOL ?? "1"}x${process.env["LAMINA_TEST_MODE"] ?? "fast"}`)))
    const f = flow("threads-flow", () => threads())
    process.env.LAMINA_TEST_POOL = "2"
    expect(await i.run(f())).toBe("2xfast")
    expect(await i.run(f())).toBe("2xfast")
    expect(n).toBe(1)
    process.env.LAMINA_TEST_POOL = "8"
    expect(await i.run(f())).toBe("8xfast")
    process.env.LAMINA_TEST_MODE = "exact"
    expect(await i.run(f())).toBe("8xexact")
    delete process.env.LAMINA_TEST_POOL
    delete process.env.LAMINA_TEST_MODE
    expect(n).toBe(3)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "threads-step")
    const why = await i.run(Run.why(runs[2]!.uid))
    expect(why.changes).toMatchObject([{ component: "env", name: "var:LAMINA_TEST_POOL", before: "2", after: "8" }])
  })

  it("honours cache: false, ignore and cacheVersion", async () => {
    const i = await instance()
    let n = 0
    const noCache = step({ name: "no-cache", cache: false }, () => Effect.sync(() => ++n))
    const ignoring = step({ name: "ignoring", ignore: ["log", "verbose"] }, (x: number, log: (s: string) => void, verbose = false) =>
      Effect.sync(() => {
        log(`x=${x} ${verbose}`)
        return x * 10
      })
    )
    const versioned = (v: string) => step({ name: "versioned", key: "test:versioned", cacheVersion: v }, () => Effect.sync(() => ++n))
    const v1 = versioned("1")
    const v2 = versioned("2")
    const f = (verbose: boolean, v: typeof v1) => flow("options-flow", () => Effect.all([noCache(), ignoring(4, () => undefined, verbose), v()]))()
    await i.run(f(false, v1))
    await i.run(f(true, v1))
    await i.run(f(true, v2))
    const runs = await i.run(allRuns)
    expect(runs.filter((r) => r.name === "no-cache").map((r) => r.status)).toEqual([0, 0, 0])
    expect(runs.filter((r) => r.name === "ignoring").map((r) => r.status)).toEqual([0, 3, 3])
    expect(runs.filter((r) => r.name === "versioned").map((r) => r.status)).toEqual([0, 3, 0])
    const [ign] = await i.run(Run.filter({ name: "ignoring" }).toArray())
    expect(ign!.params).toMatchObject({ x: 4, log: "<ignored: a function>", verbose: true })
    expect((await i.run(Run.why(runs.filter((r) => r.name === "no-cache")[1]!.uid))).outcome).toBe("not-cacheable")
    expect((await i.run(Run.why(runs.filter((r) => r.name === "versioned")[2]!.uid))).changes.map((c) => c.component)).toEqual(["version"])
  })

  it("rejects params that cannot be hashed, naming the parameter", async () => {
    const i = await instance()
    class Model {
      constructor(readonly w: number) {}
    }
    const fit = step("fit", (model: Model, rate: number) => Effect.succeed(model.w * rate))
    const withFn = step("with-fn", (cb: () => void) => Effect.sync(cb))
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const withCycle = step("with-cycle", (config: Record<string, unknown>) => Effect.succeed(Object.keys(config).length))
    const e1 = await i.fail(flow("bad-1", () => fit(new Model(2), 0.1))())
    expect(e1.message).toMatch(/Cannot record parameter 'model' of step 'fit': model is an instance of Model without a codec/)
    const e2 = await i.fail(flow("bad-2", () => withFn(() => undefined))())
    expect(e2.message).toMatch(/parameter 'cb'.*a function/)
    const e3 = await i.fail(flow("bad-3", () => withCycle(cyclic))())
    expect(e3.message).toMatch(/parameter 'config'.*config\.self is a reference back to one of its own containers \(a cycle\)/)
    expect(e3.message).toMatch(/ignore: \['config'\]/)
    // a codec makes the class hashable and reconstructable
    registerCodec({ tag: "test.Model", is: (u): u is Model => u instanceof Model, encode: (m) => ({ w: m.w }), decode: (j) => new Model((j as { w: number }).w) })
    const make = step("make-model", (w: number) => Effect.succeed(new Model(w)))
    const f = flow("good", () => Effect.flatMap(make(3), (m) => fit(m, 2)))
    expect(await i.run(f())).toBe(6)
    expect(await i.run(f())).toBe(6)
    const runs = await i.run(allRuns)
    expect(runs.filter((r) => r.name === "make-model").map((r) => r.status)).toEqual([0, 3])
    expect(runs.filter((r) => r.status === RunStatus.started)).toEqual([])
  })

  it("keys apart the params a body can tell apart: -0, undefined, a Date and its ISO string", async () => {
    const i = await instance()
    const kind = step("kind", (v: unknown) => Effect.succeed(Object.is(v, -0) ? "-0" : Object.prototype.toString.call(v)))
    const f = flow({ name: "kind-flow", ignore: ["v"] }, (v: unknown) => kind(v))
    const calls: ReadonlyArray<readonly [unknown, string]> = [
      [0, "[object Number]"],
      [-0, "-0"],
      [null, "[object Null]"],
      [undefined, "[object Undefined]"],
      ["1970-01-01T00:00:00.000Z", "[object String]"],
      [new Date(0), "[object Date]"]
    ]
    for (const [v, expected] of calls) expect(await i.run(f(v))).toBe(expected)
    expect((await i.run(allRuns)).filter((r) => r.name === "kind").map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 0])
  })

  it("returns the very same value on a hit: artifacts, dates, maps, options, nested", async () => {
    const i = await instance()
    const rich = step("rich", (dir: string) =>
      Effect.gen(function* () {
        const a = yield* saveText(dir, "out/rich.txt", "rich")
        return {
          a,
          list: [a, 1, "two", null, undefined, Number.NaN],
          when: new Date("2024-01-02T03:04:05.000Z"),
          map: new Map([["k", a]]),
          set: new Set([1, 2]),
          maybe: Option.some(a),
          none: Option.none(),
          big: 12n,
          bytes: new Uint8Array([1, 2, 3]),
          $lamina: "not a tag"
        }
      })
    )
    const f = flow("rich-flow", (dir: string) => rich(dir))
    const first = await i.run(f(i.dir))
    const second = await i.run(f(i.dir))
    expect((await i.run(allRuns)).filter((r) => r.name === "rich").map((r) => r.status)).toEqual([0, 3])
    expect(second.a).toBeInstanceOf(Artifact)
    expect(second.a.uid).toBe(first.a.uid)
    expect(second.list[0]).toBeInstanceOf(Artifact)
    expect(second.list.slice(1, 5)).toEqual([1, "two", null, undefined])
    expect(Number.isNaN(second.list[5])).toBe(true)
    expect(second.when).toEqual(first.when)
    expect((second.map.get("k") as Artifact).uid).toBe(first.a.uid)
    expect(second.set).toEqual(new Set([1, 2]))
    expect(Option.isSome(second.maybe) && second.maybe.value.uid).toBe(first.a.uid)
    expect(Option.isNone(second.none)).toBe(true)
    expect(second.big).toBe(12n)
    expect(second.bytes).toEqual(new Uint8Array([1, 2, 3]))
    expect(second.$lamina).toBe("not a tag")
  })

  it("reuses a step that returns a label or a collection (only runs and transforms could be read back: others were refused as deleted)", async () => {
    const i = await instance()
    let n = 0
    const pick = step("pick", (name: string) =>
      Effect.gen(function* () {
        n++
        const label = yield* ULabel.get({ name })
        return { label, batch: yield* Collection.get({ key: "picked" }) }
      })
    )
    const f = flow("pick-flow", (name: string) => pick(name))
    await i.run(ULabel.create({ name: "L1" }))
    const member = await i.run(saveText(i.dir, "in/member.txt", "m"))
    await i.run(Collection.create([member], { key: "picked" }))
    const first = await i.run(f("L1"))
    const second = await i.run(f("L1"))
    expect(n).toBe(1)
    expect(second.label.uid).toBe(first.label.uid)
    expect(second.label.name).toBe("L1")
    expect(second.batch).toBeInstanceOf(Collection)
    expect(second.batch.uid).toBe(first.batch.uid)
    expect((await i.run(allRuns)).filter((r) => r.name === "pick").map((r) => r.status)).toEqual([0, 3])
  })

  it("keys a record passed in by its fields: a label edited in the registry is a miss", async () => {
    const i = await instance()
    let n = 0
    const named = step("label-name", (label: ULabel) => Effect.sync(() => `${++n}:${label.name}`))
    const f = flow("label-flow", (name: string) => Effect.flatMap(ULabel.get({ name }), named))
    const created = await i.run(ULabel.create({ name: "L1" }))
    expect(await i.run(f("L1"))).toBe("1:L1")
    expect(await i.run(f("L1"))).toBe("1:L1")
    // Edited behind the API (another tool, SQL): the same uid, another name.
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_ulabel SET name = ${"L1b"} WHERE id = ${created.id}`))
    expect(await i.run(f("L1b"))).toBe("2:L1b")
    const runs = (await i.run(allRuns)).filter((r) => r.name === "label-name")
    expect(runs.map((r) => r.status)).toEqual([0, 3, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).changes.map((c) => [c.component, c.name])).toEqual([["param", "label"]])
  })

  it("checks a file a param named again on a hit: an edited input file is a miss, why names it; a file the step writes is not", async () => {
    const i = await instance()
    let n = 0
    const countLines = step("count-lines", (file: string) => Effect.sync(() => (n++, readFileSync(file, "utf8").split("\n").length)))
    const f = flow("lines-flow", (file: string) => countLines(file))
    const lines = writeFile(i, "lines.txt", "a\nb")
    expect(await i.run(f(lines))).toBe(2)
    expect(await i.run(f(lines))).toBe(2)
    expect(n).toBe(1)
    writeFileSync(lines, "a\nb\nc")
    expect(await i.run(f(lines))).toBe(3)
    expect(n).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "count-lines")
    expect(runs.map((r) => r.status)).toEqual([0, 3, 0])
    const why = await i.run(Run.why(runs[2]!.uid))
    expect(why.message).toContain(`the file '${lines}' named by param 'file' changed (3 bytes`)
    expect(why.outcome).toBe("read-changed")
    // The same size, a later time: a change too (the bytes are not read).
    utimesSync(lines, new Date(), new Date(Date.now() + 5000))
    expect(await i.run(f(lines))).toBe(3)
    expect(n).toBe(3)
    // A folder is not checked (its time changes whenever a file is added to it).
    await i.run(Effect.either(f(path.dirname(lines))))
    const files = async () => ((await i.run(Run.filter({ name: "count-lines" }).orderBy("-id").first()))!._cache_parts as { readonly files?: unknown }).files
    expect(await files()).toBeUndefined()

    // A param naming the file the step writes: what the run left is checked, so its reruns hit.
    let written = 0
    const report = step("write-report", (out: string, text: string) => Effect.sync(() => (written++, writeFileSync(out, text), text.length)))
    const g = flow("report-flow", (out: string) => report(out, "total: 3"))
    const out = path.join(i.dir, "files", "report.txt")
    expect(await i.run(g(out))).toBe(8)
    expect(await i.run(g(out))).toBe(8)
    expect(await i.run(g(out))).toBe(8)
    expect(written).toBe(1)
    // Edited, or gone: written again.
    rmSync(out)
    await i.run(g(out))
    expect(written).toBe(2)
    expect(readFileSync(out, "utf8")).toBe("total: 3")
  })

  it("tells an edit that kept a file's size and modification time by its content: a file or folder changed within the clock's tick of its run's end is a miss", async () => {
    // Before Linux 6.13 (and on FAT, HFS+, many network file systems) a file's time moves in
    // ticks of milliseconds to seconds: rewritten within one, it keeps its time. `utimesSync`
    // plays that clock here, setting the times the coarse clock would have.
    const i = await instance()
    const tick = new Date()
    let n = 0
    const readSample = step("read-sample", (file: string) => Effect.sync(() => (n++, readFileSync(file, "utf8"))))
    const f = flow("sample-flow", (file: string) => readSample(file))
    const sample = writeFile(i, "sample.txt", "sample=01")
    utimesSync(sample, tick, tick)
    expect(await i.run(f(sample))).toBe("sample=01")
    writeFileSync(sample, "sample=02")
    utimesSync(sample, tick, tick)
    expect(await i.run(f(sample))).toBe("sample=02")
    expect(n).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "read-sample")
    expect(runs.map((r) => r.status)).toEqual([0, 0])
    expect((await i.run(Run.why(runs[1]!.uid))).message).toContain(`the file '${sample}' named by param 'file' changed (the same size and modification time, other content)`)
    // Unchanged, it is a hit.
    expect(await i.run(f(sample))).toBe("sample=02")
    expect(n).toBe(2)

    // A folder the body lists, given an entry in the same tick.
    const folder = path.dirname(writeFile(i, "plates/p1.csv", "x"))
    const plates = step("list-plates", (dir: string) => Effect.sync(() => (n++, readdirSync(dir).sort().join(","))))
    const g = flow("plates-flow", (dir: string) => plates(dir))
    utimesSync(folder, tick, tick)
    expect(await i.run(g(folder))).toBe("p1.csv")
    writeFileSync(path.join(folder, "p2.csv"), "y")
    utimesSync(folder, tick, tick)
    expect(await i.run(g(folder))).toBe("p1.csv,p2.csv")
    // A file its body reads by a name it makes (a traced read), and a tree it lists.
    const settings = step("read-settings", (dir: string) => Effect.sync(() => (n++, readFileSync(path.join(dir, "settings.txt"), "utf8"))))
    const h = flow("settings-flow", (dir: string) => settings(dir))
    const settingsFile = path.join(folder, "settings.txt")
    writeFileSync(settingsFile, "lr=0.1")
    utimesSync(settingsFile, tick, tick)
    expect(await i.run(h(folder))).toBe("lr=0.1")
    writeFileSync(settingsFile, "lr=0.2")
    utimesSync(settingsFile, tick, tick)
    expect(await i.run(h(folder))).toBe("lr=0.2")
    const tree = step("list-tree", (dir: string) => Effect.sync(() => (n++, readdirSync(dir, { recursive: true }).length)))
    const t = flow("tree-flow", (dir: string) => tree(dir))
    const sub = path.dirname(writeFile(i, "plates/run1/a.csv", "x"))
    utimesSync(sub, tick, tick)
    const listed = await i.run(t(folder))
    writeFileSync(path.join(sub, "b.csv"), "y")
    utimesSync(sub, tick, tick)
    expect(await i.run(t(folder))).toBe(listed + 1)
  })

  it("recomputes when an output was trashed or deleted, and why says so", async () => {
    const i = await instance()
    executions.transform = 0
    const input = await i.run(saveText(i.dir, "in/x.txt", "ab"))
    const out1 = await i.run(pipeline(input, 2, i.dir))
    await i.run(out1.delete())
    const out2 = await i.run(pipeline(input, 2, i.dir))
    expect(executions.transform).toBe(2)
    const runs = await expectRecomputed(i, "transform", "is in trash")
    // same content: a new artifact; the trashed one is never revived by a save
    expect(out2.uid).not.toBe(out1.uid)
    expect((await i.run(Artifact.get({ key: out1.key! }))).uid).toBe(out2.uid)
    expect((await i.run(Artifact.get(out1.uid))).branch).toBe(-1)
    expect(out2.run_id).toBe((await i.run(Run.get(runs[1]!.uid))).id)
    await i.run((await i.run(Artifact.get(out2.uid))).delete({ permanent: true }))
    await i.run(pipeline(input, 2, i.dir))
    expect(executions.transform).toBe(3)
  })

  it("recomputes when an output it saved but did not return was deleted for good, and why says so", async () => {
    const i = await instance()
    let n = 0
    const report = step("report", (dir: string) =>
      Effect.gen(function* () {
        n++
        yield* saveText(dir, "out/side.txt", "side")
        return (yield* saveText(dir, "out/main.txt", "main")).uid
      })
    )
    const f = flow("report-flow", (dir: string) => report(dir))
    await i.run(f(i.dir))
    await i.run((await i.run(Artifact.get({ key: "out/side.txt" }))).delete({ permanent: true }))
    await i.run(f(i.dir))
    expect(n).toBe(2)
    const runs = await expectRecomputed(i, "report", "was deleted")
    expect((await i.run(Artifact.get({ key: "out/side.txt" }))).run_id).toBe((await i.run(Run.get(runs[1]!.uid))).id)
  })

  it("recomputes when the bytes of an output it saved are gone from the local folder, puts them back, then hits", async () => {
    const i = await instance()
    executions.transform = 0
    const input = await i.run(saveText(i.dir, "in/x.txt", "ab"))
    const out1 = await i.run(pipeline(input, 3, i.dir))
    rmSync(i.uri(out1.storageKey))
    const out2 = await i.run(pipeline(input, 3, i.dir))
    expect(executions.transform).toBe(2)
    await expectRecomputed(i, "transform", "missing from storage")
    // The same bytes saved again: the existing artifact, its file restored.
    expect(out2.uid).toBe(out1.uid)
    expect(await i.run(loadText(out2))).toBe("ababab")
    await i.run(pipeline(input, 3, i.dir))
    expect(executions.transform).toBe(2)
  })

  it("recomputes when an artifact loaded inside the body got a newer version", async () => {
    const i = await instance()
    let n = 0
    const readRef = step("read-ref", () =>
      Effect.gen(function* () {
        n++
        const ref = yield* Artifact.get({ key: "ref/genome.txt" })
        return yield* loadText(ref)
      })
    )
    const f = flow("ref-flow", () => readRef())
    await i.run(saveText(i.dir, "ref/genome.txt", "ACGT"))
    expect(await i.run(f())).toBe("ACGT")
    expect(await i.run(f())).toBe("ACGT")
    expect(n).toBe(1)
    await i.run(saveText(i.dir, "ref/genome.txt", "TTTT"))
    expect(await i.run(f())).toBe("TTTT")
    expect(n).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "read-ref")
    const why = await i.run(Run.why(runs[2]!.uid))
    expect(why.message).toContain("has a newer version")
    expect(why.outcome).toBe("read-changed")
  })

  it("recomputes when a collection loaded inside the body got a newer version", async () => {
    const i = await instance()
    let n = 0
    const count = step("count-batch", () =>
      Effect.gen(function* () {
        n++
        const batch = yield* Collection.get({ key: "batch" })
        return (yield* batch.loadTable()).numRows
      })
    )
    const f = flow("batch-flow", () => count())
    const part = (key: string, rows: number) => Effect.flatMap(Artifact.fromTable(tableFromArrays({ v: Float64Array.from({ length: rows }, (_, k) => k) }), { key }), (p) => p.save())
    const a = await i.run(part("parts/a.parquet", 2))
    await i.run(Collection.create([a], { key: "batch" }))
    expect(await i.run(f())).toBe(2)
    expect(await i.run(f())).toBe(2)
    expect(n).toBe(1)
    // A new version of the collection, with a new member: its old member is still the latest of its key.
    await i.run(Collection.create([a, await i.run(part("parts/b.parquet", 3))], { key: "batch" }))
    expect(await i.run(f())).toBe(5)
    expect(n).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "count-batch")
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain("has a newer version")
  })

  it("validates params with a schema, applies defaults, and records them", async () => {
    const i = await instance()
    const Params = Schema.Struct({
      learning_rate: Schema.Number,
      epochs: Schema.optionalWith(Schema.Number, { default: () => 10 }),
      since: Schema.optional(Schema.DateFromString)
    })
    const train = step({ name: "train", params: Params }, (p) => Effect.succeed(p.learning_rate * p.epochs + (p.since ? p.since.getUTCFullYear() : 0)))
    const f = flow("schema-flow", (lr: number) => train({ learning_rate: lr, since: "2020-01-01" }))
    expect(await i.run(f(0.5))).toBe(2025)
    const [r] = await i.run(Run.filter({ name: "train" }).toArray())
    expect(r!.params).toEqual({ learning_rate: 0.5, epochs: 10, since: "2020-01-01T00:00:00.000Z" })
    const bad = flow("schema-bad", () => train({ learning_rate: "fast" as unknown as number }))
    const e = await i.fail(bad())
    expect(e.message).toMatch(/Invalid params for step 'train'[\s\S]*learning_rate/)
  })
})
