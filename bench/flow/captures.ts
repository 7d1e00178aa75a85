/**
 * What reading a step's captured variables costs (src/flow/captures.ts; once per step, at its
 * first call): a function reading its factory's argument, and one reading a value of this
 * module's top level, against one `Runtime.evaluate` round trip of the same
 * in-process inspector session (the floor of any read through it), in the same run.
 *
 * `npx tsc -p tsconfig.json && node dist/bench/flow/captures.js [--reads 300]`
 */
import { Session } from "node:inspector"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { capturesOf } from "../../src/flow/captures.js"
import { median, numberArg } from "../util.js"

const reads = numberArg(process.argv.slice(2), "reads", 300)

const factor = Number(process.env.LAMINA_BENCH_FACTOR ?? 2)
const moduleLevel = (x: number) => Effect.succeed(x * factor + path.sep.length)
const factory = (min: number) => (x: number) => Effect.succeed(x >= min)

const session = new Session()
session.connect()
const evaluate = () => session.post("Runtime.evaluate", { expression: "1" }, () => undefined)

const time = (f: () => unknown): number => {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}
const samples: Record<"factory" | "module" | "evaluate", Array<number>> = { factory: [], module: [], evaluate: [] }
const made = factory(3)
for (let i = 0; i < 20; i++) {
  capturesOf(made)
  capturesOf(moduleLevel)
  evaluate()
}
for (let i = 0; i < reads; i++) {
  samples.factory.push(time(() => capturesOf(made)))
  samples.module.push(time(() => capturesOf(moduleLevel)))
  samples.evaluate.push(time(evaluate))
}
session.disconnect()
const [f, m, e] = [median(samples.factory), median(samples.module), median(samples.evaluate)]
process.stdout.write(
  `captured variables read through the inspector (${reads} reads per median, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)})\n` +
    `  factory's argument ${f.toFixed(3)} ms | module's top level ${m.toFixed(3)} ms | one Runtime.evaluate ${e.toFixed(3)} ms | ${(f / e).toFixed(1)}x / ${(m / e).toFixed(1)}x\n`
)
process.stdout.write(JSON.stringify({ factoryMs: f, moduleMs: m, evaluateMs: e, captured: Object.fromEntries(capturesOf(moduleLevel) ?? []) }) + "\n")
