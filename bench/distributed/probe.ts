/**
 * A probe for one caller (not part of `npm run bench`): a throwaway database, optionally one
 * runner, one `noops` flow of N calls with unbounded concurrency, and the caller's peak RSS.
 *
 *   node dist/bench/distributed/probe.js <n> <local|cluster> [snapshotAtEvents]
 *
 * With `snapshotAtEvents`, the caller writes a heap snapshot (cwd) once that many progress
 * events arrived (LAMINA_BENCH_SNAPSHOT_AT), to look at what each queued call retains.
 *
 * @module
 */
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { throwawayInstance } from "./instance.js"
import { runCaller, startRunner, stopRunners, type RunnerProcess } from "./processes.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const script = path.join(here, "node.js")
const [nText, where = "cluster", snapAt] = process.argv.slice(2)
const n = Number(nText ?? "2000")
const concurrency = Number(process.env.PROBE_CONCURRENCY ?? "1000000")

const { instance, drop } = await throwawayInstance("lamina_probe_dist")
const runners: Array<RunnerProcess> = []
try {
  const warm = await runCaller(script, instance, { flow: "noops", args: [0, 0, 1], cluster: false }).result
  if (!warm.ok) throw new Error(warm.error)
  if (where === "cluster") {
    const r = await startRunner(script, instance, { concurrency: Number(process.env.PROBE_SLOTS ?? "2") })
    runners.push(r)
    await r.ready
  }
  const env = { LAMINA_BENCH_MEM: "1", ...(snapAt !== undefined ? { LAMINA_BENCH_SNAPSHOT_AT: snapAt } : {}) }
  const r = await runCaller(script, instance, { flow: "noops", args: [n, 7, concurrency], cluster: where === "cluster" }, env).result
  const peak = ((r.peakRss ?? r.rss) / 1048576).toFixed(0)
  console.log(JSON.stringify({ n, where, ok: r.ok, error: r.error?.slice(0, 300), ms: Math.round(r.ms), peakRssMB: Number(peak), mem: (r as { mem?: unknown }).mem, queries: (r as { queries?: unknown }).queries, perStepMs: +(r.ms / Math.max(1, n)).toFixed(2), load: os.loadavg()[0]!.toFixed(1), output: r.output.slice(-400), runner: runners[0]?.stderr().slice(-1500) }))
} finally {
  await stopRunners(runners)
  await drop()
}
