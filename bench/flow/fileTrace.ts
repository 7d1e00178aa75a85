/**
 * What seeing a step body's file reads costs (src/flow/fileTrace.ts; bench/flow/README.md, "Files
 * a body reads, seen as it runs"). One SQLite registry and a local folder; three steps called
 * with their own argument each time, in rotating blocks of 10 (bench/flow/blocks.ts):
 *
 *   - `none`: a body that calls the same helper to read no file, the baseline
 *   - `one`: a body that reads one 1 KB file by a name it builds
 *   - `hundred`: a body that reads 100 such files
 *   - `env`: a body that reads one environment variable by a name it builds (kept by its value's hash)
 *   - `recent`: a body that reads one 1 KB file modified "now" (its time set ahead): kept with its
 *     content's hash, which a hit reads and hashes again (tracker/fileParams.ts, `RECENT_MS`)
 *
 * The data files are aged an hour first, so only `recent`'s is kept with its content. The first
 * pass executes every call (the run ends by signing what the body read: one `stat` per
 * file), the second hits (the hit checks each file again: one `stat` per file). Each difference
 * against `none` is set against the plain `readFileSync` and `statSync` of those files, timed
 * in the same process, and so is a `process.env` read outside any run (through Lamina's proxy)
 * against one of the object behind it. Run: `npx tsc -p tsconfig.json && node dist/bench/flow/fileTrace.js [--steps 300]`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { envUntraced } from "../../src/storage/ownWork.js"
import { median, numberArg } from "../util.js"
import { rotatingBlocks } from "./blocks.js"

const args = process.argv.slice(2)
const steps = numberArg(args, "steps", 300)
const ms = (x: number): string => `${x.toFixed(3)} ms`

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-filetrace-"))
process.env.LAMINA_HOME ??= path.join(dir, "home")
const data = path.join(dir, "data")
mkdirSync(data)
const hourAgo = new Date(Date.now() - 3_600_000)
for (let k = 0; k < 100; k++) {
  writeFileSync(path.join(data, `s${k}.csv`), String(k).padStart(1024, "0"))
  utimesSync(path.join(data, `s${k}.csv`), hourAgo, hourAgo)
}
// Modified "now" for as long as the bench runs: a time ahead of the clock counts as recent too.
const recentFile = path.join(dir, "recent.csv")
writeFileSync(recentFile, "r".padStart(1024, "0"))
utimesSync(recentFile, new Date(Date.now() + 3_600_000), new Date(Date.now() + 3_600_000))

/** The body's work: read `n` files by the names it builds. */
const readSamples = (n: number): number => {
  let bytes = 0
  for (let k = 0; k < n; k++) bytes += readFileSync(path.join(data, `s${k}.csv`)).length
  return bytes
}

const VARIABLE = "BENCH_FILE_TRACE_SCALE"
process.env[VARIABLE] = "2"

/** A config helper: the variable's name is computed. */
const setting = (name: string): number => Number(process.env[name] ?? "1")

/** Median ms of `f` over `times` calls. */
const timed = (times: number, f: () => unknown): number => {
  const t: Array<number> = []
  for (let k = 0; k < times; k++) {
    const t0 = performance.now()
    f()
    t.push(performance.now() - t0)
  }
  return median(t)
}

type Kind = "none" | "one" | "hundred" | "env" | "recent"
const KINDS: ReadonlyArray<Kind> = ["none", "one", "hundred", "env", "recent"]

// The same helper for all three (the same captures to key), reading 0, 1 or 100 files.
const none = step({ name: "none" }, (i: number) => Effect.sync(() => i + readSamples(0)))
const one = step({ name: "one" }, (i: number) => Effect.sync(() => i + readSamples(1)))
const hundred = step({ name: "hundred" }, (i: number) => Effect.sync(() => i + readSamples(100)))
const env = step({ name: "env" }, (i: number) => Effect.sync(() => i + readSamples(0) * setting(`BENCH_FILE_TRACE_${"SCALE"}`)))
// A name built in the body, as `one`'s: captured, `recentFile` would be signed as a captured string, not traced.
const recent = step({ name: "recent" }, (i: number) => Effect.sync(() => i + readSamples(0) + readFileSync(path.join(dir, `recent${".csv"}`)).length))
const stepOf = { none, one, hundred, env, recent }

const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage"), db: path.join(dir, "registry.db") }) as Layer.Layer<Lamina.Lamina, unknown>)
try {
  const { times, pass } = rotatingBlocks(rt, "file-trace-bench", KINDS, steps, (kind, i) => stepOf[kind](i))
  const executed = times()
  await pass(executed)
  const hit = times()
  await pass(hit)
  const m = (t: Record<Kind, Array<number>>) => ({ none: median(t.none), one: median(t.one), hundred: median(t.hundred), env: median(t.env), recent: median(t.recent) })
  const [ran, hits] = [m(executed), m(hit)]
  // Outside any run: what the body's reads and the checks' stats cost by themselves.
  const read1 = timed(steps, () => readSamples(1))
  const read100 = timed(steps, () => readSamples(100))
  const stat100 = timed(steps, () => {
    for (let k = 0; k < 100; k++) statSync(path.join(data, `s${k}.csv`), { bigint: true })
  })
  // A million reads each, in ns per read.
  const perRead = (source: NodeJS.ProcessEnv) => (timed(5, () => {
    for (let k = 0; k < 1_000_000; k++) if (source[VARIABLE] === undefined) throw new Error("unset")
  }) * 1e6) / 1_000_000
  const envRead = { proxied: perRead(process.env), plain: perRead(envUntraced) }
  const load = os.loadavg()[0]!
  const perFile = (t: { none: number; hundred: number }, plain: number) => (t.hundred - t.none - plain) / 100
  process.stdout.write(
    `files a body reads, seen as it runs (SQLite, local folder, ${steps} calls per median, node ${process.version}, load average ${load.toFixed(1)})\n` +
      `  executed: no file ${ms(ran.none)} | one file ${ms(ran.one)} (+${ms(ran.one - ran.none)}; the read alone ${ms(read1)}) | 100 files ${ms(ran.hundred)} (+${ms(ran.hundred - ran.none)}; the reads alone ${ms(read100)}; beyond them ${ms(perFile(ran, read100))} per file)\n` +
      `  hit: no file ${ms(hits.none)} | one file ${ms(hits.one)} (+${ms(hits.one - hits.none)}) | 100 files ${ms(hits.hundred)} (+${ms(hits.hundred - hits.none)}; 100 stats alone ${ms(stat100)})\n` +
      `  one recently modified file (kept with its content's hash): executed ${ms(ran.recent)} (+${ms(ran.recent - ran.one)} against one aged file) | hit ${ms(hits.recent)} (+${ms(hits.recent - hits.one)})\n` +
      `  one environment variable: executed ${ms(ran.env)} (+${ms(ran.env - ran.none)}) | hit ${ms(hits.env)} (+${ms(hits.env - hits.none)}) | a process.env read outside a run ${envRead.proxied.toFixed(0)} ns (the object behind it: ${envRead.plain.toFixed(0)} ns)\n`
  )
  process.stdout.write(JSON.stringify({ executed: ran, hit: hits, read1, read100, stat100, envRead, loadAverage: load }) + "\n")
} finally {
  await rt.dispose()
  rmSync(dir, { recursive: true, force: true })
}
