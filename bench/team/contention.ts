/**
 * What 8 processes sharing this machine's cores do to each other's JavaScript, with no I/O and no
 * Lamina (`node dist/bench/team/contention.js`): the same allocation-heavy loop — short-lived
 * objects, reads scattered over a 200,000-object array, like a save's Effect and driver work —
 * run by 1, 2 and 8 processes at once, each reporting its own CPU time. CPU per loop rising with
 * 8 processes on 2 cores is what the machine takes from 8 Node writers (throughput.ts), and what
 * pgbench's backends, sharing their code and buffers, barely pay. Results: bench/team/README.md.
 *
 * @module
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { median } from "../util.js"

const LOOPS = 4_000_000

/** CPU milliseconds (user + kernel) `loop` takes; its result is kept alive so it is not optimized away. */
const cpuMsOf = (loop: () => number): number => {
  const start = process.cpuUsage()
  const result = loop()
  const used = process.cpuUsage(start)
  if (result === 42) console.error("unlikely")
  return (used.user + used.system) / 1000
}

/** A tight loop with a small footprint: the same arithmetic, nearly nothing in memory (the control). */
const small = (): number => {
  let x = 0
  for (let i = 0; i < 10 * LOOPS; i++) x = (x * 31 + i) | 0
  return x
}

/** The allocation-heavy loop. */
const work = (): number => {
  const table = Array.from({ length: 200_000 }, (_, i) => ({ i, v: [i, String(i)] }))
  let kept: Array<object> = []
  let sum = 0
  for (let i = 0; i < LOOPS; i++) {
    const o = { a: i, b: { c: [i, i + 1] }, f: () => i }
    sum += o.b.c[1]! + table[(i * 7919) % table.length]!.i
    if ((i & 255) === 0) kept.push(o)
    if (kept.length > 20_000) kept = []
  }
  return sum
}

/** CPU ms per process when `n` run the loop (`--work` or `--small`) at once. */
const together = (n: number, loop: string): Promise<ReadonlyArray<number>> =>
  Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, [fileURLToPath(import.meta.url), loop], { stdio: ["ignore", "pipe", "inherit"] })
          let out = ""
          child.stdout.on("data", (d: Buffer) => void (out += d.toString()))
          child.on("close", (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`loop process exited with ${code}`))))
        })
    )
  )

export const main = async (): Promise<void> => {
  for (const [loop, what] of [["--work", "allocation-heavy"], ["--small", "small footprint"]] as const) {
    // One process alone, three times: the baseline, in this run.
    const alone = median([...(await together(1, loop)), ...(await together(1, loop)), ...(await together(1, loop))])
    console.log(`${what}, 1 alone: CPU ${alone.toFixed(0)} ms (median of 3)`)
    for (const n of [2, 8]) {
      const ms = await together(n, loop)
      console.log(`${what}, ${n} at once: CPU per process ${median(ms).toFixed(0)} ms (${ms.map((m) => m.toFixed(0)).join(" ")}), ${(median(ms) / alone).toFixed(2)}× one alone`)
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "--work") process.stdout.write(String(cpuMsOf(work)))
  else if (process.argv[2] === "--small") process.stdout.write(String(cpuMsOf(small)))
  else await main()
}
