/**
 * A step's captured variables (src/flow/captures.ts): what V8 reports, the cache keeping apart
 * steps a factory made from the same source with different values, and a module's top-level
 * values (a command-line argument, a config file read at load) keyed across processes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { tableFromArrays } from "apache-arrow"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { runNode } from "../support/cli.js"
import { bundleScript } from "../support/workers.js"
import { makeProject, requireBuild, runMainOf } from "../support/consumer.js"
import { capturesOf, writesOf } from "../../src/flow/captures.js"
import { flow, step } from "../../src/flow/index.js"
import { Run } from "../../src/index.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { runsNamed } from "./support.js"

declare global {
  // A setting a program keeps on the global object, read by a step (the globals test below).
  // eslint-disable-next-line no-var
  var LAMINA_CAPTURES_SETTINGS: { scale: number } | undefined
  // eslint-disable-next-line no-var
  var LAMINA_CAPTURES_LATE: { scale: number } | undefined
}

const moduleLevel = 7

describe("capturesOf", () => {
  it("reads a factory's arguments and locals and the module's variables, the real values", () => {
    const config = { min: 2 }
    const make = (min: number, shared: object) => {
      const label = `>= ${min}`
      return (x: number) => [x >= min, label, shared, moduleLevel]
    }
    const captured = capturesOf(make(3, config))!
    expect(Object.fromEntries(captured)).toEqual({ min: 3, label: ">= 3", shared: config, moduleLevel: 7 })
    expect(captured.get("shared")).toBe(config)
    expect(capturesOf((x: number) => x + moduleLevel)).toEqual(new Map([["moduleLevel", 7]]))
    // A bound function shows no scopes of its own.
    expect(capturesOf(make(3, config).bind(null))).toEqual(new Map())
  })

  it("keeps the variables the function names, and those of the helpers it names, not its siblings'", () => {
    const make = (min: number, max: number, unrelated: string) => {
      const keep = (v: number) => v >= min
      const sibling = () => unrelated
      return [(xs: ReadonlyArray<number>) => xs.filter(keep), sibling, max] as const
    }
    const [fn] = make(3, 9, "other")
    expect(Object.fromEntries(capturesOf(fn)!)).toEqual({ keep: expect.any(Function), min: 3 })
  })

  it("leaves out what the function writes: a counter, an accumulator, a field of a record (state it keeps, not what it was made with)", () => {
    const make = (min: number) => {
      let calls = 0
      const seen: Array<number> = []
      const total = { n: 0 }
      return (x: number) => {
        calls++
        seen.push(x)
        total.n += x
        return x >= min && calls > 0 && seen.length > 0 && min >= 0 && min <= 9 && min !== 4
      }
    }
    // `total.n += …` writes a field of it: state it keeps too (read at every call it would change the key each time).
    expect(Object.fromEntries(capturesOf(make(3))!)).toEqual({ min: 3 })
    // A helper's record of calls (`counts[name] = …`) is left out with it.
    const counted = (() => {
      const counts: Record<string, number> = {}
      const note = (name: string) => void (counts[name] = (counts[name] ?? 0) + 1)
      return (x: number) => (note("x"), x >= 1)
    })()
    expect(Object.fromEntries(capturesOf(counted)!)).toEqual({ note: expect.any(Function) })
    // A record it sets one field of and reads another: keyed by the field it only reads.
    const tally = (min: number) => {
      const stats = { floor: min, seen: 0 }
      return (x: number) => (stats.seen++, x > stats.floor)
    }
    expect(Object.fromEntries(capturesOf(tally(3))!)).toEqual({ stats: { floor: 3 } })
  })

  it("reads a module's top level, not its imports or functions, in native ESM (with and without top-level await) and CommonJS", async () => {
    // Each module system shows its top level differently (a Module scope, none, an anonymous wrapper function).
    const dir = mkdtempSync(path.join(tmpdir(), "lamina-captures-"))
    try {
      const captures = pathToFileURL(path.resolve("dist/src/flow/captures.js")).href
      // An import namespace, a function and a class the functions use: code, not keyed; module functions are followed,
      // transitively, for the plain data they read (\`scale\` through \`helper\`, \`limit\` through \`deeper\`), not for
      // their state (\`seen\`, a Map the helper fills).
      const body = `const top = 5
const scale = 2
const seen = new Map()
const limit = 7
const deeper = (x) => x + limit
const helper = (x) => (seen.has(x) ? 0 : (seen.set(x, 1), deeper(x) * scale))
class Model { fit() { return 1 } }
const make = (a) => (x) => x + a + top + path.sep.length + new Model().fit()
const anonymous = (() => { const b = 2; return () => b + top })()
const out = { made: Object.fromEntries(capturesOf(make(1))), plain: Object.fromEntries(capturesOf((x) => helper(x) + top)), anonymous: Object.fromEntries(capturesOf(anonymous)) }
console.log(JSON.stringify(out))`
      writeFileSync(path.join(dir, "esm.mjs"), `import * as path from "node:path"\nimport { capturesOf } from ${JSON.stringify(captures)}\n${body}`)
      writeFileSync(path.join(dir, "tla.mjs"), `const path = await import("node:path")\nconst { capturesOf } = await import(${JSON.stringify(captures)})\n${body}`)
      // A module with top-level await whose top-level variables no function uses shows no scope of its own.
      writeFileSync(
        path.join(dir, "tla-alone.mjs"),
        `const { capturesOf } = await import(${JSON.stringify(captures)})\nconst scale = (c) => (x) => x * c\nconsole.log(JSON.stringify({ made: Object.fromEntries(capturesOf(scale(3))) }))`
      )
      writeFileSync(path.join(dir, "cjs.cjs"), `const path = require("node:path")\nconst capturesOf = globalThis.capturesOf\n${body}`)
      writeFileSync(path.join(dir, "cjs-main.mjs"), `import { createRequire } from "node:module"\nimport { capturesOf } from ${JSON.stringify(captures)}\nglobalThis.capturesOf = capturesOf\ncreateRequire(import.meta.url)("./cjs.cjs")`)
      const outputs = await Promise.all(["esm.mjs", "tla.mjs", "cjs-main.mjs", "tla-alone.mjs"].map((f) => runNode([path.join(dir, f)])))
      for (const o of outputs) expect(o.stderr).toBe("")
      const [esm, tla, cjs, alone] = outputs.map((o) => JSON.parse(o.stdout))
      const expected = { made: { a: 1, top: 5 }, plain: { top: 5, scale: 2, limit: 7 }, anonymous: { b: 2, top: 5 } }
      expect(esm).toEqual(expected)
      expect(tla).toEqual(expected)
      // CommonJS' require() hands back a plain object, keyed like data by the fields read (a function by its source).
      expect(cjs).toEqual({ ...expected, made: { ...expected.made, path: { sep: path.sep } } })
      expect(alone).toEqual({ made: { c: 3 } })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("follows a function imported from a project module into that module (named, through re-exports, or off a namespace), not a package's", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lamina-captures-"))
    try {
      const captures = pathToFileURL(path.resolve("dist/src/flow/captures.js")).href
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
      writeFileSync(path.join(dir, "util.mjs"), "let scale = 3\nconst cache = new Map()\nexport const apply = (x) => (cache.set(x, 1), x * scale)\n")
      writeFileSync(path.join(dir, "lib.mjs"), 'export * from "./util.mjs"\n')
      writeFileSync(
        path.join(dir, "main.mjs"),
        `import { join } from "node:path"
import { capturesOf } from ${JSON.stringify(captures)}
import { apply } from "./lib.mjs"
import * as util from "./util.mjs"
const file = new URL(import.meta.url).pathname
const of = (fn) => Object.fromEntries(capturesOf(fn, file))
console.log(JSON.stringify({ named: of((x) => apply(x)), namespace: of((x) => util.apply(x)), builtin: of((x) => join(x)), unknown: Object.fromEntries(capturesOf((x) => apply(x))) }))`
      )
      const out = await runNode([path.join(dir, "main.mjs")])
      expect(out.stderr).toBe("")
      // Without the defining module's file its imports cannot be told apart from its own functions.
      expect(JSON.parse(out.stdout)).toEqual({ named: { "scale (util.mjs)": 3 }, namespace: { "scale (util.mjs)": 3 }, builtin: {}, unknown: {} })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("keys what a module function reads of a project's class or a Set it never writes; not a bundled package's class or a Map the module fills", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lamina-captures-"))
    try {
      const captures = pathToFileURL(path.resolve("dist/src/flow/captures.js")).href
      // Shaped like an esbuild bundle: each file's code under a heading naming it.
      writeFileSync(
        path.join(dir, "bundle.mjs"),
        `import { capturesOf } from ${JSON.stringify(captures)}

// node_modules/pool/index.js
class Pool {
  constructor() { this.id = Math.random() }
}

// src/main.ts
class Model {
  constructor(w) { this.w = w }
}
const pool = new Pool()
const model = new Model(2)
const inFlight = new Map()
const track = (k) => inFlight.set(k, 1)
const genes = new Set(["a"])
const helper = (x) => pool.id + model.w + inFlight.size + (genes.has(x) ? 1 : 0)
track(1)
const file = new URL(import.meta.url).pathname
console.log(JSON.stringify(Object.keys(Object.fromEntries(capturesOf((x) => helper(x), file))).sort()))
`
      )
      const out = await runNode([path.join(dir, "bundle.mjs")])
      expect(out.stderr).toBe("")
      expect(JSON.parse(out.stdout)).toEqual(["genes", "model"])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("in a bundle holding Lamina (no stack frame names the step's module), follows the project's code only: not Lamina's, which reads the command line", async () => {
    const entry = path.join("dist", ".test-workers", `bundled-step-${process.pid}.ts`)
    mkdirSync(path.dirname(entry), { recursive: true })
    writeFileSync(
      entry,
      `import { surroundingsOf } from "../../src/flow/captures.js"
import { cliArgs } from "../../src/flow/track.js"
const W = Number(process.argv[2])
const ops = { scale: (x: number) => x * W }
const s = surroundingsOf((x: number) => \`\${ops.scale(x)} \${cliArgs()}\`)!
console.log(JSON.stringify({ variables: [...s.variables.keys()].sort(), argv: s.argv }))
`
    )
    const bundle = await bundleScript(entry)
    try {
      const out = await runNode([bundle, "3"])
      expect(out.stderr).toBe("")
      expect(JSON.parse(out.stdout)).toEqual({ variables: ["W", "ops"], argv: false })
    } finally {
      rmSync(entry, { force: true })
      rmSync(bundle, { force: true })
    }
  })

  it("keys a plain object read only through fields by those fields; used whole, whole", () => {
    const make = (config: { readonly min: number; readonly id: string; readonly max?: number }) => (x: number) => x >= config.min && x <= (config?.max ?? 9)
    expect(Object.fromEntries(capturesOf(make({ min: 3, id: "racer-1" }))!)).toEqual({ config: { max: undefined, min: 3 } })
    const whole = (config: { readonly min: number }) => (x: number) => [x >= config.min, config]
    const settings = { min: 3, id: "racer-1" }
    expect(capturesOf(whole(settings))!.get("config")).toBe(settings)
    // Spread is a use of the whole object (it was read as no field at all: two configs, one key).
    const spread = (options: { readonly lr: number; readonly depth: number }) => (x: number) => ({ ...options, x })
    expect(capturesOf(spread({ lr: 0.1, depth: 3 }))!.get("options")).toEqual({ lr: 0.1, depth: 3 })
    const mixed = (options: { readonly n: number; readonly m: number }) => (x: number) => ({ ...options, n: options.n + x })
    expect(capturesOf(mixed({ n: 1, m: 2 }))!.get("options")).toEqual({ n: 1, m: 2 })
    // A property named like a variable of the module (its \`let threshold\`) is not that variable.
    const byProperty = (cfg: { readonly threshold: number }) => (x: number) => x > cfg.threshold
    expect(Object.fromEntries(capturesOf(byProperty({ threshold: 2 }))!)).toEqual({ cfg: { threshold: 2 } })
  })

  it("reads names written in any script, as JavaScript does (λ, größe, a field σ)", () => {
    // They read as no name at all before: `decay(0.5)` and `decay(2)` shared one key.
    const decay = (λ: number) => (x: number) => x * λ
    expect(Object.fromEntries(capturesOf(decay(0.5))!)).toEqual({ λ: 0.5 })
    const sized = (größe: number) => (x: number) => x * größe
    expect(Object.fromEntries(capturesOf(sized(3))!)).toEqual({ größe: 3 })
    const spread = (cfg: { readonly σ: number; readonly τ: number }) => (x: number) => x * cfg.σ
    expect(Object.fromEntries(capturesOf(spread({ σ: 2, τ: 3 }))!)).toEqual({ cfg: { σ: 2 } })
    expect(writesOf("λ = 2", "λ")).toBe("whole")
    expect(writesOf("cfg.σ += 1", "cfg")).toEqual(new Set(["σ"]))
  })

  it("reads a loop's variable, an outer factory's, and values JSON cannot hold", () => {
    const fns: Array<() => unknown> = []
    for (const k of [1, 2]) fns.push(() => k)
    expect(capturesOf(fns[1]!)?.get("k")).toBe(2)
    const outer = (w: string) => {
      const inner = (v: number, n: bigint, z: number, u: undefined) => () => [w, v, n, z, u]
      return inner(5, 9n, -0, undefined)
    }
    const captured = capturesOf(outer("outer"))!
    expect(captured.get("w")).toBe("outer")
    expect(captured.get("v")).toBe(5)
    expect(captured.get("n")).toBe(9n)
    expect(Object.is(captured.get("z"), -0)).toBe(true)
    expect(captured.has("u") && captured.get("u") === undefined).toBe(true)
  })

  it("tells which variables a module's text writes outside their declaration", () => {
    const text = `let a = 1; a = 2
const b = 1
let c = 0; for (;;) c++
const o = { d: 1 }; o.d = 3
let e = 1, f = 2
if (g == 1 || h >= 2) k.map((l) => l)
m += 1; --n
const p = []; p.push(1); const q = [r.length]`
    // \`f\`: a second name in one declaration reads as an assignment (such a step just reads its captures at each call).
    expect(["a", "b", "c", "d", "e", "f", "g", "h", "l", "m", "n", "o", "p", "q", "r"].filter((name) => writesOf(text, name) !== undefined)).toEqual(["a", "c", "f", "m", "n", "o", "p"])
    // Which fields: named ones only; anything else writes it whole.
    expect(writesOf("o.d = 3; o.e.push(1); ++o.f", "o")).toEqual(new Set(["d", "e", "f"]))
    expect(writesOf("o.d = 3; o[k] = 1", "o")).toBe("whole")
    expect(writesOf("o.d = 3; o.push(1)", "o")).toBe("whole")
    expect(writesOf("o = {}", "o")).toBe("whole")
    expect(writesOf("x.o = 1; const o = 2", "o")).toBeUndefined()
    expect(writesOf("x?.o.push(1); f(...o)", "o")).toBeUndefined()
  })
})

// Executions per step body, to see what ran.
let executions = 0

/** A project's own step factory: one source, a different threshold per step. */
const atLeast = (min: number, client: { readonly send: () => void }) =>
  step("at-least", (values: ReadonlyArray<number>) =>
    Effect.sync(() => {
      executions++
      client.send()
      return values.filter((v) => v >= min)
    })
  )

