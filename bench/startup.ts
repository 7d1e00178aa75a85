/**
 * Start-up: what a user waits for before any work begins. Every line is a fresh process, timed
 * wall to wall, in interleaved rounds (medians); the baselines, measured in the same rounds, are
 * bare Node and Node importing `effect` — the floor of any Effect program, Lamina's or not.
 *  - importing the package (`dist/src/index.js`)
 *  - `lamina --help` and `lamina ls artifact` on an instance
 *  - the second `npm run demo` (a fully cached run, the build up to date)   target < 3 s wall
 * Run: npm run bench -- startup   (--rounds N, default 7)
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { median, numberArg, report, shell, type Result } from "./util.js"

const rounds = numberArg(process.argv, "rounds", 7)
const repo = path.resolve(".")
const cli = path.join(repo, "dist/lamina.mjs")
const importOf = (specifier: string) => `node --input-type=module -e "await import('${specifier}')"`

const main = () => {
  const home = mkdtempSync(path.join(process.env.LAMINA_BENCH_DIR ?? os.tmpdir(), "lamina-bench-startup-"))
  const env = { ...process.env, LAMINA_HOME: home }
  try {
    shell("npm run demo --silent", env) // the first run executes the pipeline; every timed one is cached
    const lines = {
      node: "node -e 0",
      effect: importOf("effect"),
      package: importOf(path.join(repo, "dist/src/index.js")),
      help: `node ${cli} --help`,
      ls: `node ${cli} ls artifact`,
      demo: "npm run demo --silent"
    }
    type Line = keyof typeof lines
    const names: ReadonlyArray<Line> = ["node", "effect", "package", "help", "ls", "demo"]
    const times = new Map<Line, Array<number>>(names.map((n) => [n, []]))
    for (let r = 0; r < rounds; r++) for (const n of names) times.get(n)!.push(shell(lines[n], env))
    const medianOf = (n: Line): number => median(times.get(n)!)
    const m = { node: medianOf("node"), effect: medianOf("effect"), package: medianOf("package"), help: medianOf("help"), ls: medianOf("ls"), demo: medianOf("demo") }
    const base = `node ${m.node.toFixed(0)} ms, import effect ${m.effect.toFixed(0)} ms`
    const over = (x: number) => `${(x / m.effect).toFixed(2)}× import effect`
    const results: Array<Result> = [
      { name: "import the package (dist/src/index.js)", value: `${m.package.toFixed(0)} ms`, baseline: base, ratio: over(m.package), target: "—", ok: true },
      { name: "`lamina --help`", value: `${m.help.toFixed(0)} ms`, baseline: base, ratio: over(m.help), target: "—", ok: true },
      { name: "`lamina ls artifact` (the demo's instance)", value: `${m.ls.toFixed(0)} ms`, baseline: base, ratio: over(m.ls), target: "—", ok: true },
      { name: "second `npm run demo` (cached, built)", value: `${m.demo.toFixed(0)} ms`, baseline: base, ratio: over(m.demo), target: "< 3 s", ok: m.demo < 3000 }
    ]
    report(`Start-up (${rounds} interleaved rounds, medians, load ${os.loadavg()[0]!.toFixed(1)})`, results)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

main()
