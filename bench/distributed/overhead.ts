/**
 * A/B probe of the dispatch overhead (not part of `npm run bench`): builds of two (or more)
 * checkouts measured in one session, interleaved, so the machine's load falls on each alike.
 *
 *   node dist/bench/distributed/overhead.js <steps> <rounds> <node.js of A> [<node.js of B> …]
 *
 * Each build gets its own throwaway database and one runner (4 slots). Each round runs, per
 * build (the order rotating), `noops` of `steps` trivial steps one at a time locally and then
 * on the runner; the overhead is (remote − local) / steps. It prints one JSON line per
 * measurement and the medians per build, with the load average.
 *
 * @module
 */
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
}

const builds: Array<Build> = []
let salt = 1
const call = async (b: Build, cluster: boolean) => {
  const r = await runCaller(b.script, b.instance, { flow: "noops", args: [steps, salt++, 1], cluster }, b.env).result
  if (!r.ok) throw new Error(`${b.name}: noops failed: ${r.error}`)
  return r.ms
}

try {
  for (const [i, script] of scripts.entries()) {
    const { instance, drop } = await throwawayInstance(`lamina_overhead_${i}`)
    // throwawayInstance points this process's LAMINA_HOME and scratch folder at its folder: keep each build's.
    const env = { LAMINA_HOME: process.env.LAMINA_HOME, LAMINA_TEST_SCRATCH: process.env.LAMINA_TEST_SCRATCH }
    const b: Build = { name: path.resolve(script).split(path.sep).slice(0, -4).join(path.sep) || script, script, instance, env, drop, overheads: [], locals: [] }
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
      const remote = await call(b, true)
      b.locals.push(local / steps)
      b.overheads.push((remote - local) / steps)
      console.log(JSON.stringify({ build: b.name, round, localMs: +(local / steps).toFixed(2), overheadMs: +((remote - local) / steps).toFixed(2), load: os.loadavg()[0]!.toFixed(2) }))
    }
  }
  for (const b of builds)
    console.log(JSON.stringify({ build: b.name, medianOverheadMs: +median(b.overheads).toFixed(2), overheads: b.overheads.map((x) => +x.toFixed(2)), medianLocalMs: +median(b.locals).toFixed(2) }))
} finally {
  await stopRunners(builds.flatMap((b) => (b.runner !== undefined ? [b.runner] : [])))
  for (const b of builds) await b.drop()
}