class Client {
  send() {}
}

const run = flow({ name: "captures-flow", ignore: ["s"] }, (s: ReturnType<typeof atLeast>, values: ReadonlyArray<number>) => s(values))

// A module-level \`let\` and an object's field a script changes between calls (a sweep over settings).
let threshold = 1
const limits = { max: 100 }
const aboveThreshold = step("above-threshold", (values: ReadonlyArray<number>) =>
  Effect.sync(() => {
    executions++
    return values.filter((v) => v >= threshold && v <= limits.max)
  })
)
const sweep = flow("sweep-flow", (values: ReadonlyArray<number>) => aboveThreshold(values))

// A module-level value read only by a module function the step calls.
let cutoff = 1
const overCutoff = (v: number) => v > cutoff
const overStep = step("over-cutoff", (values: ReadonlyArray<number>) =>
  Effect.sync(() => {
    executions++
    return values.filter(overCutoff)
  })
)
const overFlow = flow("over-cutoff-flow", (values: ReadonlyArray<number>) => overStep(values))

// A record the step both reads (`cut`) and sets a field of (`seen`).
const gate = { cut: 1, seen: 0 }
const gated = step("gated", (values: ReadonlyArray<number>) =>
  Effect.sync(() => {
    executions++
    gate.seen++
    return values.filter((v) => v > gate.cut)
  })
)
const gatedFlow = flow("gated-flow", (values: ReadonlyArray<number>) => gated(values))

