/**
 * The README's `lamina/promise` examples run as written: the quick start in a fresh folder, the
 * tracked pipeline twice on the current instance (the second time all cache hits, found by a
 * params__ query), and the query block — on SQLite and Postgres.
 */
import { readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { saveInstanceSettings } from "../../src/instance/settings.js"
import { RunStatus } from "../../src/promise/index.js"
import { allRuns } from "../flow/support.js"
import { describeBackends } from "../support/backends.js"
import { fileTrees } from "../support/tree.js"
import { promiseInstance, saveText } from "./support.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const promiseApi = path.join(root, "src/promise/index.ts")

/** The README's TypeScript blocks that import `lamina/promise`, in order. */
const blocks = [...readFileSync(path.join(root, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => code.includes(`from "lamina/promise"`))

let runs = 0

/**
 * Run a README block as the module `name` (imports pointing at this checkout); running the same
 * name again evaluates the same file again, as a second `node pipeline.js` would.
 */
const runBlock = async (code: string, dir: string, name: string) => {
  const file = path.join(dir, `${name}.ts`)
  writeFileSync(file, code.replaceAll(`"lamina/promise"`, JSON.stringify(promiseApi)))
  await import(`${pathToFileURL(file).href}?run=${runs++}`)
}

const quickStart = blocks.find((b) => b.includes(`connect({ storage: "./mydata" })`))
const pipelineBlock = blocks.find((b) => b.includes(`lm.flow("pipeline"`))
const queryBlock = blocks.find((b) => b.includes("for await"))

it("the README shows the quick start, the tracked pipeline and the queries with lamina/promise", () => {
  expect([quickStart, pipelineBlock, queryBlock].every((b) => b !== undefined)).toBe(true)
})

/** A folder in the temp folder, removed when this file's tests end. */
const readmeFolders = fileTrees("lamina-readme-")
const tempFolder = (): string => readmeFolders({})

describeBackends("promise: README examples", (ctx) => {
  // It uses the embedded default registry: once is enough.
  it.skipIf(ctx.backend !== "sqlite")("the quick start runs in a fresh folder", async () => {
    const dir = tempFolder()
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      writeFileSync("m.csv", "sample,value\ns1,0.5\n")
      await runBlock(quickStart!, dir, "quick-start")
      writeFileSync("m.csv", "sample,value\ns1,0.5\ns2,0.7\n")
      await runBlock(quickStart!, dir, "quick-start")
    } finally {
      process.chdir(cwd)
    }
    const { connect } = await import("../../src/promise/index.js")
    await using lm = await connect({ storage: path.join(dir, "mydata") })
    const latest = await lm.Artifact.get({ key: "raw/m.csv" })
    expect(latest.version).toBe("0001")
    expect((await latest.versions).length).toBe(2)
  })

  it("the tracked pipeline runs on the current instance; the rerun is all cache hits; params__ finds the runs", async () => {
    const { i, lm } = await promiseInstance(ctx)
    await saveText(lm, i, "raw/a.csv", "sample,value\ns1,0.4\ns2,0.9\n")
    await saveText(lm, i, "raw/b.csv", "sample,value\ns3,0.6\n")
    await Effect.runPromise(saveInstanceSettings({ name: "readme", storage: i.storage, db: i.db }))
    const dir = tempFolder()
    await runBlock(pipelineBlock!, dir, "pipeline")
    await runBlock(pipelineBlock!, dir, "pipeline")
    const steps = (await i.run(allRuns)).filter((r) => r.name === "clean")
    expect(steps.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.completed, RunStatus.cached, RunStatus.cached])
    expect(await lm.Run.filter({ name: "clean", params__minValue: 0.5 }).count()).toBe(4)
    const cleaned = await lm.Artifact.get({ key: "clean/raw/a.csv" })
    expect(Buffer.from(await cleaned.load()).toString()).toBe("sample,value\ns2,0.9") // the README's filter drops the empty last line
    await runBlock(queryBlock!, dir, "queries")
  })
})
