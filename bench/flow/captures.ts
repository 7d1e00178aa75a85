/**
 * What reading a step's captured variables costs (src/flow/captures.ts): a function reading its
 * factory's argument, one reading a value of this module's top level, and one reading that value
 * through a module function it calls, against one
 * `Runtime.evaluate` round trip of the same in-process inspector session (the floor of any read
 * through it), in the same run. Read once per step, at its first call — or at every call when the
 * module writes the variable between calls: then a cache hit of a step reading such a `let` is
 * timed against the same hit of a step reading a `const` (SQLite, local folder, alternating
 * blocks of 10 calls). A captured object is checked again at every call: a hit of a step reading
 * a field of a captured config object, a field the module sets, is timed in the same blocks, and
 * hits of steps reading a row of a captured 3,000-row table (a key form of ~110 KB), as it is and
 * deeply frozen (keyed once).
 *
 * `npx tsc -p tsconfig.json && node dist/bench/flow/captures.js [--reads 300]`
 */
import { mkdtempSync, rmSync } from "node:fs"
import { Session } from "node:inspector"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { capturesOf } from "../../src/flow/captures.js"
import { step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { median, numberArg } from "../util.js"
import { rotatingBlocks } from "./blocks.js"

const reads = numberArg(process.argv.slice(2), "reads", 300)

const factor = Number(process.env.LAMINA_BENCH_FACTOR ?? 2)
const moduleLevel = (x: number) => Effect.succeed(x * factor + path.sep.length)
// The same value read by a module function the step calls (followed one level).
const scaled = (x: number) => x * factor + path.sep.length
const viaHelper = (x: number) => Effect.succeed(scaled(x))
const factory = (min: number) => (x: number) => Effect.succeed(x >= min)

const session = new Session()
session.connect()
const evaluate = () => session.post("Runtime.evaluate", { expression: "1" }, () => undefined)

const time = (f: () => unknown): number => {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}
const samples: Record<"factory" | "module" | "helper" | "evaluate", Array<number>> = { factory: [], module: [], helper: [], evaluate: [] }
const made = factory(3)
for (let i = 0; i < 20; i++) {
  capturesOf(made)
  capturesOf(moduleLevel)
  capturesOf(viaHelper)
  evaluate()
}
for (let i = 0; i < reads; i++) {
  samples.factory.push(time(() => capturesOf(made)))
  samples.module.push(time(() => capturesOf(moduleLevel)))
  samples.helper.push(time(() => capturesOf(viaHelper)))
  samples.evaluate.push(time(evaluate))
}
session.disconnect()
const [f, m, h, e] = [median(samples.factory), median(samples.module), median(samples.helper), median(samples.evaluate)]
process.stdout.write(
  `captured variables read through the inspector (${reads} reads per median, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)})\n` +
    `  factory's argument ${f.toFixed(3)} ms | module's top level ${m.toFixed(3)} ms | the same through a module function ${h.toFixed(3)} ms | one Runtime.evaluate ${e.toFixed(3)} ms | ${(f / e).toFixed(1)}x / ${(m / e).toFixed(1)}x / ${(h / e).toFixed(1)}x\n`
)

// Hits of a step reading a `let` this module writes (read at every call) and of one reading a `const`.
let offset = 1
const fixedOffset = 1
const settings = { shift: 0, label: "run", retries: 3 }
const readsLet = step({ name: "reads-let" }, (i: number) => Effect.succeed(i + offset))
const readsConst = step({ name: "reads-const" }, (i: number) => Effect.succeed(i + fixedOffset))
const readsObject = step({ name: "reads-object" }, (i: number) => Effect.succeed(i + settings.shift))
const rows = () => ({ rows: Array.from({ length: 3000 }, (_, n) => ({ n, name: `gene${n}`, weight: n / 2 })) })
const table = rows()
const deepFreeze = <A>(v: A): A => {
  if (typeof v === "object" && v !== null) for (const x of Object.values(v)) deepFreeze(x)
  return Object.freeze(v)
}
const frozenTable = deepFreeze(rows())
const readsTable = step({ name: "reads-table" }, (i: number) => Effect.succeed(i + table.rows[i % 3000]!.weight))
const readsFrozen = step({ name: "reads-frozen" }, (i: number) => Effect.succeed(i + frozenTable.rows[i % 3000]!.weight))
const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-captures-"))
process.env.LAMINA_HOME ??= path.join(dir, "home")
const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage") }) as Layer.Layer<Lamina.Lamina, unknown>)
type Kind = "let" | "const" | "object" | "table" | "frozen"
const bodies = { let: readsLet, const: readsConst, object: readsObject, table: readsTable, frozen: readsFrozen }
const timer = rotatingBlocks(rt, "captures-bench", Object.keys(bodies) as ReadonlyArray<Kind>, reads, (kind: Kind, i: number) => bodies[kind](i))
try {
  offset = 1
  // A field the module sets (a sweep over settings): before stop 36 this sent the step to the inspector at every call.
  settings.shift = 1
  await timer.pass(timer.times())
  const hits = timer.times()
  await timer.pass(hits)
  const [l, c, o, t, z] = [median(hits.let), median(hits.const), median(hits.object), median(hits.table), median(hits.frozen)]
  process.stdout.write(`  cache hit reading a let the module writes ${l.toFixed(3)} ms | reading a const ${c.toFixed(3)} ms | +${(l - c).toFixed(3)} ms a call\n`)
  process.stdout.write(`  cache hit reading a field of a captured object (hashed at every call) ${o.toFixed(3)} ms | +${(o - c).toFixed(3)} ms a call over the const\n`)
  process.stdout.write(`  cache hit reading a row of a captured 3,000-row table ${t.toFixed(3)} ms (+${(t - c).toFixed(3)}) | the same table deeply frozen ${z.toFixed(3)} ms (+${(z - c).toFixed(3)})\n`)
  process.stdout.write(JSON.stringify({ factoryMs: f, moduleMs: m, evaluateMs: e, hitLetMs: l, hitConstMs: c, hitObjectMs: o, hitTableMs: t, hitFrozenMs: z, captured: Object.fromEntries(capturesOf(moduleLevel) ?? []) }) + "\n")
} finally {
  await rt.dispose()
  rmSync(dir, { recursive: true, force: true })
}