// A module-level config changed in a way the module's text does not show as a write
// (`Object.assign`, or another module setting a field): hashed again at every call.
const tuning = { factor: 2, unused: "x" }
const tuned = step("tuned", (x: number) =>
  Effect.sync(() => {
    executions++
    return x * tuning.factor
  })
)
const tunedFlow = flow("tuned-flow", (x: number) => tuned(x))

// A captured table (a key form of ~100 KB) and typed array, changed in place between calls.
const table = { rows: Array.from({ length: 3000 }, (_, n) => ({ n, name: `gene${n}`, weight: n / 2 })) }
const weightOf = step("weight-of", (n: number) =>
  Effect.sync(() => {
    executions++
    return table.rows[n]!.weight
  })
)
const weightFlow = flow("weight-of-flow", (n: number) => weightOf(n))
const weights = new Float64Array([0.5, 1.5])
const weighted = step("weighted", (x: number) =>
  Effect.sync(() => {
    executions++
    return x * weights[0]!
  })
)
const weightedFlow = flow("weighted-flow", (x: number) => weighted(x))

// A project class's instance inside a captured config: keyed by its fields.
class Weighting {
  constructor(readonly factor: number) {}
}
const setup = { weighting: new Weighting(2) }
const weighIt = step("weigh-it", (x: number) =>
  Effect.sync(() => {
    executions++
    return x * setup.weighting.factor
  })
)
const weighItFlow = flow("weigh-it-flow", (x: number) => weighIt(x))

// A project class holding settings in static fields.
class Limits {
  static max = 100
}
const capped = step("capped", (xs: ReadonlyArray<number>) =>
  Effect.sync(() => {
    executions++
    return xs.filter((x) => x <= Limits.max)
  })
)
const cappedFlow = flow("capped-flow", (xs: ReadonlyArray<number>) => capped(xs))

// A project class whose static field holds a function the module swaps, and a captured object of functions.
class Rules {
  static keep = (x: number): boolean => x <= 10
}
const ruled = step("ruled", (xs: ReadonlyArray<number>) =>
  Effect.sync(() => {
    executions++
    return xs.filter((x) => Rules.keep(x))
  })
)
const ruledFlow = flow("ruled-flow", (xs: ReadonlyArray<number>) => ruled(xs))
const rules = { scale: (x: number): number => x * 2 }
const scaled = step("scaled", (xs: ReadonlyArray<number>) =>
  Effect.sync(() => {
    executions++
    return xs.map((x) => rules.scale(x))
  })
)
const scaledFlow = flow("scaled-flow", (xs: ReadonlyArray<number>) => scaled(xs))

