/**
 * A/B probe of the dispatch overhead (not part of `npm run bench`): builds of two (or more)
 * checkouts measured in one session, interleaved, so the machine's load falls on each alike.
 *
 *   node dist/bench/distributed/overhead.js <steps> <rounds> <node.js of A> [<node.js of B> …]
 *
 * Each build gets its own throwaway database and one runner (4 slots). Each round runs, per
 * build (the order rotating), `noops` of `steps` trivial steps one at a time locally and then
 * on the runner. Two overheads: (remote − local) / steps from the flows' totals, and the
 * remote minus the local *median* step (the median gap between consecutive step ends, which a
 * loaded machine's stalls move much less than the totals). It prints one JSON line per
 * measurement and the medians per build, with the load average.
 *
 * @module
 */
import { readFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { median } from "../util.js"
import { throwawayInstance } from "./instance.js"
import { runCaller, startRunner, stopRunners, type ClusterInstance, type RunnerProcess } from "./processes.js"

const [stepsText, roundsText, ...scripts] = process.argv.slice(2)
const steps = Number(stepsText ?? "100")
const rounds = Number(roundsText ?? "4")
if (scripts.length === 0) throw new Error("usage: overhead.js <steps> <rounds> <node.js> [<node.js> …]")

interface Build {
  readonly name: string
  readonly script: string
  readonly instance: ClusterInstance
  readonly env: NodeJS.ProcessEnv
  readonly drop: () => Promise<void>
  runner?: RunnerProcess
  readonly overheads: Array<number>
  readonly locals: Array<number>
  /** Remote minus local median step. */
  readonly medianOverheads: Array<number>
  /** CPU per step: remote caller + runner − local caller. */
  readonly cpuOverheads: Array<number>
}

/** A process's CPU time so far (user + system, ms), from /proc (Linux). */
const cpuOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

const builds: Array<Build> = []
let salt = 1
const call = async (b: Build, cluster: boolean) => {
  const r = await runCaller(b.script, b.instance, { flow: "noops", args: [steps, salt++, 1], cluster }, b.env).result
  if (!r.ok) throw new Error(`${b.name}: noops failed: ${r.error}`)
  return { ms: r.ms, step: r.stepMedianMs ?? Number.NaN, cpu: r.cpuMs ?? Number.NaN }
}

try {
  for (const [i, script] of scripts.entries()) {
    const { instance, drop } = await throwawayInstance(`lamina_overhead_${i}`)
    // throwawayInstance points this process's LAMINA_HOME and scratch folder at its folder: keep each build's.
    const env = { LAMINA_HOME: process.env.LAMINA_HOME, LAMINA_TEST_SCRATCH: process.env.LAMINA_TEST_SCRATCH }
    const b: Build = { name: path.resolve(script).split(path.sep).slice(0, -4).join(path.sep) || script, script, instance, env, drop, overheads: [], locals: [], medianOverheads: [], cpuOverheads: [] }
    builds.push(b)
    await call(b, false) // migrate
    b.runner = await startRunner(script, instance, { concurrency: 4, env })
    await b.runner.ready
    await call(b, true) // warm the runner (transforms, code fingerprints)
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < builds.length; k++) {
      const b = builds[(round + k) % builds.length]!
      const local = await call(b, false)
      const runnerCpu0 = cpuOf(b.runner!.pid)
      const remote = await call(b, true)
      const runnerCpu = cpuOf(b.runner!.pid) - runnerCpu0
      b.locals.push(local.ms / steps)
      b.overheads.push((remote.ms - local.ms) / steps)
      b.medianOverheads.push(remote.step - local.step)
      // CPU per step: the remote caller's and the runner's, against the local caller's (the load moves it little).
      b.cpuOverheads.push((remote.cpu + runnerCpu - local.cpu) / steps)
      console.log(
        JSON.stringify({
          build: b.name,
          round,
          localMs: +(local.ms / steps).toFixed(2),
          overheadMs: +((remote.ms - local.ms) / steps).toFixed(2),
          localMedianStepMs: +local.step.toFixed(2),
          remoteMedianStepMs: +remote.step.toFixed(2),
          cpuPerStep: { local: +(local.cpu / steps).toFixed(2), remoteCaller: +(remote.cpu / steps).toFixed(2), runner: +(runnerCpu / steps).toFixed(2) },
          load: os.loadavg()[0]!.toFixed(2)
        })
      )
    }
  }
  for (const b of builds)
    console.log(
      JSON.stringify({
        build: b.name,
        medianOverheadMs: +median(b.overheads).toFixed(2),
        overheads: b.overheads.map((x) => +x.toFixed(2)),
        medianLocalMs: +median(b.locals).toFixed(2),
        medianStepOverheadMs: +median(b.medianOverheads).toFixed(2),
        stepOverheads: b.medianOverheads.map((x) => +x.toFixed(2)),
        medianCpuOverheadMs: +median(b.cpuOverheads).toFixed(2)
      })
    )
} finally {
  await stopRunners(builds.flatMap((b) => (b.runner !== undefined ? [b.runner] : [])))
  for (const b of builds) await b.drop()
}
