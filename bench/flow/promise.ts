/**
 * The Promise API's cost per step call (see bench/flow/README.md, "Promise steps"): the same
 * no-op step body as an Effect step called from an Effect flow and as a `lamina/promise` step
 * (async body) called from a Promise flow, on one connection, executed and as cache hits, in
 * alternating blocks in one run. Target: a Promise step within 0.1 ms of the Effect step.
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/flow/promise.js [--steps 300]`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Runtime } from "effect"
import { flow, step } from "../../src/flow/index.js"
import { connect } from "../../src/promise/index.js"
import { median } from "../util.js"

const args = process.argv.slice(2)
const stepsArg = args.indexOf("--steps")
const steps = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 300
const ms = (x: number): string => `${x.toFixed(3)} ms`
const BLOCK = 10

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-promise-"))
process.env.LAMINA_HOME ??= path.join(dir, "home")
mkdirSync(path.join(dir, "storage", ".lamina"), { recursive: true })
const lm = await connect({ storage: path.join(dir, "storage") })
try {
  // The timing sink is a closure, not a param: params are recorded (and hashed) per call.
  let sink: Array<number> = []
  const effectStep = step("effect-noop", (i: number) => Effect.succeed(i))
  const effectBlock = flow("effect-block", (from: number) =>
    Effect.forEach(
      Array.from({ length: BLOCK }, (_, k) => from + k),
      (i) =>
        Effect.suspend(() => {
          const t0 = performance.now()
          return Effect.map(effectStep(i), () => void sink.push(performance.now() - t0))
        }),
      { discard: true }
    )
  )
  const promiseStep = lm.step("promise-noop", async (i: number) => i)
  const promiseBlock = lm.flow("promise-block", async (from: number) => {
    for (let i = from; i < from + BLOCK; i++) {
      const t0 = performance.now()
      await promiseStep(i)
      sink.push(performance.now() - t0)
    }
  })
  const runEffect = (from: number, times: Array<number>) => {
    sink = times
    return Runtime.runPromise(lm.runtime)(effectBlock(from))
  }
  const runPromise = (from: number, times: Array<number>) => {
    sink = times
    return promiseBlock(from)
  }
  // Warm-up (JIT, the first call's fingerprint), then alternating blocks.
  const scratch: Array<number> = []
  for (let w = 0; w < 3; w++) {
    await runEffect(1_000_000 + w * BLOCK, scratch)
    await runPromise(1_000_000 + w * BLOCK, scratch)
  }
  const exec = { effect: [] as Array<number>, promise: [] as Array<number> }
  const hit = { effect: [] as Array<number>, promise: [] as Array<number> }
  for (const times of [exec, hit])
    for (let from = 0; from < steps; from += BLOCK) {
      if ((from / BLOCK) % 2 === 0) {
        await runEffect(from, times.effect)
        await runPromise(from, times.promise)
      } else {
        await runPromise(from, times.promise)
        await runEffect(from, times.effect)
      }
    }
  const load = os.loadavg()[0]!
  const row = (label: string, t: { effect: Array<number>; promise: Array<number> }) => {
    const e = median(t.effect)
    const p = median(t.promise)
    return `  ${label}, median: Effect step ${ms(e)} | Promise step ${ms(p)} | difference ${ms(p - e)} (target ≤ 0.1 ms) | ratio ${(p / e).toFixed(2)}x`
  }
  process.stdout.write(
    `Promise steps vs Effect steps (SQLite, ${steps} calls per median, node ${process.version}, ${os.cpus().length} CPUs, load average ${load.toFixed(1)})\n` +
      `${row("executed step", exec)}\n${row("cache-hit step", hit)}\n`
  )
  process.stdout.write(
    JSON.stringify({
      executedEffectMs: median(exec.effect),
      executedPromiseMs: median(exec.promise),
      hitEffectMs: median(hit.effect),
      hitPromiseMs: median(hit.promise),
      loadAverage: load
    }) + "\n"
  )
} finally {
  await lm.close()
  rmSync(dir, { recursive: true, force: true })
}
