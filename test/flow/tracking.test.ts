/**
 * LaminDB's tracking checks: what a flow and its steps record.
 */
import { Effect, FiberRef, Option } from "effect"
import { expect, it } from "vitest"
import { currentRun } from "../../src/flow/CurrentRun.js"
import { flow, NOT_TRACKED, step } from "../../src/flow/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run, RunStatus } from "../../src/registry/Run.js"
import { Transform } from "../../src/registry/Transform.js"
import { describeBackends } from "../support/backends.js"
import { allRuns, createdBy, inputsOf, loadText, saveText, writeFile } from "./support.js"

const upper = step("upper", (input: Artifact, outDir: string, suffix = "!", verbose = false) =>
  Effect.gen(function* () {
    const text = yield* loadText(input)
    yield* Effect.log(`upper-casing ${text.length} chars${verbose ? " verbosely" : ""}`)
    return yield* saveText(outDir, "out/upper.txt", text.toUpperCase() + suffix)
  })
)

const count = step("count", ({ text, min_length = 1 }: { text: Artifact; min_length?: number }) =>
  Effect.map(loadText(text), (t) => ({ chars: t.length, long: t.length >= min_length }))
)

const pipeline = flow("pipeline", (input: Artifact, outDir: string) =>
  Effect.gen(function* () {
    const up = yield* upper(input, outDir)
    const stats = yield* count({ text: up })
    return { up, stats }
  })
)

describeBackends("tracking", ({ instance }) => {
  it("records the flow run, step runs, transforms, params, inputs and outputs", async () => {
    const i = await instance()
    const input = await i.run(saveText(i.dir, "in/a.txt", "hello"))
    const { up, stats } = await i.run(pipeline(input, i.dir))
    expect(stats).toEqual({ chars: 6, long: true })
    expect(Buffer.from(await i.run(up.load())).toString()).toBe("HELLO!")

    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.kind, r.status])).toEqual([
      ["pipeline", "pipeline", RunStatus.completed],
      ["upper", "function", RunStatus.completed],
      ["count", "function", RunStatus.completed]
    ])
    const [flowRun, upperRun, countRun] = runs
    expect(upperRun!.parent).toBe(flowRun!.uid)
    expect(countRun!.parent).toBe(flowRun!.uid)
    expect(flowRun!.parent).toBeNull()
    expect(runs.map((r) => r.key)).toEqual([
      "test/flow/tracking.test.ts:pipeline",
      "test/flow/tracking.test.ts:upper",
      "test/flow/tracking.test.ts:count"
    ])

    const u = await i.run(Run.get(upperRun!.uid))
    // every argument, defaults included; artifacts as Artifact[<uid>]
    expect(u.params).toEqual({ input: `Artifact[${input.uid}]`, outDir: i.dir, suffix: "!", verbose: false })
    expect(u.entrypoint).toBe("upper")
    expect(u.started_at).toBeInstanceOf(Date)
    expect(u.finished_at!.getTime()).toBeGreaterThanOrEqual(u.started_at!.getTime())
    expect(u.logs).toMatch(/upper-casing 5 chars/)
    expect(u.cache_key).toMatch(/^[\w-]{22}$/)
    const c = await i.run(Run.get(countRun!.uid))
    expect(c.params).toEqual({ text: `Artifact[${up.uid}]`, min_length: 1 })

    // inputs: passed and loaded; outputs: saved (run_id)
    expect(await i.run(inputsOf(u.id))).toEqual([input.uid])
    expect(await i.run(createdBy(u.id))).toEqual([up.uid])
    expect(up.run_id).toBe(u.id)
    expect(await i.run(inputsOf(c.id))).toEqual([up.uid])
    const f = await i.run(Run.get(flowRun!.uid))
    expect(f.params).toEqual({ input: `Artifact[${input.uid}]`, outDir: i.dir })
    expect(await i.run(inputsOf(f.id))).toEqual([input.uid])

    // the transform: source code and hash; the environment: one deduplicated artifact
    const t = await i.run(Transform.get({ key: "test/flow/tracking.test.ts:upper" }))
    expect(t.source_code).toContain("upper-casing")
    expect(t.hash).toMatch(/^[\w-]{22}$/)
    expect(t.uid).toMatch(/0000$/)
    expect(u.environment_id).not.toBeNull()
    expect(f.environment_id).toBe(u.environment_id)
    const env = await i.run(Artifact.filter({ kind: "__lamina_run__" }).toArray())
    expect(env).toHaveLength(1)
    const envJson = JSON.parse(Buffer.from(await i.run(env[0]!.load())).toString()) as Record<string, unknown>
    expect(envJson).toMatchObject({ node: process.version, platform: process.platform })
    expect((envJson.packages as Record<string, string>).effect).toBe("3.22.4")
    expect(envJson.lockfile).toMatchObject({ file: "package-lock.json" })
    // inside a git checkout: the commit and dirty flag; outside one (a source tarball): null
    if (envJson.git !== null) expect(envJson.git).toMatchObject({ commit: expect.stringMatching(/^[0-9a-f]{40}$/), dirty: expect.any(Boolean) })

    // a second call: new runs, the same transforms and environment artifact
    await i.run(pipeline(input, i.dir))
    expect(await i.run(Transform.filter({ key: "test/flow/tracking.test.ts:upper" }).toArray())).toHaveLength(1)
    expect(await i.run(Artifact.filter({ kind: "__lamina_run__" }).toArray())).toHaveLength(1)
  })

  it("rejects a step outside a flow, and a flow inside a flow unless nested", async () => {
    const i = await instance()
    const input = await i.run(saveText(i.dir, "in/b.txt", "b"))
    const e = await i.fail(upper(input, i.dir))
    expect(e._tag).toBe("InvalidArgument")
    expect(e.message).toBe(NOT_TRACKED)
    expect(e.message).toContain("Please track the global run context before using step()")

    const inner = flow("inner", () => Effect.succeed(1))
    const outer = flow("outer", () => inner())
    const e2 = await i.fail(outer())
    expect(e2._tag).toBe("FlowFailed")
    expect(e2.message).toMatch(/flow 'inner' was called inside the tracked run 'outer'.*nested: true/)

    const nestedInner = flow({ name: "nested-inner", nested: true }, (x: number) => Effect.succeed(x + 1))
    const outer2 = flow("outer2", () => nestedInner(41))
    expect(await i.run(outer2())).toBe(42)
    const runs = await i.run(allRuns)
    const o2 = runs.find((r) => r.name === "outer2")!
    expect(runs.find((r) => r.name === "nested-inner")).toMatchObject({ parent: o2.uid, status: RunStatus.completed, kind: "pipeline" })
    // nothing left started
    expect(runs.filter((r) => r.status === RunStatus.started)).toEqual([])
  })

  it("does not record an artifact the run created itself as its input", async () => {
    const i = await instance()
    const roundTrip = step("round-trip", (dir: string) =>
      Effect.gen(function* () {
        const a = yield* saveText(dir, "out/self.txt", "self")
        return yield* loadText(a)
      })
    )
    expect(await i.run(flow("self-flow", (dir: string) => roundTrip(dir))(i.dir))).toBe("self")
    const [r] = await i.run(Run.filter({ name: "round-trip" }).toArray())
    expect(await i.run(inputsOf(r!.id))).toEqual([])
    expect(await i.run(createdBy(r!.id))).toHaveLength(1)
  })

  it("exposes the current run to code inside a step", async () => {
    const i = await instance()
    const who = step("who", () => Effect.map(currentRun, (r) => (Option.isSome(r) ? r.value.name : "none")))
    const f = flow("who-flow", () => who())
    expect(await i.run(f())).toBe("who")
    expect(await i.run(Effect.map(currentRun, Option.isNone))).toBe(true)
  })

  it("redacts secrets and drops empty params like LaminDB", async () => {
    const i = await instance()
    const connect = step("connect", (_opts: { apiKey: string; max_tokens: number; dbUrl: string; tags: Array<string>; note: string | null }) => Effect.succeed("ok"))
    const f = flow("secret-flow", () =>
      connect({ apiKey: "sk-123", max_tokens: 5, dbUrl: "postgresql://me:hunter2@db/x", tags: [], note: null })
    )
    await i.run(f())
    const [r] = await i.run(Run.filter({ name: "connect" }).toArray())
    expect(r!.params).toEqual({ _opts: { apiKey: "***REDACTED***", max_tokens: 5, dbUrl: "postgresql://me:***@db/x", tags: [], note: null } })
    const tokenStep = step("token", (token: string, retries = 3) => Effect.succeed(token.length + retries))
    await i.run(flow("token-flow", () => tokenStep("secret-value"))())
    const [t] = await i.run(Run.filter({ name: "token" }).toArray())
    expect(t!.params).toEqual({ token: "***REDACTED***", retries: 3 })
    expect(JSON.stringify(t!._cache_parts)).not.toContain("secret-value")
  })
})

