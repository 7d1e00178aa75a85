/**
 * The example pipelines run on a fresh instance, and a second run is all cache hits.
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import * as modelSweep from "../../examples/pipelines/model-sweep/main.js"
import * as salesReport from "../../examples/pipelines/sales-report/main.js"
import { collectProgress, FlowConfig } from "../../src/flow/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run, RunStatus } from "../../src/registry/Run.js"
import { describeBackends } from "../support/backends.js"
import { runNode } from "../support/cli.js"
import { requireBuild } from "../support/consumer.js"
import { loadText } from "./support.js"

describeBackends("examples", ({ instance }) => {
  it("sales-report: 12 step runs with fan-out and fan-in; the rerun is fully cached", async () => {
    const i = await instance()
    const run = () => {
      const p = collectProgress()
      return Effect.map(
        Effect.provide(salesReport.main({ workDir: path.join(i.dir, "work") }), Layer.succeed(FlowConfig, { progress: p.sink })),
        (out) => ({ out, steps: p.events.filter((e) => e.kind === "step" && e.status !== "running") })
      )
    }
    const first = await i.run(run())
    expect(first.steps).toHaveLength(12)
    expect(first.steps.every((e) => e.status === "done")).toBe(true)
    const report = await i.run(loadText(first.out.report))
    expect(report).toMatch(/^# Sales report 2024/)
    expect(report).toContain("## Top products")
    const second = await i.run(run())
    expect(second.steps.map((e) => e.status)).toEqual(Array(12).fill("cached"))
    expect(second.out.report.uid).toBe(first.out.report.uid)
    expect((await i.run(Artifact.get({ key: "sales/report.md" }))).uid).toBe(first.out.report.uid)
  })

  it("model-sweep: one flow per grid point, split computed once, runs found by params", async () => {
    const i = await instance()
    const out = await i.run(modelSweep.main({ workDir: path.join(i.dir, "work") }))
    expect(await i.run(loadText(out.report))).toMatch(/^# Sweep leaderboard/)
    const trains = await i.run(Run.filter({ name: "train" }).toArray())
    expect(trains).toHaveLength(9)
    expect(trains.every((r) => r._status_code === RunStatus.completed)).toBe(true)
    const splits = await i.run(Run.filter({ name: "split" }).toArray())
    expect(splits.filter((r) => r._status_code === RunStatus.completed)).toHaveLength(1)
    expect(splits.filter((r) => r._status_code === RunStatus.cached)).toHaveLength(8)
    expect(trains.filter((r) => (r.params as { learning_rate: number }).learning_rate === 0.05)).toHaveLength(3)
  })
})

// What `npm run demo` promises: run again as a new process (new scratch folders, a new process
// mark), every step is a hit. The in-process reruns above cannot see a value unique to a process.
describe("examples rerun as new processes", () => {
  it.each(["sales-report", "sensors-promise", "anndata", "model-sweep"])("%s: the second process runs no step", async (name) => {
    requireBuild()
    const home = mkdtempSync(path.join(os.tmpdir(), "lamina-example-rerun-"))
    try {
      const run = () => runNode([path.resolve("dist/examples/run.js"), name], { env: { LAMINA_HOME: home }, cwd: home })
      const first = await run()
      expect(first.code, first.stderr).toBe(0)
      expect(first.stdout).toMatch(new RegExp(`${name}: (\\d+) step runs — [1-9]\\d* executed`))
      const second = await run()
      expect(second.code, second.stderr).toBe(0)
      const steps = /(\d+) step runs/.exec(second.stdout.split("\n").find((l) => l.startsWith(`${name}:`)) ?? "")?.[1]
      expect(second.stdout).toContain(`${name}: ${steps} step runs — 0 executed, ${steps} cached, 0 failed`)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  }, 120_000)
})
