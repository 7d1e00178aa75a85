/**
 * Benchmark helpers: wall-clock timing, medians, child-process timing, and a results table.
 */
import { spawnSync } from "node:child_process"
import { closeSync, openSync, writeSync } from "node:fs"

/** Milliseconds taken by `f`. */
export const time = async (f: () => unknown): Promise<number> => {
  const t0 = performance.now()
  await f()
  return performance.now() - t0
}

/** The number after `--name` in `args`, else `fallback`; throws on a value that is not a number. */
export const numberArg = (args: ReadonlyArray<string>, name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  if (i < 0) return fallback
  const value = Number(args[i + 1])
  if (!Number.isFinite(value)) throw new Error(`--${name} takes a number, got '${args[i + 1] ?? ""}'`)
  return value
}

/** Median of numbers. */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Best of `n` runs of `f` (ms): the least-disturbed measurement on a noisy machine. */
export const best = async (n: number, f: () => unknown): Promise<number> => {
  const xs: Array<number> = []
  for (let i = 0; i < n; i++) xs.push(await time(f))
  return Math.min(...xs)
}

/** Wall time (ms) of a shell command; throws if it fails. */
export const shell = (cmd: string, env: NodeJS.ProcessEnv = process.env): number => {
  const t0 = performance.now()
  const r = spawnSync("bash", ["-c", cmd], { stdio: ["ignore", "ignore", "pipe"], env })
  if (r.status !== 0) throw new Error(`'${cmd}' failed: ${r.stderr}`)
  return performance.now() - t0
}

/** Write a file of `bytes` pseudo-random content (incompressible, deterministic). */
export const writeRandomFile = (file: string, bytes: number): void => {
  const fd = openSync(file, "w")
  const chunk = Buffer.alloc(8 * 1024 * 1024)
  let x = 0x9e3779b9
  for (let i = 0; i < chunk.length; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    chunk.writeUInt32LE(x >>> 0, i)
  }
  for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written))
  closeSync(fd)
}

/** One result row. */
export interface Result {
  readonly name: string
  readonly value: string
  readonly baseline: string
  readonly ratio: string
  readonly target: string
  readonly ok: boolean
}

/** Print results as a Markdown table (pasteable into bench/README.md). */
export const report = (title: string, results: ReadonlyArray<Result>): void => {
  console.log(`\n### ${title}\n`)
  console.log("| measurement | Lamina | baseline | ratio | target | ok |")
  console.log("|---|---|---|---|---|---|")
  for (const r of results) console.log(`| ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.ok ? "yes" : "NO"} |`)
}
