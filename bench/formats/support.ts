/**
 * Helpers for the format benchmarks: running the Python baseline, timing, reporting.
 */
import { spawn, spawnSync } from "node:child_process"
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

/**
 * A long-lived Python process timing operations on request, so that Python and Lamina runs can
 * be interleaved (the machine's load then affects both alike). `handlers` is Python source
 * defining functions; `call(name, args)` runs `name(**args)` and returns its time in ms.
 */
export class PythonTimer {
  private readonly child: import("node:child_process").ChildProcessWithoutNullStreams
  private buffer = ""
  private waiting: Array<(line: string) => void> = []

  constructor(handlers: string) {
    const source = `${handlers}
import sys, json, time
for line in sys.stdin:
    req = json.loads(line)
    t = time.perf_counter()
    globals()[req["op"]](**req["args"])
    print(json.dumps({"ms": (time.perf_counter() - t) * 1000}), flush=True)
`
    this.child = spawn(PYTHON, ["-u", "-c", source], { env: { ...process.env, PYTHONWARNINGS: "ignore" } })
    this.child.stdout.setEncoding("utf8")
    this.child.stdout.on("data", (chunk: string) => {
      this.buffer += chunk
      let nl: number
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl)
        this.buffer = this.buffer.slice(nl + 1)
        this.waiting.shift()?.(line)
      }
    })
    this.child.stderr.on("data", (d: Buffer) => process.stderr.write(d))
  }

  /** Runs `op(**args)` in Python; resolves with its duration in ms. */
  call(op: string, args: Record<string, unknown> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push((line) => {
        try {
          resolve((JSON.parse(line) as { ms: number }).ms)
        } catch (e) {
          reject(e)
        }
      })
      this.child.stdin.write(`${JSON.stringify({ op, args })}\n`)
    })
  }

  /** Stops the process. */
  close(): void {
    this.child.stdin.end()
  }
}

/**
 * Interleaves `runs` Python and Lamina timings (after one warm-up of each) and returns both.
 */
export const compare = async (
  runs: number,
  py: () => Promise<number>,
  lamina: () => Promise<unknown>
): Promise<{ lamina: Timing; baseline: Timing }> => {
  await py()
  await lamina()
  const a: number[] = [], b: number[] = []
  for (let i = 0; i < runs; i++) {
    b.push(await py())
    const t = performance.now()
    await lamina()
    a.push(performance.now() - t)
  }
  return { lamina: stats(a), baseline: stats(b) }
}
