/**
 * A compiled pipeline in its own project, run as a real subprocess: editing a helper its step
 * imports makes the next process execute the step (and `why` names the file); editing a file
 * nothing imports does not; a `fingerprint: "function"` step keeps its narrow key.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { expect, it } from "vitest"
import { Run, RunStatus } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { makeProject as consumer, requireBuild, runMainOf, source } from "../support/consumer.js"

const MAIN = `import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
import { greet } from "./helper.js"

const wide = step("wide", (name: string) => Effect.sync(() => greet(name)))
const narrow = step({ name: "narrow", fingerprint: "function" }, (name: string) => Effect.sync(() => greet(name)))
const pipeline = flow("pipeline", (name: string) => Effect.all([wide(name), narrow(name)]))

const [storage, db] = process.argv.slice(2)
const out = await Effect.runPromise(Effect.provide(pipeline("ada"), Lamina.layer({ storage: storage!, db: db! })))
console.log(JSON.stringify(out))
`

/** The consumer project of these tests: main.ts, a helper two imports deep, and a file nothing imports. */
const makeProject = (): string =>
  consumer({
    "main.ts": MAIN,
    "helper.ts": `import { punctuate } from "./format.js"\nexport const greet = (name: string): string => punctuate("hello " + name)\n`,
    "format.ts": `export const punctuate = (s: string): string => s + "!"\n`,
    "unrelated.ts": `export const unused = 1\n`
  })

const runPipeline = (root: string, storage: string, db: string) => runMainOf(root, [storage, db]) as Promise<ReadonlyArray<string>>