// An Arrow table a helper of the step reads: keyed by its content.
const annotations = tableFromArrays({ gene: ["a", "b"], weight: Float64Array.from([1, 2]) })
const totalWeight = () => (annotations.getChild("weight")!.toArray() as Float64Array).reduce((a, b) => a + b, 0)
const weighTotal = step("weigh-total", (n: number) =>
  Effect.sync(() => {
    executions++
    return n * totalWeight()
  })
)
const weighFlow = flow("weigh-total-flow", (n: number) => weighTotal(n))

/** The runs of step `name` have `statuses`, and `why` of the one at `at` names the captured `variable` alone. */
const expectCapturedChange = async (i: TestInstance, name: string, statuses: ReadonlyArray<number>, at: number, variable: string) => {
  const runs = await i.run(runsNamed(name))
  expect(runs.map((r) => r._status_code)).toEqual(statuses)
  expect((await i.run(Run.why(runs[at]!.uid))).changes.map((c) => [c.component, c.name])).toEqual([["captured", variable]])
}

/**
 * Set a captured value one way, then another, then the first again (`set`, with the result each
 * gives): the step runs twice, the third call hits the first run, and `why` names `variable`.
 */
const expectMissThenHit = async (
  i: TestInstance,
  name: string,
  variable: string,
  call: () => Promise<unknown>,
  first: readonly [set: () => void, result: unknown],
  second: readonly [set: () => void, result: unknown]
) => {
  executions = 0
  for (const [set, result] of [first, second, first]) {
    set()
    expect(await call()).toEqual(result)
  }
  expect(executions).toBe(2)
  await expectCapturedChange(i, name, [0, 0, 3], 1, variable)
}

