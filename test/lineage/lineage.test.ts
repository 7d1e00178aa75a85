/**
 * Upstream lineage graphs, their renderers, and the `lineage` / `why` CLI commands.
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { parseArgs } from "../../src/cli/args.js"
import type { Command, Output } from "../../src/cli/command.js"
import { command as lineageCommand } from "../../src/cli/commands/lineage.js"
import { command as whyCommand } from "../../src/cli/commands/why.js"
import { flow, step } from "../../src/flow/index.js"
import { render, renderDot, renderHtml, renderMermaid, toJson, upstream } from "../../src/lineage/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { allRuns, loadText, saveText } from "../flow/support.js"

const clean = step("clean", (raw: Artifact, dir: string) =>
  Effect.flatMap(loadText(raw), (t) => saveText(dir, `clean/${raw.key!.split("/").pop()}`, t.trim().toLowerCase()))
)
const summarize = step("summarize", (table: Artifact, dir: string) => Effect.flatMap(loadText(table), (t) => saveText(dir, "summary.txt", `${t.length} chars`)))
const combine = step("combine", (summary: Artifact, other: Artifact, dir: string) =>
  Effect.gen(function* () {
    const a = yield* loadText(summary)
    const b = yield* loadText(other)
    return yield* saveText(dir, "final.txt", `${a} | ${b}`)
  })
)
const pipeline = flow("lineage-pipeline", (raw1: Artifact, raw2: Artifact, dir: string) =>
  Effect.gen(function* () {
    const [c1, c2] = yield* Effect.all([clean(raw1, dir), clean(raw2, dir)], { concurrency: 2 })
    const s = yield* summarize(c1, dir)
    return yield* combine(s, c2, dir)
  })
)

const setup = async (i: TestInstance) => {
  const raw1 = await i.run(saveText(i.dir, "raw/one.txt", "  Hello World "))
  const raw2 = await i.run(saveText(i.dir, "raw/two.txt", " SECOND "))
  const final = await i.run(pipeline(raw1, raw2, i.dir))
  return { raw1, raw2, final }
}

const collect = (): Output & { readonly lines: Array<string>; readonly values: Array<unknown> } => {
  const lines: Array<string> = []
  const values: Array<unknown> = []
  return { lines, values, line: (t) => void lines.push(t), json: (v) => void values.push(v), wantsJson: false }
}

const runCommand = (i: TestInstance, command: Command, argv: ReadonlyArray<string>) => {
  const args = parseArgs(argv, command.flags)
  const out = { ...collect(), wantsJson: args.flags.json === true }
  return i.run(command.run(args, out)).then(() => out)
}

describeBackends("lineage", ({ instance }) => {
  it("walks upstream from an artifact: producing runs, transforms, inputs, recursively", async () => {
    const i = await instance()
    const { raw1, raw2, final } = await setup(i)
    const g = await i.run(upstream(final))
    const byKind = (k: string) => g.nodes.filter((n) => n.kind === k).map((n) => n.label).sort()
    expect(g.root).toBe(`artifact:${final.uid}`)
    expect(byKind("artifact")).toEqual(["clean/one.txt", "clean/two.txt", "final.txt", "raw/one.txt", "raw/two.txt", "summary.txt"])
    expect(byKind("run")).toEqual(["clean", "clean", "combine", "summarize"])
    expect(byKind("transform")).toEqual([
      "test/lineage/lineage.test.ts:clean",
      "test/lineage/lineage.test.ts:combine",
      "test/lineage/lineage.test.ts:summarize"
    ])
    const runs = await i.run(allRuns)
    const combineRun = runs.find((r) => r.name === "combine")!
    const has = (from: string, to: string) => g.edges.some((e) => e.from === from && e.to === to)
    expect(has(`run:${combineRun.uid}`, `artifact:${final.uid}`)).toBe(true)
    const c2 = await i.run(Artifact.get({ key: "clean/two.txt" }))
    expect(has(`artifact:${c2.uid}`, `run:${combineRun.uid}`)).toBe(true)
    const clean2 = runs.filter((r) => r.name === "clean").find((r) => g.edges.some((e) => e.from === `artifact:${raw2.uid}` && e.to === `run:${r.uid}`))
    expect(clean2).toBeDefined()
    expect(has(`run:${clean2!.uid}`, `artifact:${c2.uid}`)).toBe(true)
    expect(g.edges.some((e) => e.from === `artifact:${raw1.uid}`)).toBe(true)
    // the flow run is context, not data lineage
    expect(g.nodes.some((n) => n.label === "lineage-pipeline")).toBe(false)
    // no dangling edges
    const ids = new Set(g.nodes.map((n) => n.id))
    expect(g.edges.every((e) => ids.has(e.from) && ids.has(e.to))).toBe(true)
  })

  it("limits depth, starts from runs and keys, follows cached runs to the run they reused", async () => {
    const i = await instance()
    const { raw1, raw2, final } = await setup(i)
    const shallow = await i.run(upstream(final, { depth: 1 }))
    expect(shallow.nodes.filter((n) => n.kind === "run").map((n) => n.label)).toEqual(["combine"])
    expect(shallow.nodes.filter((n) => n.kind === "artifact").map((n) => n.label).sort()).toEqual(["clean/two.txt", "final.txt", "summary.txt"])
    const zero = await i.run(upstream(final, { depth: 0 }))
    expect(zero.nodes.map((n) => n.id)).toEqual([`artifact:${final.uid}`])

    const byKey = await i.run(upstream("final.txt"))
    expect(byKey.root).toBe(`artifact:${final.uid}`)
    expect(byKey.nodes).toHaveLength((await i.run(upstream(final))).nodes.length)

    // rerun: every step is cached; lineage of a cached run goes through the run it reused
    await i.run(pipeline(raw1, raw2, i.dir))
    const runs = await i.run(allRuns)
    const cachedCombine = runs.filter((r) => r.name === "combine")[1]!
    expect(cachedCombine.status).toBe(3)
    const run = await i.run(Run.get(cachedCombine.uid))
    const g = await i.run(upstream(run, { depth: 1 }))
    expect(g.root).toBe(`run:${run.uid}`)
    expect(g.edges).toContainEqual({ from: `run:${cachedCombine.reused}`, to: `run:${run.uid}` })
    expect(g.nodes.filter((n) => n.kind === "artifact").map((n) => n.label).sort()).toEqual(["clean/two.txt", "summary.txt"])
    const viaUid = await i.run(upstream(run.uid))
    expect(viaUid.root).toBe(`run:${run.uid}`)

    expect((await i.fail(upstream("no/such/key"))).message).toMatch(/No artifact with key or uid 'no\/such\/key'/)
    // JavaScript callers: neither a key, uid, artifact nor run (5 drew a graph of "run:undefined").
    for (const bad of [5, null, {}, { id: 1 }]) {
      // @ts-expect-error not a lineage target
      const e = await i.fail(upstream(bad))
      expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("upstream() takes an artifact, a run, or an artifact key or uid") })
    }
  })

  it("renders mermaid, dot, json and a self-contained html page", async () => {
    const i = await instance()
    const { final } = await setup(i)
    const g = await i.run(upstream(final))
    const mermaid = renderMermaid(g)
    expect(mermaid.startsWith("flowchart LR\n")).toBe(true)
    expect(mermaid).toContain(`artifact_${final.uid}[(`)
    expect(mermaid.match(/-->/g)).toHaveLength(g.edges.length)
    const dot = renderDot(g)
    expect(dot).toMatch(/^digraph lineage \{/)
    expect(dot.match(/->/g)).toHaveLength(g.edges.length)
    expect(dot).toContain(`"artifact:${final.uid}" [label="final.txt`)
    const json = JSON.parse(render(g, "json")) as ReturnType<typeof toJson>
    expect(json).toEqual(toJson(g))
    expect(Object.keys(json)).toEqual(["nodes", "edges"])
    for (const n of json.nodes) expect(Object.keys(n).sort()).toEqual(["id", "kind", "label", "uid"])
    for (const e of json.edges) expect(Object.keys(e).sort()).toEqual(["from", "to"])
    const html = renderHtml(g, "Lineage <of> final")
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toContain("<svg")
    expect(html).toContain("Lineage &lt;of&gt; final")
    expect(html.match(/<rect /g)).toHaveLength(g.nodes.length)
    expect(html.match(/class="edge"/g)).toHaveLength(g.edges.length)
    // self-contained: no scripts, stylesheets or images from anywhere
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(http/i)
    expect(html.replace('xmlns="http://www.w3.org/2000/svg"', "")).not.toMatch(/https?:\/\//)
  })

  it("`lamina lineage` prints or writes every format; `lamina why` explains runs", async () => {
    const i = await instance()
    const { final } = await setup(i)
    const mermaid = await runCommand(i, lineageCommand, [final.uid])
    expect(mermaid.lines.join("\n")).toMatch(/^flowchart LR/)
    const json = await runCommand(i, lineageCommand, ["final.txt", "--json", "--depth", "1"])
    expect(json.values[0]).toMatchObject({ nodes: expect.any(Array), edges: expect.any(Array) })
    const file = path.join(i.dir, "lineage-out", "sub", "lineage.html")
    const written = await runCommand(i, lineageCommand, [final.uid, "--format", "html", "--output", file])
    expect(written.lines[0]).toMatch(/^Wrote html lineage/)
    expect(readFileSync(file, "utf8")).toContain("<svg")
    const dot = await runCommand(i, lineageCommand, [final.uid, "--format=dot"])
    expect(dot.lines.join("\n")).toMatch(/^digraph/)
    await expect(runCommand(i, lineageCommand, [final.uid, "--format", "png"])).rejects.toThrow(/Unknown format 'png'/)
    await expect(runCommand(i, lineageCommand, [])).rejects.toThrow(/Usage: lamina lineage/)
    await expect(runCommand(i, lineageCommand, [final.uid, "--depth", "-1"])).rejects.toThrow(/--depth/)

    const combineRun = (await i.run(allRuns)).find((r) => r.name === "combine")!
    const why = await runCommand(i, whyCommand, [combineRun.uid])
    expect(why.lines[0]).toMatch(/executed because no earlier run/)
    const whyJson = await runCommand(i, whyCommand, [combineRun.uid, "--json"])
    expect(whyJson.values[0]).toMatchObject({ outcome: "first-run", run: combineRun.uid })
    await expect(runCommand(i, whyCommand, ["nope"])).rejects.toThrow(/not a run uid/)
  })
})
