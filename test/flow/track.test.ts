/**
 * track()/finish(), tracked(program) and runMain: a whole script as a Transform of kind
 * "script"; SIGINT/SIGTERM leave no run `started`.
 */
import { EventEmitter } from "node:events"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, Exit } from "effect"
import { expect, it } from "vitest"
import { finish, flow, runMain, step, track, tracked } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Run, RunStatus } from "../../src/registry/Run.js"
import { Transform } from "../../src/registry/Transform.js"
import { describeBackends } from "../support/backends.js"
import { allRuns } from "./support.js"

const thisFile = fileURLToPath(import.meta.url)
const double = step("double", (n: number) => Effect.succeed(n * 2))

describeBackends("track", ({ instance }) => {
  it("tracks a script: kind script, source from the file, params, cli args, child steps", async () => {
    const i = await instance()
    const result = await i.run(
      Effect.gen(function* () {
        const run = yield* track({ path: thisFile, params: { mode: "full", threshold: 0.5 } })
        const x = yield* double(21)
        yield* Effect.log("script says hi")
        yield* finish()
        return { run, x }
      })
    )
    expect(result.x).toBe(42)
    const t = await i.run(Transform.get({ key: "test/flow/track.test.ts" }))
    expect(t.kind).toBe("script")
    expect(t.source_code).toBe(readFileSync(thisFile, "utf8"))
    const r = await i.run(Run.get(result.run.uid))
    expect(r).toMatchObject({ _status_code: RunStatus.completed, params: { mode: "full", threshold: 0.5 }, name: "track.test.ts" })
    expect(typeof r.cli_args).toBe("string")
    expect(r.logs).toContain("script says hi")
    const runs = await i.run(allRuns)
    expect(runs.find((x) => x.name === "double")!.parent).toBe(result.run.uid)
    // after finish(), steps need a new track()
    expect((await i.fail(double(1)))._tag).toBe("InvalidArgument")
  })

  it("tracked(program) closes the run as errored on failure, with FlowFailed naming the step", async () => {
    const i = await instance()
    const fails = step("fails", () => Effect.fail(new Error("nope")))
    const e = await i.fail(tracked(Effect.zipRight(double(1), fails()), { path: thisFile }))
    expect(e).toMatchObject({ _tag: "FlowFailed", step: "fails" })
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ["script", RunStatus.errored],
      ["function", RunStatus.completed],
      ["function", RunStatus.errored]
    ])
  })

  it("rejects bad use with typed errors that say what to do", async () => {
    const i = await instance()
    const e1 = await i.fail(track({ path: `${i.dir}/no-such-script.ts` }))
    expect(e1._tag).toBe("StorageError")
    expect(e1.message).toMatch(/Cannot read the script .*no-such-script\.ts.*ENOENT.*track\(\{ path \}\)/)
    const e2 = await i.fail(finish())
    expect(e2.message).toMatch(/call track\(\) first/)
    const e3 = await i.fail(Effect.zipRight(track({ path: thisFile }), track({ path: thisFile })))
    expect(e3.message).toMatch(/already tracked/)
  })

  it("runMain turns SIGINT into interruption: the script and its steps end aborted", async () => {
    const i = await instance()
    const signals = new EventEmitter()
    let started!: () => void
    const startedP = new Promise<void>((r) => (started = r))
    const hang = step("hang-forever", () => Effect.zipRight(Effect.sync(() => started()), Effect.never))
    const done = runMain(Effect.zipRight(double(2), hang()), {
      layer: Lamina.layer({ storage: i.storage, db: i.db }),
      track: { path: thisFile },
      setExitCode: false,
      printError: false,
      signals
    })
    await startedP
    const stderr = process.stderr.write
    process.stderr.write = () => true
    signals.emit("SIGINT", "SIGINT")
    const exit = await done.finally(() => (process.stderr.write = stderr))
    expect(Exit.isInterrupted(exit)).toBe(true)
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.kind, r.name, r.status])).toEqual([
      ["script", "track.test.ts", RunStatus.aborted],
      ["function", "double", RunStatus.completed],
      ["function", "hang-forever", RunStatus.aborted]
    ])
  })

  it("runMain completes a successful program and returns its value", async () => {
    const i = await instance()
    const exit = await runMain(double(5), { layer: Lamina.layer({ storage: i.storage, db: i.db }), track: { path: thisFile }, setExitCode: false })
    expect(exit).toEqual(Exit.succeed(10))
    expect((await i.run(allRuns)).map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.completed])
  })

  it("runMain(flowCall) makes the flow the tracked run (no script run around it)", async () => {
    const i = await instance()
    const pipeline = flow("pipeline", (ns: ReadonlyArray<number>) => Effect.forEach(ns, (n) => double(n), { concurrency: "unbounded" }))
    const exit = await runMain(pipeline([1, 2]), { layer: Lamina.layer({ storage: i.storage, db: i.db }), setExitCode: false })
    expect(exit).toEqual(Exit.succeed([2, 4]))
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.kind, r.name, r.status])).toEqual([
      ["pipeline", "pipeline", RunStatus.completed],
      ["function", "double", RunStatus.completed],
      ["function", "double", RunStatus.completed]
    ])
    expect(typeof (await i.run(Run.get(runs[0]!.uid))).cli_args).toBe("string")
  })

  it("a flow nested in a tracked script fails with a message naming runMain's track: false and nested: true", async () => {
    const i = await instance()
    const inner = flow("inner", () => Effect.succeed(1))
    const e = await i.fail(tracked(Effect.flatMap(Effect.void, () => inner()), { path: thisFile }))
    expect(e.message).toMatch(/flow 'inner' was called inside the tracked run/)
    expect(e.message).toContain("{ track: false }")
    expect(e.message).toContain("{ nested: true }")
    expect(e.message).toContain("runMain(inner(…))")
  })

  it("runMain's progress option reports each step; library logs go to stderr, not stdout", async () => {
    const i = await instance()
    const events: Array<string> = []
    const pipeline = flow("progress-pipeline", () => Effect.zipRight(Effect.logWarning("careful"), double(3)))
    const out: Array<string> = []
    const err: Array<string> = []
    const log = console.log
    const error = console.error
    console.log = (...a: Array<unknown>) => void out.push(a.join(" "))
    console.error = (...a: Array<unknown>) => void err.push(a.join(" "))
    const exit = await runMain(pipeline(), {
      layer: Lamina.layer({ storage: i.storage, db: i.db }),
      setExitCode: false,
      progress: (e) => void events.push(`${e.kind}:${e.name}:${e.status}`)
    }).finally(() => {
      console.log = log
      console.error = error
    })
    expect(exit).toEqual(Exit.succeed(6))
    expect(events).toEqual(["flow:progress-pipeline:running", "step:double:running", "step:double:done", "flow:progress-pipeline:done"])
    expect(out.join("\n")).not.toContain("careful")
    expect(err.join("\n")).toMatch(/level=WARN.*careful/)
    // the same for a program run with Lamina.layer alone
    const err2: Array<string> = []
    console.error = (...a: Array<unknown>) => void err2.push(a.join(" "))
    await Effect.runPromise(Effect.provide(Effect.logWarning("also careful"), Lamina.layer({ storage: i.storage, db: i.db }))).finally(() => (console.error = error))
    expect(err2.join("\n")).toMatch(/level=WARN.*also careful/)
  })
})
