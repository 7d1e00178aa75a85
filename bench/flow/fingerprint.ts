/**
 * What the code fingerprint costs (see bench/flow/README.md, "Code fingerprints"):
 *
 *   1. computing it for this module's graph (it reaches Lamina's own compiled sources, ~150
 *      files, and the lockfile's package closure): cold (read + hash + lex every file), with
 *      the per-file cache warm (one stat per file), and memoized (what every later step call pays)
 *   2. per step call: the same no-op step keyed by `fingerprint: "module"` (default) against
 *      `fingerprint: "function"`, executed and as cache hits, in alternating blocks in one run
 *   3. per step definition: what reading its captured variables (src/flow/captures.ts) costs
 *      inside `step()`, for a factory-made step (two captured values) and a step with none
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/flow/fingerprint.js [--steps 300]`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { capturesOf } from "../../src/flow/captures.js"
import { codeFingerprint, computeFingerprint } from "../../src/flow/codeFingerprint.js"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { median } from "../util.js"

const args = process.argv.slice(2)
const stepsArg = args.indexOf("--steps")
const steps = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 300
const ms = (x: number): string => `${x.toFixed(3)} ms`
const here = fileURLToPath(import.meta.url)

const timed = (f: () => unknown): number => {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}

// 1. the fingerprint itself
const cold = timed(() => computeFingerprint(here))
const warm = median(Array.from({ length: 5 }, () => timed(() => computeFingerprint(here))))
codeFingerprint(here)
const memo = median(Array.from({ length: 1000 }, () => timed(() => codeFingerprint(here))))
const fp = codeFingerprint(here)

// 3. per step definition: step() as a whole, and the captures read inside it
const factory = (min: number, label: string) => (i: number) => Effect.succeed(i >= min ? label : "")
const loner = (i: number) => Effect.succeed(i)
const DEFINITIONS = 300
const defineMade = median(Array.from({ length: DEFINITIONS }, (_, k) => timed(() => step({ name: "made" }, factory(k, "x")))))
const defineLoner = median(Array.from({ length: DEFINITIONS }, () => timed(() => step({ name: "loner" }, loner))))
const readMade = median(Array.from({ length: DEFINITIONS }, (_, k) => timed(() => capturesOf(factory(k, "x")))))
const readLoner = median(Array.from({ length: DEFINITIONS }, () => timed(() => capturesOf(loner))))

// 2. per step call, module vs function fingerprint
const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-fp-"))
process.env.LAMINA_HOME ??= path.join(dir, "home")
mkdirSync(path.join(dir, "storage", ".lamina"), { recursive: true })
const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage") }) as Layer.Layer<Lamina.Lamina, unknown>)
const wide = step({ name: "fp-module" }, (i: number) => Effect.succeed(i))
const narrow = step({ name: "fp-function", fingerprint: "function" }, (i: number) => Effect.succeed(i))
const BLOCK = 10
let sink: Array<number> = []
const blockFlow = flow("fp-bench", (which: "module" | "function", from: number) =>
  Effect.forEach(
    Array.from({ length: BLOCK }, (_, k) => from + k),
    (i) =>
      Effect.suspend(() => {
        const t0 = performance.now()
        return Effect.map(which === "module" ? wide(i) : narrow(i), () => void sink.push(performance.now() - t0))
      }),
    { discard: true }
  )
)
const block = (which: "module" | "function", from: number, times: Array<number>) =>
  rt.runPromise(
    Effect.suspend(() => {
      sink = times
      return blockFlow(which, from)
    })
  )
try {
  const scratch: Array<number> = []
  // Warm-up (and the first call of the module-mode step, which computes its fingerprint).
  const firstCall: Array<number> = []
  await block("module", 1_000_000, firstCall)
  await block("function", 1_000_000, scratch)
  const exec = { module: [] as Array<number>, function: [] as Array<number> }
  const hit = { module: [] as Array<number>, function: [] as Array<number> }
  for (let from = 0; from < steps; from += BLOCK) {
    const [a, b] = (from / BLOCK) % 2 === 0 ? (["module", "function"] as const) : (["function", "module"] as const)
    await block(a, from, exec[a])
    await block(b, from, exec[b])
  }
  for (let from = 0; from < steps; from += BLOCK) {
    const [a, b] = (from / BLOCK) % 2 === 0 ? (["module", "function"] as const) : (["function", "module"] as const)
    await block(a, from, hit[a])
    await block(b, from, hit[b])
  }
  const load = os.loadavg()[0]!
  process.stdout.write(
    `code fingerprint (SQLite, ${steps} steps per median, node ${process.version}, ${os.cpus().length} CPUs, load average ${load.toFixed(1)})\n` +
      `  fingerprint of this module: ${Object.keys(fp.files).length} files, ${Object.keys(fp.packages).length} packages | cold ${ms(cold)} | warm file cache ${ms(warm)} | memoized ${ms(memo)}\n` +
      `  first call of a module-mode step (computes nothing new: memoized above) ${ms(firstCall[0]!)}\n` +
      `  executed step, median: module ${ms(median(exec.module))} | function ${ms(median(exec.function))} | ratio ${(median(exec.module) / median(exec.function)).toFixed(2)}x\n` +
      `  cache-hit step, median: module ${ms(median(hit.module))} | function ${ms(median(hit.function))} | ratio ${(median(hit.module) / median(hit.function)).toFixed(2)}x\n` +
      `  step definition, median: factory-made (2 captured values) ${ms(defineMade)}, of which reading captures ${ms(readMade)} | none captured ${ms(defineLoner)}, of which ${ms(readLoner)}\n`
  )
  process.stdout.write(
    JSON.stringify({
      files: Object.keys(fp.files).length,
      packages: Object.keys(fp.packages).length,
      coldMs: cold,
      warmMs: warm,
      memoMs: memo,
      executedModuleMs: median(exec.module),
      executedFunctionMs: median(exec.function),
      hitModuleMs: median(hit.module),
      hitFunctionMs: median(hit.function),
      defineMadeMs: defineMade,
      readCapturesMadeMs: readMade,
      defineLonerMs: defineLoner,
      readCapturesLonerMs: readLoner,
      loadAverage: load
    }) + "\n"
  )
} finally {
  await rt.dispose()
  rmSync(dir, { recursive: true, force: true })
}
