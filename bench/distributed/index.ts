/**
 * Distributed execution (`npm run bench -- distributed`), on loopback runners and a throwaway
 * Postgres database:
 *
 * - dispatch overhead per remote step: a flow of trivial steps run one at a time on a runner,
 *   minus the same flow run locally, per step (median of 3) — target ≤ 5 ms;
 * - a CPU-bound 40-step fan-out on 2 runners vs 1 (one slot each) — target ≥ 1.7× throughput;
 *   also 3 runners on this machine's cores, to show what more runners than cores do;
 * - 10,000 queued steps (one runner, two slots): the caller's peak RSS — target < 300 MB.
 *
 * `BENCH_SCALE` (default 1) scales step counts down for a quick check (e.g. 0.1).
 *
 * @module
 */
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { median, report, type Result } from "../util.js"
import { throwawayInstance } from "./instance.js"
import { runCaller, startRunner, stopRunners, type RunnerProcess } from "./processes.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const script = path.join(here, "node.js")
const scale = Number(process.env.BENCH_SCALE ?? "1") || 1

const { instance, drop } = await throwawayInstance("lamina_bench_dist")
const runners: Array<RunnerProcess> = []
const results: Array<Result> = []
let salt = 1

const call = async (flow: string, args: ReadonlyArray<number>, cluster: boolean) => {
  const r = await runCaller(script, instance, { flow, args, cluster }).result
  if (!r.ok) throw new Error(`${flow} failed: ${r.error}`)
  return r
}
const addRunner = async (concurrency: number) => {
  const r = await startRunner(script, instance, { concurrency })
  runners.push(r)
  await r.ready
}

try {
  await call("noops", [0, 0, 1], false) // migrate
  // Dispatch overhead.
  await addRunner(4)
  const n = Math.max(20, Math.round(200 * scale))
  const overheads: Array<number> = []
  const locals: Array<number> = []
  for (let i = 0; i < 3; i++) {
    const local = await call("noops", [n, salt++, 1], false)
    const remote = await call("noops", [n, salt++, 1], true)
    locals.push(local.ms / n)
    overheads.push((remote.ms - local.ms) / n)
  }
  const overhead = median(overheads)
  results.push({
    name: `dispatch overhead per remote step (${n} trivial steps, one at a time)`,
    value: `${overhead.toFixed(2)} ms`,
    baseline: `${median(locals).toFixed(2)} ms/step local`,
    ratio: "—",
    target: "≤ 5 ms",
    ok: overhead <= 5
  })
  console.log(JSON.stringify(results.at(-1)))
  await stopRunners(runners.splice(0))

  // CPU-bound fan-out: 1, 2, 3 runners with one slot each.
  const steps = 40
  const iterations = Math.round(30_000_000 * scale)
  const times: Array<number> = []
  for (let k = 1; k <= 3; k++) {
    await addRunner(1)
    times.push((await call("burns", [steps, iterations, salt++], true)).ms)
  }
  const speedup = times[0]! / times[1]!
  results.push({
    name: `${steps}-step CPU-bound fan-out, 2 runners vs 1`,
    value: `${(times[1]! / 1000).toFixed(2)} s`,
    baseline: `${(times[0]! / 1000).toFixed(2)} s on 1 runner`,
    ratio: `${speedup.toFixed(2)}×`,
    target: "≥ 1.7×",
    ok: speedup >= 1.7
  })
  console.log(JSON.stringify(results.at(-1)))
  results.push({
    name: `same, 3 runners on ${os.availableParallelism()} cores`,
    value: `${(times[2]! / 1000).toFixed(2)} s`,
    baseline: `${(times[0]! / 1000).toFixed(2)} s on 1 runner`,
    ratio: `${(times[0]! / times[2]!).toFixed(2)}×`,
    target: "(report)",
    ok: true
  })
  await stopRunners(runners.splice(0))

  // 10,000 queued steps (and 2,000 first, to show the trend if 10,000 fails).
  await addRunner(2)
  for (const queued of [...new Set([Math.max(500, Math.round(2_000 * scale)), Math.max(500, Math.round(10_000 * scale))])]) {
    try {
      const big = await call("noops", [queued, salt++, 1_000_000], true)
      const mb = (big.peakRss ?? big.rss) / 1024 / 1024
      results.push({
        name: `caller peak RSS with ${queued} queued steps (1 runner, 2 slots)`,
        value: `${mb.toFixed(0)} MB`,
        baseline: `${(big.ms / 1000).toFixed(1)} s for the flow`,
        ratio: "—",
        target: "< 300 MB",
        ok: mb < 300
      })
    } catch (e) {
      const reason = (e instanceof Error ? e.message : String(e)).split("\n").find((l) => /Error/.test(l)) ?? String(e)
      results.push({ name: `caller peak RSS with ${queued} queued steps (1 runner, 2 slots)`, value: "failed", baseline: reason.trim().slice(0, 120), ratio: "—", target: "< 300 MB", ok: false })
    }
    console.log(JSON.stringify(results.at(-1)))
  }
} finally {
  await stopRunners(runners)
  await drop()
}
report(`Distributed execution (load average ${os.loadavg()[0]!.toFixed(1)})`, results)