describeBackends("code fingerprint across processes", ({ instance }) => {
  it("re-executes a step after a helper it imports changed; an unrelated edit and a function-mode step stay cached", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject()
    const statuses = async (name: string) => [...(await i.run(Run.filter({ name }).toArray()))].sort((a, b) => a.id - b.id).map((r) => r._status_code)

    expect(await runPipeline(root, i.storage, i.db)).toEqual(["hello ada!", "hello ada!"])
    source(root, "unrelated.ts", `export const unused = 2 // edited\n`)
    expect(await runPipeline(root, i.storage, i.db)).toEqual(["hello ada!", "hello ada!"])
    expect(await statuses("wide")).toEqual([RunStatus.completed, RunStatus.cached])

    // An edit two imports away from the step: the module-mode step executes again.
    source(root, "format.ts", `export const punctuate = (s: string): string => s + "?"\n`)
    expect(await runPipeline(root, i.storage, i.db)).toEqual(["hello ada?", "hello ada!"])
    expect(await statuses("wide")).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    // fingerprint: "function" only covers its own source: a hit (with the helper's old output).
    expect(await statuses("narrow")).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.cached])

    const third = [...(await i.run(Run.filter({ name: "wide" }).toArray()))].sort((a, b) => a.id - b.id)[2]!
    const why = await i.run(Run.why(third.uid))
    expect(why.outcome).toBe("changed")
    expect(why.changes.map((c) => [c.component, c.name])).toEqual([["code", "dist/format.js"]])
    expect(why.message).toContain("file 'dist/format.js' changed")
    // The transform version follows the step's own source, which did not change.
    expect(new Set((await i.run(Run.filter({ name: "wide" }).toArray())).map((r) => r.transform_id)).size).toBe(1)
    expect(readFileSync(path.join(root, "dist", "format.js"), "utf8")).toContain(`"?"`)
  })

  it("covers the code of the module that called a project's own step-defining helper, not only the helper's", async () => {
    requireBuild()
    const i = await instance()
    const root = makeProject()
    // A helper that wraps step(): the first frame outside Lamina is define.ts, which reaches neither main.ts nor helper.ts.
    source(root, "define.ts", `import { Effect } from "effect"\nimport { step } from "lamina"\nexport const defineStep = (name: string, f: (n: string) => string) => step(name, (n: string) => Effect.sync(() => f(n)))\n`)
    source(
      root,
      "main.ts",
      MAIN.replace(`import { greet } from "./helper.js"`, `import { greet } from "./helper.js"\nimport { defineStep } from "./define.js"`)
        .replace(`Effect.all([wide(name), narrow(name)])`, `Effect.all([wide(name), via(name)])`)
        .replace(`const pipeline`, `const via = defineStep("via", (name) => greet(name))\nconst pipeline`)
    )
    expect(await runPipeline(root, i.storage, i.db)).toEqual(["hello ada!", "hello ada!"])
    source(root, "format.ts", `export const punctuate = (s: string): string => s + "?"\n`)
    expect(await runPipeline(root, i.storage, i.db)).toEqual(["hello ada?", "hello ada?"])
    const via = [...(await i.run(Run.filter({ name: "via" }).toArray()))].sort((a, b) => a.id - b.id)
    expect(via.map((r) => r._status_code)).toEqual([RunStatus.completed, RunStatus.completed])
    expect((await i.run(Run.why(via[1]!.uid))).message).toContain("file 'dist/format.js' changed")
  })

  it("covers the module of a method step's receiver class: editing what a subclass in another module imports re-executes its calls only", async () => {
    requireBuild()
    const i = await instance()
    // base.ts, which declares the step, imports neither subclass; triple.ts reaches factor.ts.
    const root = consumer({
      "base.ts": `import { Effect } from "effect"
import { step, type Lamina, type TrackingError } from "lamina"
export class Scorer {
  @step()
  score(x: number): Effect.Effect<number, TrackingError, Lamina> {
    return Effect.sync(() => this.transform(x))
  }
  transform(x: number): number {
    return x
  }
}
`,
      "double.ts": `import { Scorer } from "./base.js"\nexport class Double extends Scorer {\n  transform(x: number): number {\n    return 2 * x\n  }\n}\n`,
      "triple.ts": `import { Scorer } from "./base.js"\nimport { FACTOR } from "./factor.js"\nexport class Triple extends Scorer {\n  transform(x: number): number {\n    return FACTOR * x\n  }\n}\n`,
      "factor.ts": `export const FACTOR = 3\n`,
      "main.ts": `import { Effect } from "effect"
import { flow, Lamina } from "lamina"
import { Double } from "./double.js"
import { Triple } from "./triple.js"
const scores = flow("scores", () => Effect.all([new Double().score(5), new Triple().score(5)]))
const [storage, db] = process.argv.slice(2)
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(scores(), Lamina.layer({ storage: storage!, db: db! })))))
`
    })
    expect(await runPipeline(root, i.storage, i.db)).toEqual([10, 15])
    source(root, "factor.ts", `export const FACTOR = 4\n`)
    expect(await runPipeline(root, i.storage, i.db)).toEqual([10, 20])
    // Double's then Triple's, per flow run.
    const runs = [...(await i.run(Run.filter({ name: "score" }).toArray()))].sort((a, b) => a.id - b.id)
    expect(runs.map((r) => r._status_code)).toEqual([RunStatus.completed, RunStatus.completed, RunStatus.cached, RunStatus.completed])
    expect((await i.run(Run.why(runs[3]!.uid))).message).toContain("file 'dist/factor.js' changed")
  })

  it("covers a workspace package's code (a package linked to a folder of the project): editing a file it loads re-executes, one it does not load does not", async () => {
    requireBuild()
    const i = await instance()
    const root = consumer({
      "main.ts": `import { Effect } from "effect"
import { flow, Lamina, step } from "lamina"
import { area } from "@consumer/geometry"
const measure = step("measure", (side: number) => Effect.sync(() => area(side)))
const f = flow("measure-flow", (side: number) => measure(side))
const [storage, db] = process.argv.slice(2)
console.log(JSON.stringify(await Effect.runPromise(Effect.provide(f(3), Lamina.layer({ storage: storage!, db: db! })))))
`
    })
    // npm workspaces (as `npm link` and `file:` dependencies) link node_modules/<name> to the package's folder.
    const pkg = path.join(root, "packages", "geometry")
    mkdirSync(path.join(pkg, "lib"), { recursive: true })
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "@consumer/geometry", version: "1.0.0", type: "module", exports: { ".": { import: "./index.js" } } }))
    writeFileSync(path.join(pkg, "index.js"), `export { area } from "./lib/area.js"\n`)
    writeFileSync(path.join(pkg, "lib", "area.js"), `export const area = (side) => side * side\n`)
    writeFileSync(path.join(pkg, "lib", "unused.js"), `export const unused = 1\n`)
    mkdirSync(path.join(root, "node_modules", "@consumer"))
    symlinkSync(pkg, path.join(root, "node_modules", "@consumer", "geometry"), "dir")
    expect(await runMainOf(root, [i.storage, i.db])).toBe(9)
    writeFileSync(path.join(pkg, "lib", "unused.js"), `export const unused = 2\n`)
    expect(await runMainOf(root, [i.storage, i.db])).toBe(9)
    writeFileSync(path.join(pkg, "lib", "area.js"), `export const area = (side) => side * side * side\n`)
    expect(await runMainOf(root, [i.storage, i.db])).toBe(27)
    const runs = [...(await i.run(Run.filter({ name: "measure" }).toArray()))].sort((a, b) => a.id - b.id)
    expect(runs.map((r) => r._status_code)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    expect((await i.run(Run.why(runs[2]!.uid))).message).toContain("file 'packages/geometry/lib/area.js' changed")
  })
})