describeBackends("captured variables in the cache key", ({ instance }) => {
  it("a factory's steps with different values miss each other; the same value hits; why names the variable", async () => {
    const i = await instance()
    executions = 0
    const values = [1, 5, 10]
    const low = await i.run(run(atLeast(1, new Client()), values))
    const high = await i.run(run(atLeast(10, new Client()), values))
    expect(executions).toBe(2)
    expect(low).toEqual([1, 5, 10])
    expect(high).toEqual([10])
    // Another factory call, another client instance, the same threshold: the earlier result.
    expect(await i.run(run(atLeast(10, new Client()), values))).toEqual([10])
    expect(executions).toBe(2)

    const runs = await i.run(runsNamed("at-least"))
    const why = await i.run(Run.why(runs[1]!.uid))
    expect(why.changes.map((c) => [c.component, c.name])).toEqual([["captured", "min"]])
    expect(why.message).toContain("captured variable 'min' changed")
  })

  it("keys a captured schema by its structure and a captured function by its source", async () => {
    const i = await instance()
    executions = 0
    const describeWith = (schema: Schema.Schema.AnyNoContext, format: (s: string) => string) =>
      step("describe-with", (x: number) =>
        Effect.sync(() => {
          executions++
          return format(`${String(schema)}:${x}`)
        })
      )
    const call = flow({ name: "describe-flow", ignore: ["s"] }, (s: ReturnType<typeof describeWith>) => s(1))
    const upper = (s: string) => s.toUpperCase()
    // Printed alike ("{ readonly a: number }"), different structures: the annotation is part of it.
    const plain = Schema.Struct({ a: Schema.Number })
    const annotated = Schema.Struct({ a: Schema.Number.annotations({ description: "metres" }) })
    expect(await i.run(call(describeWith(plain, upper)))).toBe("{ READONLY A: NUMBER }:1")
    expect(await i.run(call(describeWith(annotated, upper)))).toBe("{ READONLY A: NUMBER }:1")
    expect(executions).toBe(2)
    expect(await i.run(call(describeWith(Schema.String, upper)))).toBe("STRING:1")
    expect(await i.run(call(describeWith(Schema.String, (s) => s.toLowerCase())))).toBe("string:1")
    expect(await i.run(call(describeWith(Schema.String, (s) => s.toUpperCase())))).toBe("STRING:1")
    expect(executions).toBe(4)
  })

  it("reads a variable its module reassigns, or an object whose field it sets, at each call: a new value misses, an earlier one hits", async () => {
    const i = await instance()
    executions = 0
    const values = [1, 5, 10]
    threshold = 1
    expect(await i.run(sweep(values))).toEqual([1, 5, 10])
    threshold = 5
    expect(await i.run(sweep(values))).toEqual([5, 10])
    threshold = 1
    expect(await i.run(sweep(values))).toEqual([1, 5, 10])
    expect(executions).toBe(2)
    limits.max = 5
    expect(await i.run(sweep(values))).toEqual([1, 5])
    limits.max = 100
    expect(executions).toBe(3)
    const runs = await i.run(runsNamed("above-threshold"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 0, 3, 0])
    const changed = async (at: number) => (await i.run(Run.why(runs[at]!.uid))).changes.map((c) => [c.component, c.name])
    expect(await changed(1)).toEqual([["captured", "threshold"]])
    expect(await changed(3)).toEqual([["captured", "limits"]])
  })

  it("keys a global the step reads (`globalThis.SETTINGS`, or `SETTINGS` set there) at each call: a new value misses, an earlier one hits; why names it", async () => {
    const i = await instance()
    globalThis.LAMINA_CAPTURES_SETTINGS = { scale: 2 }
    try {
      const explicit = step("global-explicit", (x: number) => Effect.sync(() => x * (globalThis.LAMINA_CAPTURES_SETTINGS?.scale ?? 1)))
      const bare = step("global-bare", (x: number) => Effect.sync(() => x * (LAMINA_CAPTURES_SETTINGS?.scale ?? 1)))
      // Not set yet at the first call: read by its name on the global object, it is keyed all the same.
      const late = step("global-late", (x: number) => Effect.sync(() => x * (globalThis.LAMINA_CAPTURES_LATE?.scale ?? 1)))
      const f = flow("global-flow", (x: number) => Effect.all([explicit(x), bare(x), late(x)]))
      expect(await i.run(f(2))).toEqual([4, 4, 2])
      globalThis.LAMINA_CAPTURES_SETTINGS.scale = 5
      globalThis.LAMINA_CAPTURES_LATE = { scale: 5 }
      expect(await i.run(f(2))).toEqual([10, 10, 10])
      globalThis.LAMINA_CAPTURES_SETTINGS = { scale: 2 }
      delete globalThis.LAMINA_CAPTURES_LATE
      expect(await i.run(f(2))).toEqual([4, 4, 2])
    } finally {
      delete globalThis.LAMINA_CAPTURES_SETTINGS
      delete globalThis.LAMINA_CAPTURES_LATE
    }
    for (const name of ["global-explicit", "global-bare"]) {
      const runs = await i.run(runsNamed(name))
      expect(runs.map((r) => r._status_code)).toEqual([0, 0, 3])
      expect((await i.run(Run.why(runs[1]!.uid))).changes.map((c) => [c.component, c.name])).toEqual([["captured", "globalThis.LAMINA_CAPTURES_SETTINGS"]])
    }
    expect((await i.run(runsNamed("global-late"))).map((r) => r._status_code)).toEqual([0, 0, 3])
  })

  it("keys the module's data that a module function the step calls reads: a new value misses, an earlier one hits, why names it", async () => {
    const i = await instance()
    executions = 0
    cutoff = 1
    expect(await i.run(overFlow([1, 5, 10]))).toEqual([5, 10])
    cutoff = 5
    expect(await i.run(overFlow([1, 5, 10]))).toEqual([10])
    cutoff = 1
    expect(await i.run(overFlow([1, 5, 10]))).toEqual([5, 10])
    expect(executions).toBe(2)
    await expectCapturedChange(i, "over-cutoff", [0, 0, 3], 1, "cutoff")
  })

  it("hashes a captured object again at every call: a field changed by Object.assign misses, the earlier value hits, why names it", async () => {
    const i = await instance()
    executions = 0
    Object.assign(tuning, { factor: 2, unused: "x" })
    expect(await i.run(tunedFlow(3))).toBe(6)
    Object.assign(tuning, { factor: 5 })
    expect(await i.run(tunedFlow(3))).toBe(15)
    // A field the step does not read: the same key.
    Object.assign(tuning, { unused: "y" })
    expect(await i.run(tunedFlow(3))).toBe(15)
    Object.assign(tuning, { factor: 2 })
    expect(await i.run(tunedFlow(3))).toBe(6)
    expect(executions).toBe(2)
    await expectCapturedChange(i, "tuned", [0, 0, 3, 3], 1, "tuning")
  })

  it("hashes a large captured table and a typed array at every call too: a row changed in place misses, the earlier value hits", async () => {
    const i = await instance()
    executions = 0
    weights[0] = 0.5
    expect(await i.run(weightFlow(5))).toBe(2.5)
    Object.assign(table.rows[5]!, { weight: 99 })
    expect(await i.run(weightFlow(5))).toBe(99)
    Object.assign(table.rows[5]!, { weight: 2.5 })
    expect(await i.run(weightFlow(5))).toBe(2.5)
    expect(await i.run(weightedFlow(2))).toBe(1)
    weights[0] = 2
    expect(await i.run(weightedFlow(2))).toBe(4)
    expect(executions).toBe(4)
    await expectCapturedChange(i, "weight-of", [0, 0, 3], 1, "table")
    await expectCapturedChange(i, "weighted", [0, 0], 1, "weights")
  })

  it("keys a project class's instance inside a captured object by its fields: another one misses, an equal one hits", async () => {
    const i = await instance()
    const weighting = (factor: number) => () => void (setup.weighting = new Weighting(factor))
    await expectMissThenHit(i, "weigh-it", "setup", () => i.run(weighItFlow(3)), [weighting(2), 6], [weighting(5), 15])
  })

  it("keys a project class's static fields: a new value misses, the earlier one hits", async () => {
    const i = await instance()
    const max = (n: number) => () => void (Limits.max = n)
    await expectMissThenHit(i, "capped", "Limits", () => i.run(cappedFlow([1, 50, 200])), [max(100), [1, 50]], [max(10), [1]])
  })

  it("keys a function held in a class's static field or a captured object by its source: another function misses, the first hits again", async () => {
    const i = await instance()
    const small = Rules.keep
    const keep = (f: (x: number) => boolean) => () => void (Rules.keep = f)
    await expectMissThenHit(i, "ruled", "Rules", () => i.run(ruledFlow([1, 50])), [keep(small), [1]], [keep((x) => x > 10), [50]])
    const double = rules.scale
    const scale = (f: (x: number) => number) => () => void (rules.scale = f)
    await expectMissThenHit(i, "scaled", "rules", () => i.run(scaledFlow([1, 50])), [scale(double), [2, 100]], [scale((x) => x * 3), [3, 150]])
  })

  it("keys an Arrow table a helper reads by its content: a value set in place misses, the earlier one hits", async () => {
    const i = await instance()
    const weight = (w: number) => () => annotations.getChild("weight")!.set(1, w)
    await expectMissThenHit(i, "weigh-total", "annotations", () => i.run(weighFlow(2)), [weight(2), 6], [weight(5), 12])
  })

  it("keys a record the step reads and sets a field of by the fields it only reads: its own writes hit, a new cut misses", async () => {
    const i = await instance()
    executions = 0
    gate.cut = 1
    expect(await i.run(gatedFlow([1, 5, 10]))).toEqual([5, 10])
    expect(await i.run(gatedFlow([1, 5, 10]))).toEqual([5, 10])
    gate.cut = 5
    expect(await i.run(gatedFlow([1, 5, 10]))).toEqual([10])
    expect(executions).toBe(2)
    await expectCapturedChange(i, "gated", [0, 3, 0], 2, "gate")
  })

  it("keys a captured config the step spreads: a factory's step made with another config misses", async () => {
    const i = await instance()
    executions = 0
    const scaled = (options: { readonly scale: number }) =>
      step("spread-options", (x: number) =>
        Effect.sync(() => {
          executions++
          return { ...options, x }
        })
      )
    const call = flow({ name: "spread-options-flow", ignore: ["s"] }, (s: ReturnType<typeof scaled>) => s(1))
    expect(await i.run(call(scaled({ scale: 1 })))).toEqual({ scale: 1, x: 1 })
    expect(await i.run(call(scaled({ scale: 2 })))).toEqual({ scale: 2, x: 1 })
    expect(await i.run(call(scaled({ scale: 1 })))).toEqual({ scale: 1, x: 1 })
    expect(executions).toBe(2)
  })

  it("leaves out a captured variable listed in ignore", async () => {
    const i = await instance()
    executions = 0
    const tagged = (tag: string) =>
      step({ name: "ignoring", ignore: ["tag"] }, (n: number) =>
        Effect.sync(() => {
          executions++
          return `${tag}:${n}`
        })
      )
    const call = flow({ name: "ignoring-flow", ignore: ["s"] }, (s: ReturnType<typeof tagged>) => s(1))
    expect(await i.run(call(tagged("a")))).toBe("a:1")
    expect(await i.run(call(tagged("b")))).toBe("a:1")
    expect(executions).toBe(1)
  })
})

