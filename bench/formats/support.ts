/**
 * Helpers for the format benchmarks: running the Python baseline, timing, reporting.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** The interpreter with Debian's h5py/zarr/anndata. */
export const PYTHON = "/usr/bin/python3"

/** Runs a Python script and returns the JSON it prints last. */
export const python = <A>(source: string, args: ReadonlyArray<string> = []): A => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lamina-bench-py-"))
  try {
    const file = path.join(dir, "bench.py")
    fs.writeFileSync(file, source)
    const res = spawnSync(PYTHON, [file, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: "ignore" } })
    if (res.status !== 0) throw new Error(`python failed (${res.status}): ${res.stderr}`)
    const lines = res.stdout.trim().split("\n")
    return JSON.parse(lines[lines.length - 1]) as A
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Timing statistics in milliseconds. */
export interface Timing {
  readonly min: number
  readonly median: number
  readonly runs: number
}

/** Summarizes run times (ms). */
export const stats = (times: ReadonlyArray<number>): Timing => {
  const sorted = [...times].sort((a, b) => a - b)
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], runs: sorted.length }
}

/** Times `f` `runs` times (after one warm-up run). */
export const time = async (runs: number, f: () => Promise<unknown>): Promise<Timing> => {
  await f()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await f()
    times.push(performance.now() - t)
  }
  return stats(times)
}

/** One reported measurement. */
export interface Row {
  readonly name: string
  readonly lamina: Timing
  readonly baseline?: Timing
  readonly baselineName?: string
  /** `ratio ≤ target` when a baseline is given, else `lamina.min ≤ target` ms. */
  readonly target: number
  readonly note?: string
}

const ms = (t: Timing) => `${t.min.toFixed(1)} ms (median ${t.median.toFixed(1)})`

/** Prints a row and returns whether it meets its target. */
export const report = (row: Row): boolean => {
  if (row.baseline !== undefined) {
    const ratio = row.lamina.min / row.baseline.min
    const ok = ratio <= row.target
    console.log(
      `${ok ? "PASS" : "MISS"}  ${row.name}: lamina ${ms(row.lamina)}, ${row.baselineName ?? "baseline"} ${ms(row.baseline)}, ` +
        `ratio ${ratio.toFixed(2)} (target ≤ ${row.target})${row.note ? ` — ${row.note}` : ""}`
    )
    return ok
  }
  const ok = row.lamina.min <= row.target
  console.log(`${ok ? "PASS" : "MISS"}  ${row.name}: lamina ${ms(row.lamina)} (target ≤ ${row.target} ms)${row.note ? ` — ${row.note}` : ""}`)
  return ok
}

/** A scratch directory removed by the returned function. */
export const scratch = (prefix: string): { dir: string; remove: () => void } => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}
