/**
 * The Promise-API example pipeline (examples/pipelines/sensors-promise) runs on a fresh
 * instance; the rerun is all cache hits; its runs are found by params.
 */
import * as path from "node:path"
import { expect, it } from "vitest"
import * as sensors from "../../examples/pipelines/sensors-promise/main.js"
import { collectProgress } from "../../src/promise/index.js"
import { describeBackends } from "../support/backends.js"
import { promiseInstance } from "./support.js"

describeBackends("promise: example pipeline", (ctx) => {
  it("sensors-promise: 8 step runs with fan-out and fan-in; the rerun is fully cached", async () => {
    const progress = collectProgress()
    const { i, lm } = await promiseInstance(ctx, { progress: progress.sink })
    const run = async () => {
      const from = progress.events.length
      const out = await sensors.main({ workDir: path.join(i.dir, "work"), lm, signal: new AbortController().signal })
      return { out, steps: progress.events.slice(from).filter((e) => e.kind === "step" && e.status !== "running") }
    }
    const first = await run()
    expect(first.steps).toHaveLength(8)
    expect(first.steps.every((e) => e.status === "done")).toBe(true)
    const report = Buffer.from(await first.out.report.load()).toString()
    expect(report).toMatch(/^# Sensor report, March 2024/)
    // the warm spell on day 10 is found at every station
    for (const station of ["harbor", "ridge", "valley"]) expect(report).toContain(`| ${station} | 2024-03-10 |`)
    expect(first.out.cleaningRuns).toBe(3)
    const second = await run()
    expect(second.steps.map((e) => e.status)).toEqual(Array(8).fill("cached"))
    expect(second.out.report.uid).toBe(first.out.report.uid)
    expect(second.out.cleaningRuns).toBe(6)
  })
})