/** A pipeline parametrized the way scripts are: a command-line argument and a config file read when the module loads. */
const SCRIPT = `import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { flow, Lamina, step } from "lamina"

const [storage, db, factorArg] = process.argv.slice(2)
const settings = JSON.parse(readFileSync(new URL("../settings.json", import.meta.url), "utf8")) as { readonly offset: number }
// The config is read by a module function the step calls, the factor by the step itself.
const shift = (y: number) => y + settings.offset
const scale = step("scale", (x: number) => Effect.sync(() => shift(x * factor)))
// Declared below the step: read at its first call, not when it was defined.
const factor = Number(factorArg)
const pipeline = flow("scale-flow", (x: number) => scale(x))

console.log(JSON.stringify(await Effect.runPromise(Effect.provide(pipeline(10), Lamina.layer({ storage: storage!, db: db! })))))
`

/**
 * A value two functions away from the step (`keep` → `above` → `floor`), and one an imported
 * project module keeps (`scaling.ts`' `factor`, set through `configure`, reached through a
 * re-export), changed between processes and, for the imported one, between two calls.
 */
const IMPORTING_SCRIPT = `import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
import { configure, scaled } from "./lib.js"

const [storage, db, factorArg, floorArg] = process.argv.slice(2)
const floor = Number(floorArg)
const above = (x: number) => x > floor
const keep = (xs: ReadonlyArray<number>) => xs.filter(above)
const pick = step("pick", (xs: ReadonlyArray<number>) => Effect.sync(() => keep(xs).map(scaled)))
// The same step with the module's variable left out by its own name.
const pickIgnoring = step({ name: "pick-ignoring", ignore: ["factor"] }, (xs: ReadonlyArray<number>) => Effect.sync(() => keep(xs).map(scaled)))
const pipeline = flow("pick-flow", (xs: ReadonlyArray<number>) => pick(xs))
const ignoring = flow("pick-ignoring-flow", (xs: ReadonlyArray<number>) => pickIgnoring(xs))
const layer = Lamina.layer({ storage: storage!, db: db! })

configure(Number(factorArg))
const ignored = await Effect.runPromise(Effect.provide(ignoring([1, 5, 10]), layer))
const first = await Effect.runPromise(Effect.provide(pipeline([1, 5, 10]), layer))
configure(Number(factorArg) + 1)
const second = await Effect.runPromise(Effect.provide(pipeline([1, 5, 10]), layer))
console.log(JSON.stringify([first, second, ignored]))
`

