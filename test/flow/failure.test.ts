/**
 * Failure and abort paths: errored runs with their error, partial outputs to trash, FlowFailed
 * naming the step, reruns recomputing only what failed, interruption → aborted.
 */
import { Data, Effect, Exit, Fiber, Schedule, Schema } from "effect"
import { expect, it } from "vitest"
import { flow, FlowFailed, StepFailed, step } from "../../src/flow/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run, RunStatus } from "../../src/registry/Run.js"
import { describeBackends } from "../support/backends.js"
import { allRuns, count, saveText } from "./support.js"

class Boom extends Data.TaggedError("Boom")<{ readonly message: string }> {}

describeBackends("failure", ({ instance }) => {
  it("errors the failing step, trashes its partial outputs, names it in FlowFailed; a rerun recomputes only it", async () => {
    const i = await instance()
    let shouldFail = true
    const executions: Record<string, number> = {}
    const bump = (k: string) => Effect.sync(() => void (executions[k] = (executions[k] ?? 0) + 1))
    const prepare = step("prepare", (dir: string) => Effect.zipRight(bump("prepare"), saveText(dir, "out/prepared.txt", "prepared")))
    const report = step("report", (input: Artifact, dir: string) =>
      Effect.gen(function* () {
        yield* bump("report")
        yield* saveText(dir, "out/report.md", shouldFail ? "partial" : "# final")
        if (shouldFail) return yield* new Boom({ message: "disk full while writing the report" })
        return input.uid
      })
    )
    const f = flow("report-flow", (dir: string) => Effect.flatMap(prepare(dir), (p) => report(p, dir)))
    // an earlier good version of the report, so "latest" has something to fall back to
    const before = await i.run(saveText(i.dir, "out/report.md", "# old"))

    const e = await i.fail(f(i.dir))
    expect(e).toBeInstanceOf(FlowFailed)
    expect(e._tag).toBe("FlowFailed")
    if (e._tag !== "FlowFailed") throw e
    expect(e.step).toBe("report")
    expect(e.message).toContain("Step 'report' failed in flow 'report-flow'")
    expect(e.message).toContain("disk full while writing the report")
    expect(e.errorTag).toBe("Boom")
    expect(e.cause).toBeInstanceOf(Boom)

    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ["report-flow", RunStatus.errored],
      ["prepare", RunStatus.completed],
      ["report", RunStatus.errored]
    ])
    const failed = await i.run(Run.get(runs[2]!.uid))
    const stored = Schema.decodeUnknownSync(StepFailed)(failed.error)
    expect(stored).toMatchObject({ step: "report", run: failed.uid, message: "disk full while writing the report", errorTag: "Boom" })
    expect(stored.errorStack).toContain("Boom")
    expect(failed.finished_at).toBeInstanceOf(Date)
    const flowRun = await i.run(Run.get(runs[0]!.uid))
    expect(Schema.decodeUnknownSync(FlowFailed)(flowRun.error)).toMatchObject({ flow: "report-flow", step: "report", stepRun: failed.uid })
    // the partial report went to trash; latest is the earlier version
    expect((await i.run(Artifact.get({ key: "out/report.md" }))).uid).toBe(before.uid)
    expect(await i.run(Artifact.filter({ key: "out/report.md" }).toArray())).toHaveLength(1)

    shouldFail = false
    await i.run(f(i.dir))
    expect(executions).toEqual({ prepare: 1, report: 2 })
    const after = (await i.run(allRuns)).slice(3)
    expect(after.map((r) => [r.name, r.status])).toEqual([
      ["report-flow", RunStatus.completed],
      ["prepare", RunStatus.cached],
      ["report", RunStatus.completed]
    ])
    expect(Buffer.from(await i.run((await i.run(Artifact.get({ key: "out/report.md" }))).load())).toString()).toBe("# final")
  })

  it("records a flow body throwing a non-Error, with a typed FlowFailed that says so", async () => {
    const i = await instance()
    const f = flow("throws", () =>
      Effect.sync(() => {
        throw "a plain string"
      })
    )
    const e = await i.fail(f())
    expect(e._tag).toBe("FlowFailed")
    expect(e.message).toMatch(/Flow 'throws' failed .*a plain string.*non-Error/)
    const g = flow("fails-with-number", () => Effect.fail(42))
    expect((await i.fail(g())).message).toMatch(/42.*non-Error/)
    const runs = await i.run(allRuns)
    expect(runs.map((r) => r.status)).toEqual([RunStatus.errored, RunStatus.errored])
  })

  it("records a step that throws a non-Error (a defect) and names it in FlowFailed", async () => {
    const i = await instance()
    const bad = step("throws-number", () =>
      Effect.sync(() => {
        throw 42
      })
    )
    const e = await i.fail(flow("defect-flow", () => bad())())
    expect(e).toMatchObject({ _tag: "FlowFailed", step: "throws-number" })
    expect(e.message).toMatch(/42 \(a non-Error value/)
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ["defect-flow", RunStatus.errored],
      ["throws-number", RunStatus.errored]
    ])
  })

  it("keeps the body's own error for the step, so retry works; each attempt is a run", async () => {
    const i = await instance()
    let attempts = 0
    const flaky = step({ name: "flaky", cache: false }, () =>
      Effect.suspend(() => (++attempts < 3 ? Effect.fail(new Boom({ message: `attempt ${attempts}` })) : Effect.succeed("ok")))
    )
    const f = flow("retry-flow", () => flaky().pipe(Effect.retry(Schedule.recurs(5)), Effect.catchTag("Boom", () => Effect.succeed("caught"))))
    expect(await i.run(f())).toBe("ok")
    const runs = (await i.run(allRuns)).filter((r) => r.name === "flaky")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.errored, RunStatus.errored, RunStatus.completed])
  })

  it("marks runs aborted when the flow's fiber is interrupted, releasing claims and trashing partial outputs", async () => {
    const i = await instance()
    let started!: () => void
    const startedP = new Promise<void>((r) => (started = r))
    const hang = step("hang", (dir: string) =>
      Effect.gen(function* () {
        yield* saveText(dir, "out/partial.bin", "half")
        started()
        return yield* Effect.never
      })
    )
    const quick = step("quick", () => Effect.succeed(1))
    const f = flow("hang-flow", (dir: string) => Effect.zipRight(quick(), hang(dir)))
    const fiber = await i.run(Effect.forkDaemon(f(i.dir)))
    await startedP
    const exit = await i.run(Fiber.interrupt(fiber))
    expect(Exit.isInterrupted(exit)).toBe(true)
    const runs = await i.run(allRuns)
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ["hang-flow", RunStatus.aborted],
      ["quick", RunStatus.completed],
      ["hang", RunStatus.aborted]
    ])
    const hung = await i.run(Run.get(runs[2]!.uid))
    expect(hung.error).toMatchObject({ _tag: "StepFailed", aborted: true })
    expect(hung.finished_at).toBeInstanceOf(Date)
    expect(await i.run(count("lamina_run_claim"))).toBe(0)
    expect(await i.run(Artifact.filter({ key: "out/partial.bin" }).toArray())).toHaveLength(0)
  })
})
