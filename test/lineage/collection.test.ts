/**
 * Collections in lineage: a run that read a collection has it between the collection's members
 * and the run (member → collection → run), the run that created the collection points to it —
 * in `upstream`, every renderer, `lamina lineage` and the UI's `/api/lineage` (downstream too).
 */
import { tableFromArrays } from "apache-arrow"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { parseArgs } from "../../src/cli/args.js"
import type { Output } from "../../src/cli/command.js"
import { command as lineageCommand } from "../../src/cli/commands/lineage.js"
import { flow } from "../../src/flow/index.js"
import { Artifact, Collection, Run } from "../../src/index.js"
import { renderDot, renderHtml, renderMermaid, toJson, upstream, type LineageGraph } from "../../src/lineage/index.js"
import { lineageOf } from "../../src/ui/api/lineage.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { saveText } from "../flow/support.js"

const table = (start: number, n: number) =>
  tableFromArrays({ sample: Array.from({ length: n }, (_, i) => `s${start + i}`), value: Float64Array.from({ length: n }, (_, i) => start + i) })

const assemble = flow("assemble", () =>
  Effect.gen(function* () {
    const a = yield* (yield* Artifact.fromTable(table(0, 3), { key: "parts/a.parquet" })).save()
    const b = yield* (yield* Artifact.fromTable(table(3, 2), { key: "parts/b.parquet" })).save()
    return (yield* Collection.create([a, b], { key: "training-set" })).uid
  })
)

const train = (dir: string) =>
  flow("train", (uid: string) =>
    Effect.gen(function* () {
      const c = yield* Collection.get(uid)
      const t = yield* c.loadTable()
      return yield* saveText(dir, "model.txt", `${t.numRows} rows`)
    })
  )

const setup = async (i: TestInstance) => {
  const uid = await i.run(assemble())
  const model = await i.run(train(i.dir)(uid))
  const collection = await i.run(Collection.get(uid))
  const [a, b] = await i.run(collection.artifacts)
  const runs = await i.run(Run.filter().toArray())
  return { collection, a: a!, b: b!, model, assembleRun: runs.find((r) => r.name === "assemble")!, trainRun: runs.find((r) => r.name === "train")! }
}

const has = (g: Pick<LineageGraph, "edges">, from: string, to: string) => g.edges.some((e) => e.from === from && e.to === to)

describeBackends("lineage of collections", ({ instance }) => {
  it("upstream puts a read collection between its members and the reading run, and links its creating run", async () => {
    const i = await instance()
    const { collection, a, b, model, assembleRun, trainRun } = await setup(i)
    const c = `collection:${collection.uid}`
    const g = await i.run(upstream(model))
    expect(g.nodes.find((n) => n.id === c)).toMatchObject({ kind: "collection", uid: collection.uid, label: "training-set", detail: "v0000 · 2 artifacts" })
    expect(has(g, `artifact:${a.uid}`, c)).toBe(true)
    expect(has(g, `artifact:${b.uid}`, c)).toBe(true)
    expect(has(g, c, `run:${trainRun.uid}`)).toBe(true)
    expect(has(g, `run:${trainRun.uid}`, `artifact:${model.uid}`)).toBe(true)
    // the members' own input links are implied by the collection, not drawn a second time
    expect(has(g, `artifact:${a.uid}`, `run:${trainRun.uid}`)).toBe(false)
    // …but they are recorded: the run read them (its cache validity depends on them)
    expect((await i.run(Run.filter({ input_artifacts__key: "parts/a.parquet" }).toArray())).map((r) => r.uid)).toEqual([trainRun.uid])
    // the run that created the members and the collection
    expect(has(g, `run:${assembleRun.uid}`, c)).toBe(true)
    expect(has(g, `run:${assembleRun.uid}`, `artifact:${a.uid}`)).toBe(true)
    expect(g.nodes.filter((n) => n.kind === "transform").map((n) => n.label).sort()).toEqual([expect.stringContaining("assemble"), expect.stringContaining("train")])

    // from the reading run too; depth 1 stops before the collection's creator
    const fromRun = await i.run(upstream(trainRun))
    expect(has(fromRun, c, `run:${trainRun.uid}`)).toBe(true)
    const shallow = await i.run(upstream(trainRun, { depth: 1 }))
    expect(shallow.nodes.some((n) => n.id === c)).toBe(true)
    expect(shallow.nodes.some((n) => n.id === `run:${assembleRun.uid}`)).toBe(false)
    // the creating run's own lineage shows the collection it made
    expect(has(await i.run(upstream(assembleRun)), `run:${assembleRun.uid}`, c)).toBe(true)
  })

  it("every renderer and `lamina lineage` draw the collection node", async () => {
    const i = await instance()
    const { collection, model } = await setup(i)
    const g = await i.run(upstream(model))
    const mermaid = renderMermaid(g)
    expect(mermaid).toContain(`collection_${collection.uid}[["training-set`)
    expect(mermaid).toMatch(new RegExp(`class [A-Za-z0-9_,]*collection_${collection.uid}[A-Za-z0-9_,]* collection`))
    expect(renderDot(g)).toContain(`"collection:${collection.uid}" [label="training-set\\nv0000 · 2 artifacts", tooltip="collection ${collection.uid}", shape=folder`)
    expect(toJson(g).nodes).toContainEqual({ id: `collection:${collection.uid}`, kind: "collection", uid: collection.uid, label: "training-set" })
    const html = renderHtml(g)
    expect(html).toContain('<g class="node collection">')
    expect(html).toContain("1 collections")
    expect(html.match(/class="edge"/g)).toHaveLength(g.edges.length)

    const out: Output & { readonly values: Array<unknown> } = { values: [], line: () => undefined, json(v) { this.values.push(v) }, wantsJson: true }
    await i.run(lineageCommand.run(parseArgs(["model.txt", "--json"], lineageCommand.flags), out))
    expect((out.values[0] as ReturnType<typeof toJson>).nodes.filter((n) => n.kind === "collection").map((n) => n.uid)).toEqual([collection.uid])
  })

  it("the UI's lineage API draws the collection downstream of a member and upstream of an output", async () => {
    const i = await instance()
    const { collection, a, model, trainRun } = await setup(i)
    const c = `collection:${collection.uid}`
    const down = await i.run(lineageOf(new URLSearchParams({ target: a.uid, direction: "down" })))
    expect(down.nodes.find((n) => n.id === c)).toMatchObject({ kind: "collection", label: "training-set" })
    expect(has(down, `artifact:${a.uid}`, c)).toBe(true)
    expect(has(down, c, `run:${trainRun.uid}`)).toBe(true)
    expect(has(down, `artifact:${a.uid}`, `run:${trainRun.uid}`)).toBe(false)
    expect(has(down, `run:${trainRun.uid}`, `artifact:${model.uid}`)).toBe(true)
    const both = await i.run(lineageOf(new URLSearchParams({ target: model.uid })))
    expect(has(both, c, `run:${trainRun.uid}`)).toBe(true)
  })
})