describeBackends("a module's top-level values across processes", ({ instance }) => {
  it("what a step reaches through a class's method or private field, a decorated method's class or private receiver field, an aliased (also nested) or expression class, a bound function, functions kept in data (also another module's), a function expression called in place or the command line misses when it changes; why names it", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "model.ts": `export class Model {\n  constructor(readonly w: number) {}\n  predict(x: number) { return x * this.w }\n}\nexport class Private {\n  #w: number\n  constructor(w: number) { this.#w = w }\n  predict(x: number) { return x * this.#w }\n}\nlet factor = 1\nexport const configure = (f: number) => { factor = f }\nexport const byFactor = (x: number) => x * factor\nexport const createModel = (w: number) => ({ predict: (x: number) => x * w })\n`,
      "main.ts": `import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
import { byFactor, configure, createModel, Model as Aliased, Private } from "./model.js"
const [storage, db, arg] = process.argv.slice(2)
const W = Number(arg)
class Scaler { scale(x: number) { return x * W } }
const scaler = new Scaler()
const aliased = new Aliased(W)
const setup = { model: new Aliased(W) }
const hidden = new Private(W)
const Expressed = class { constructor(readonly w: number) {} predict(x: number) { return x * this.w } }
const expressed = new Expressed(W)
const times = (w: number, x: number) => x * w
const bound = times.bind(null, W)
const ops = { scale: (x: number) => x * W }
const listed = [(x: number) => x * W]
const registry = new Map([["scale", (x: number) => x * W]])
const made = (() => { const w = W; return (x: number) => x * w })()
configure(W)
const imported = { byFactor }
const created = createModel(W)
const makeLocal = (w: number) => ({ predict: (x: number) => x * w })
const pair = [makeLocal(1), makeLocal(W)]
const models = [createModel(1), createModel(W)]
class Pipeline {
  scale(x: number) { return x * W }
  @step({ name: "via-this" })
  viaThis(x: number): Effect.Effect<number, never, never> { return Effect.sync(() => this.scale(x)) }
}
class Hidden {
  #w: number
  constructor(w: number) { this.#w = w }
  @step({ name: "private-receiver" })
  privateReceiver(x: number): Effect.Effect<number, never, never> { return Effect.sync(() => x * this.#w) }
}
const pipeline = new Pipeline()
const hiddenReceiver = new Hidden(W)
const steps = [
  (x: number) => pipeline.viaThis(x),
  (x: number) => hiddenReceiver.privateReceiver(x),
  step("method", (x: number) => Effect.sync(() => scaler.scale(x))),
  step("aliased", (x: number) => Effect.sync(() => aliased.predict(x))),
  step("nested-aliased", (x: number) => Effect.sync(() => setup.model.predict(x))),
  step("private-field", (x: number) => Effect.sync(() => hidden.predict(x))),
  step("expressed", (x: number) => Effect.sync(() => expressed.predict(x))),
  step("bound", (x: number) => Effect.sync(() => bound(x))),
  step("in-object", (x: number) => Effect.sync(() => ops.scale(x))),
  step("in-array", (x: number) => Effect.sync(() => listed[0]!(x))),
  step("in-map", (x: number) => Effect.sync(() => registry.get("scale")!(x))),
  step("imported-in-data", (x: number) => Effect.sync(() => imported.byFactor(x))),
  step("made-in-data", (x: number) => Effect.sync(() => created.predict(x))),
  step("made-pair", (x: number) => Effect.sync(() => pair[0]!.predict(x) * pair[1]!.predict(1))),
  step("made-elsewhere-pair", (x: number) => Effect.sync(() => models[0]!.predict(x) * models[1]!.predict(1))),
  step("called-in-place", (x: number) => Effect.sync(() => made(x))),
  step("argv", (x: number) => Effect.sync(() => x * Number(process.argv[4])))
]
const all = flow("reaches-flow", (x: number) => Effect.all(steps.map((s) => s(x))))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(all(3), Lamina.layer({ storage: storage!, db: db! })))))
`
    })
    const scaled = (w: number) => runMainOf(root, [i.storage, i.db, String(w)])
    expect(await scaled(2)).toEqual(Array(17).fill(6))
    expect(await scaled(5)).toEqual(Array(17).fill(15))
    expect(await scaled(2)).toEqual(Array(17).fill(6))
    const captured = { "via-this": "W", method: "W", aliased: "aliased", "nested-aliased": "setup", "private-field": "hidden", expressed: "expressed", bound: "bound", "in-object": "W", "in-array": "W", "in-map": "W", "imported-in-data": "factor (dist/model.js)", "made-in-data": "w (created)", "made-pair": "w (pair[1])", "made-elsewhere-pair": "w (models[1])", "called-in-place": "w (made)", argv: "process.argv" }
    // A method step's receiver, its #private field included, is keyed as the param `this`.
    const changed = { ...Object.fromEntries(Object.entries(captured).map(([name, variable]) => [name, ["captured", variable]])), "private-receiver": ["param", "this"] }
    for (const [name, change] of Object.entries(changed)) {
      const runs = await i.run(runsNamed(name))
      expect([name, runs.map((r) => r._status_code)]).toEqual([name, [0, 0, 3]])
      expect([name, (await i.run(Run.why(runs[1]!.uid))).changes.map((c) => [c.component, c.name])]).toEqual([name, [change]])
    }
  })

  it("a value read two functions away, or kept by an imported project module, misses when it changes; why names it", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": IMPORTING_SCRIPT,
      "lib.ts": `export { configure, scaled } from "./scaling.js"\n`,
      "scaling.ts": `let factor = 1\nexport const configure = (f: number) => {\n  factor = f\n}\nexport const scaled = (x: number) => x * factor\n`
    })
    const picked = (factor: number, floor: number) => runMainOf(root, [i.storage, i.db, String(factor), String(floor)])
    expect(await picked(2, 1)).toEqual([[10, 20], [15, 30], [10, 20]])
    expect(await picked(2, 1)).toEqual([[10, 20], [15, 30], [10, 20]])
    // Listed in ignore, the factor does not reach that step's key: its earlier result (what ignore asks for).
    expect(await picked(3, 1)).toEqual([[15, 30], [20, 40], [10, 20]])
    expect(await picked(3, 5)).toEqual([[30], [40], [30]])
    const runs = await i.run(runsNamed("pick"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 0, 3, 3, 3, 0, 0, 0])
    expect((await i.run(runsNamed("pick-ignoring"))).map((r) => r._status_code)).toEqual([0, 3, 3, 0])
    const changed = async (at: number) => (await i.run(Run.why(runs[at]!.uid))).changes.map((c) => [c.component, c.name])
    expect(await changed(1)).toEqual([["captured", "factor (dist/scaling.js)"]])
    expect(await changed(6)).toEqual([["captured", "floor"]])
  })

  it("an instance of a project class (declared in the module or imported) is keyed by its fields, a package's by its class; a Set a helper reads, by its items", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": `import { EventEmitter } from "node:events"
import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
import { Shift } from "./shift.js"
const [storage, db, factorArg, offsetArg, markersArg] = process.argv.slice(2)
const markers = new Set(markersArg!.split(","))
const isMarker = (x: number) => markers.has(String(x))
class Scaler {
  constructor(readonly factor: number) {}
  apply(x: number) {
    return x * this.factor
  }
}
const scaler = new Scaler(Number(factorArg))
const shift = new Shift(Number(offsetArg))
// A package's emitter the step adds a listener to at each run: its own state, no input.
const bus = new EventEmitter()
const shifted = (x: number) => shift.apply(x)
const transform = step("transform", (x: number) =>
  Effect.sync(() => {
    bus.on("done", () => undefined)
    return shifted(scaler.apply(x)) + (isMarker(x) ? 100 : 0)
  })
)
const pipeline = flow("transform-flow", (xs: ReadonlyArray<number>) => Effect.forEach(xs, (x) => transform(x)))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(pipeline([1, 2]), Lamina.layer({ storage: storage!, db: db! })))))
`,
      "shift.ts": `export class Shift {
  constructor(readonly offset: number) {}
  apply(x: number) {
    return x + this.offset
  }
}
`
    })
    const transformed = (factor: number, offset: number, markers: string) => runMainOf(root, [i.storage, i.db, String(factor), String(offset), markers])
    expect(await transformed(2, 0, "1")).toEqual([102, 4])
    expect(await transformed(2, 0, "1")).toEqual([102, 4])
    expect(await transformed(3, 0, "1")).toEqual([103, 6])
    expect(await transformed(3, 1, "1")).toEqual([104, 7])
    expect(await transformed(3, 1, "1,2")).toEqual([104, 107])
    const runs = await i.run(runsNamed("transform"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 0, 3, 3, 0, 0, 0, 0, 0, 0])
    const changed = async (at: number) => (await i.run(Run.why(runs[at]!.uid))).changes.map((c) => [c.component, c.name])
    expect(await changed(4)).toEqual([["captured", "scaler"]])
    expect(await changed(6)).toEqual([["captured", "shift"]])
    expect(await changed(8)).toEqual([["captured", "markers"]])
  })

  it("a function a project factory made at the top level (`const scorer = makeScorer(w)`) is keyed by what it was made with", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": `import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
import { makeShift } from "./shift.js"
const [storage, db, wArg, offsetArg] = process.argv.slice(2)
const makeScorer = (w: number) => (x: number) => x * w
const scorer = makeScorer(Number(wArg))
const shifter = makeShift(Number(offsetArg))
const score = step("score", (x: number) => Effect.sync(() => shifter(scorer(x))))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(flow("score-flow", (x: number) => score(x))(2), Lamina.layer({ storage: storage!, db: db! })))))
`,
      "shift.ts": `export const makeShift = (by: number) => (x: number) => x + by\n`
    })
    const scored = (w: number, offset: number) => runMainOf(root, [i.storage, i.db, String(w), String(offset)])
    expect(await scored(1, 0)).toBe(2)
    expect(await scored(1, 0)).toBe(2)
    expect(await scored(5, 0)).toBe(10)
    expect(await scored(5, 1)).toBe(11)
    const runs = await i.run(runsNamed("score"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0])
    const changed = async (at: number) => (await i.run(Run.why(runs[at]!.uid))).changes.map((c) => [c.component, c.name])
    expect(await changed(2)).toEqual([["captured", "w (scorer)"]])
    expect(await changed(3)).toEqual([["captured", "by (shifter)"]])
  })

  it("an environment variable a helper of the step reads by name is keyed: another value misses, why names it", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": `import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