describeBackends("tracking: the caller's tracing", ({ instance }) => {
  // Lamina's own registry work runs untraced; a step body must still see the caller's setting.
  const seen = step({ name: "tracing-seen", cache: false }, (_i: number) => FiberRef.get(FiberRef.currentTracerEnabled))
  const both = flow("tracing-both", () => Effect.all([seen(1), seen(2).pipe(Effect.withTracerEnabled(false))]))

  it("a step body runs with its caller's tracing setting, on or off", async () => {
    const i = await instance()
    expect(await i.run(both())).toEqual([true, false])
  })

  // A cacheable step on SQLite executes on the short path (executeNow.ts) from its second call,
  // the first having stored its code fingerprint; that path turns tracing off for its own work
  // and back on itself, also when the body fails.
  const seenCacheable = step("tracing-seen-cacheable", (_i: number) => FiberRef.get(FiberRef.currentTracerEnabled))
  const failing = step("tracing-failing", (_i: number) => Effect.fail("refused"))
  const around = flow("tracing-around", () =>
    Effect.gen(function* () {
      yield* seenCacheable(0)
      yield* Effect.either(failing(0))
      const inside = yield* seenCacheable(1)
      const after = yield* FiberRef.get(FiberRef.currentTracerEnabled)
      const insideOff = yield* seenCacheable(2).pipe(Effect.withTracerEnabled(false))
      yield* Effect.either(failing(1))
      const afterFailure = yield* FiberRef.get(FiberRef.currentTracerEnabled)
      return [inside, after, insideOff, afterFailure]
    })
  )

  it("a cacheable step's body sees its caller's setting, and the caller has it back after the call, also after a failure", async () => {
    const i = await instance()
    expect(await i.run(around())).toEqual([true, true, false, true])
  })
})
