/**
 * A compiled pipeline in its own project, run as a real subprocess: editing a helper its step
 * imports makes the next process execute the step (and `why` names the file); editing a file
 * nothing imports does not; a `fingerprint: "function"` step keeps its narrow key.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import ts from "typescript"
import { afterAll, expect, it } from "vitest"
import { Run, RunStatus } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { runNode } from "../support/cli.js"

const repo = path.resolve(".")
const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

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

/** A consumer project with lamina and effect installed (linked to this checkout's build). */
const makeProject = (): string => {
  const root = mkdtempSync(path.join(os.tmpdir(), "lamina-consumer-"))
  dirs.push(root)
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }))
  mkdirSync(path.join(root, "node_modules"))
  symlinkSync(repo, path.join(root, "node_modules", "lamina"), "dir")
  symlinkSync(path.join(repo, "node_modules", "effect"), path.join(root, "node_modules", "effect"), "dir")
  source(root, "main.ts", MAIN)
  source(root, "helper.ts", `import { punctuate } from "./format.js"\nexport const greet = (name: string): string => punctuate("hello " + name)\n`)
  source(root, "format.ts", `export const punctuate = (s: string): string => s + "!"\n`)
  source(root, "unrelated.ts", `export const unused = 1\n`)
  return root
}

/** Write a TypeScript source and compile it to dist/ (what tsc emits for it). */
const source = (root: string, name: string, text: string): void => {
  mkdirSync(path.join(root, "src"), { recursive: true })
  mkdirSync(path.join(root, "dist"), { recursive: true })
  writeFileSync(path.join(root, "src", name), text)
  const out = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: name })
  writeFileSync(path.join(root, "dist", name.replace(/\.ts$/, ".js")), out.outputText)
}

const runPipeline = async (root: string, storage: string, db: string): Promise<ReadonlyArray<string>> => {
  const r = await runNode([path.join(root, "dist", "main.js"), storage, db], { cwd: root })
  if (r.code !== 0) throw new Error(`pipeline exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as ReadonlyArray<string>
}

describeBackends("code fingerprint across processes", ({ instance }) => {
  it("re-executes a step after a helper it imports changed; an unrelated edit and a function-mode step stay cached", async () => {
    if (!existsSync(path.join(repo, "dist", "src", "index.js"))) throw new Error("dist/ is missing: run 'npm run build' first ('npm test' does it).")
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
    if (!existsSync(path.join(repo, "dist", "src", "index.js"))) throw new Error("dist/ is missing: run 'npm run build' first ('npm test' does it).")
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
})