const [storage, db] = process.argv.slice(2)
const bias = () => Number(process.env.LAMINA_TEST_BIAS ?? 0)
const biased = step("biased", (x: number) => Effect.sync(() => x + bias()))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(flow("biased-flow", (x: number) => biased(x))(10), Lamina.layer({ storage: storage!, db: db! })))))
`
    })
    const withBias = (bias: string) => runMainOf(root, [i.storage, i.db], { LAMINA_TEST_BIAS: bias })
    expect(await withBias("1")).toBe(11)
    expect(await withBias("1")).toBe(11)
    expect(await withBias("2")).toBe(12)
    const runs = await i.run(runsNamed("biased"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).changes.map((c) => [c.component, c.name])).toEqual([["env", "var:LAMINA_TEST_BIAS"]])
  })

  it("a file the step or a helper it calls reads by a literal name is checked on a hit: an edit misses, why names the file", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": `import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { flow, Lamina, step } from "lamina"
const [storage, db] = process.argv.slice(2)
const threshold = () => Number(readFileSync("data/threshold.txt", "utf8"))
const above = step("above-file", (xs: ReadonlyArray<number>) =>
  Effect.sync(() => xs.filter((x) => x > threshold()).length * 10 + readFileSync('data/extra.txt', "utf8").length)
)
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(flow("above-file-flow", (xs: ReadonlyArray<number>) => above(xs))([1, 5, 10]), Lamina.layer({ storage: storage!, db: db! })))))
`
    })
    mkdirSync(path.join(root, "data"))
    const data = (name: string, text: string) => writeFileSync(path.join(root, "data", name), text)
    const counted = () => runMainOf(root, [i.storage, i.db])
    data("threshold.txt", "1")
    data("extra.txt", "ab")
    expect(await counted()).toBe(22)
    expect(await counted()).toBe(22)
    data("threshold.txt", "5")
    expect(await counted()).toBe(12)
    data("extra.txt", "abc")
    expect(await counted()).toBe(13)
    const runs = await i.run(runsNamed("above-file"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0])
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the file '${path.join(root, "data", "threshold.txt")}' its code reads ('data/threshold.txt') changed (1 bytes`)
    expect((await i.run(Run.why(runs[3]!.uid))).message).toContain(`its code reads ('data/extra.txt') changed (2 bytes`)
  })

  it("a file a captured string names (a path constant, a config object's field read by a helper) is checked on a hit: an edit misses, why names the variable", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({
      "main.ts": `import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { flow, Lamina, step } from "lamina"
const [storage, db] = process.argv.slice(2)
const WEIGHTS = "data/weights.json"
const config = { input: "data/input.txt" }
const load = () => readFileSync(config.input, "utf8").split(",").map(Number)
const score = step("score-files", () => Effect.sync(() => load().reduce((s, x) => s + x, 0) * JSON.parse(readFileSync(WEIGHTS, "utf8")).w))
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(flow("score-files-flow", () => score())(), Lamina.layer({ storage: storage!, db: db! })))))
`
    })
    mkdirSync(path.join(root, "data"))
    const data = (name: string, text: string) => writeFileSync(path.join(root, "data", name), text)
    const scored = () => runMainOf(root, [i.storage, i.db])
    data("weights.json", `{"w":2}`)
    data("input.txt", "1,2")
    expect(await scored()).toBe(6)
    expect(await scored()).toBe(6)
    data("weights.json", `{"w":5}`)
    expect(await scored()).toBe(15)
    data("input.txt", "1,2,3")
    expect(await scored()).toBe(30)
    const runs = await i.run(runsNamed("score-files"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0])
    const why = async (at: number) => (await i.run(Run.why(runs[at]!.uid))).message
    expect(await why(2)).toContain(`the file '${path.join(root, "data", "weights.json")}' named by captured variable 'WEIGHTS' changed (7 bytes`)
    expect(await why(3)).toContain(`the file '${path.join(root, "data", "input.txt")}' named by captured variable 'config.input' changed (3 bytes`)
  })

  it("a step typed into `node -e` (no module text to read) reads its captures again at every call: a reassigned let misses", async () => {
    requireBuild()
    const i = await instance()
    const lamina = pathToFileURL(path.resolve("dist/src/index.js")).href
    const script = `import { Effect } from "effect"
import { flow, Lamina, step } from ${JSON.stringify(lamina)}
let factor = 2
const mul = step("eval-mul", (x) => Effect.sync(() => x * factor))
const layer = Lamina.layer({ storage: ${JSON.stringify(i.storage)}, db: ${JSON.stringify(i.db)} })
const call = () => Effect.runPromise(Effect.provide(flow("eval-flow", (x) => mul(x))(3), layer))
const first = await call()
factor = 5
console.log(JSON.stringify([first, await call()]))`
    const out = await runNode(["--input-type=module", "-e", script])
    expect(out.stderr).toBe("")
    expect(JSON.parse(out.stdout)).toEqual([6, 15])
  })

  it("a step reading a value its module computed at load (argv, a config file) misses when that value changes; why names it", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject({ "main.ts": SCRIPT })
    const settings = (offset: number) => writeFileSync(path.join(root, "settings.json"), JSON.stringify({ offset, unread: offset }))
    const scaled = (factor: number) => runMainOf(root, [i.storage, i.db, String(factor)])
    settings(1)
    expect(await scaled(2)).toBe(21)
    expect(await scaled(2)).toBe(21)
    expect(await scaled(3)).toBe(31)
    settings(5)
    expect(await scaled(3)).toBe(35)
    const runs = await i.run(runsNamed("scale"))
    expect(runs.map((r) => r._status_code)).toEqual([0, 3, 0, 0])
    const changed = async (at: number) => (await i.run(Run.why(runs[at]!.uid))).changes.map((c) => [c.component, c.name])
    expect(await changed(2)).toEqual([["captured", "factor"]])
    expect(await changed(3)).toEqual([["captured", "settings"]])
  })
})
