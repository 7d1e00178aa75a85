import { Effect } from "effect"
import * as path from "node:path"
import { beforeAll, expect, it } from "vitest"
import { parseArgs } from "../../src/cli/args.js"
import type { Command, Output } from "../../src/cli/command.js"
import { command as ls } from "../../src/cli/commands/ls.js"
import { command as search } from "../../src/cli/commands/search.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { at, seedArtifact, seedRun, seedTransform } from "../support/seed.js"

/** Run a command's `run` with parsed argv, capturing what it prints. */
const capture = (i: TestInstance, cmd: Command, argv: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const args = parseArgs(argv, cmd.flags)
    const lines: Array<string> = []
    const json: Array<unknown> = []
    const out: Output = { wantsJson: args.flags.json === true, line: (t) => void lines.push(t), json: (v) => void json.push(JSON.parse(JSON.stringify(v))) }
    yield* cmd.run(args, out)
    return { lines, json }
  })

describeBackends("CLI ls and search", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const t = yield* seedTransform({ key: "train.py", description: "training" })
        const run = yield* seedRun(t, { name: "sweep-1", params: { learning_rate: 0.01, epochs: 80 } })
        yield* seedRun(t, { name: "sweep-2", params: { learning_rate: 0.1, epochs: 20 }, _status_code: 1 })
        yield* seedArtifact({ key: "raw/2025/a.csv", description: "batch 1", size: 500, suffix: ".csv", created_at: at(1) })
        yield* seedArtifact({ key: "raw/2025/b.csv", description: "batch 2", size: 5000, suffix: ".csv", created_at: at(2), run_id: run.id })
        yield* seedArtifact({ key: "processed/c.h5ad", size: 50_000, suffix: ".h5ad", created_at: at(3) })
      })
    )
  })
  const run = (cmd: Command, argv: ReadonlyArray<string>) => i.run(capture(i, cmd, argv))

  it("ls artifact: filters, order, limit, JSON with paths", async () => {
    const { json } = await run(ls, ["artifact", "--filter", "size__gt=1000", "--filter", "key__startswith=raw/", "--json"])
    expect(json).toHaveLength(1)
    const rows = json[0] as ReadonlyArray<Record<string, unknown>>
    expect(rows.map((r) => r.key)).toEqual(["raw/2025/b.csv"])
    expect(rows[0]).toMatchObject({ size: 5000, suffix: ".csv", is_latest: true, branch: 1 })
    expect(rows[0]!.path).toBe(path.join(i.storage, ".lamina", `${String(rows[0]!.uid)}.csv`))
    const ordered = (await run(ls, ["artifact", "--order", "size", "--limit", "2", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(ordered.map((r) => r.size)).toEqual([500, 5000])
    const newest = (await run(ls, ["--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(newest.map((r) => r.key)).toEqual(["processed/c.h5ad", "raw/2025/b.csv", "raw/2025/a.csv"])
    const through = (await run(ls, ["artifact", "-f", "run__name=sweep-1", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(through.map((r) => r.key)).toEqual(["raw/2025/b.csv"])
    const list = (await run(ls, ["artifact", "-f", 'suffix__in=[".h5ad"]', "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(list.map((r) => r.key)).toEqual(["processed/c.h5ad"])
  })

  it("ls prints an aligned table", async () => {
    const { lines } = await run(ls, ["artifact", "--order", "-size"])
    const text = lines.join("\n").split("\n")
    expect(text[0]).toMatch(/^uid\s+key\s+version\s+size\s+created_at$/)
    expect(text[2]).toContain("processed/c.h5ad")
    expect(text[2]!.indexOf("processed")).toBe(text[0]!.indexOf("key"))
    expect((await run(ls, ["artifact", "-f", "key=none"])).lines).toEqual(["(no records)"])
  })

  it("ls other registries, with params filters", async () => {
    const runs = (await run(ls, ["run", "--filter", "params__epochs__gt=50", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(runs.map((r) => r.name)).toEqual(["sweep-1"])
    expect(runs[0]).toMatchObject({ status: "completed", params: { learning_rate: 0.01, epochs: 80 } })
    const errored = (await run(ls, ["run", "-f", "status=errored", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(errored.map((r) => r.name)).toEqual(["sweep-2"])
    const human = (await run(ls, ["run", "--order", "params__epochs"])).lines.join("\n")
    expect(human.indexOf("sweep-2")).toBeLessThan(human.indexOf("sweep-1"))
    const transforms = (await run(ls, ["transform", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(transforms.map((t) => t.key)).toEqual(["train.py"])
    expect((await run(ls, ["user", "--json"])).json[0]).toHaveLength(1)
    expect((await run(ls, ["storage", "--json"])).json[0]).toEqual([expect.objectContaining({ root: i.storage, type: "local" })])
  })

  it("search REGISTRY TEXT", async () => {
    const found = (await run(search, ["artifact", "batch", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(found.map((r) => r.key)).toEqual(["raw/2025/b.csv", "raw/2025/a.csv"])
    const exact = (await run(search, ["artifact", "batch", "2", "--json"])).json[0] as ReadonlyArray<Record<string, unknown>>
    expect(exact.map((r) => r.key)).toEqual(["raw/2025/b.csv"])
    expect((await run(search, ["transform", "train"])).lines.join("\n")).toContain("train.py")
    expect(((await run(search, ["artifact", "batch", "--limit", "1", "--json"])).json[0] as ReadonlyArray<unknown>).length).toBe(1)
  })

  it("fails with typed errors for bad input", async () => {
    expect((await i.fail(capture(i, ls, ["nonsense"]))).message).toMatch(/Unknown registry 'nonsense'/)
    expect((await i.fail(capture(i, ls, ["artifact", "--filter", "size__gt"]))).message).toMatch(/--filter expects KEY=VALUE/)
    expect((await i.fail(capture(i, ls, ["artifact", "--filter", "siz__gt=1"]))).message).toMatch(/You can query either by available fields/)
    expect((await i.fail(capture(i, ls, ["artifact", "--order", "nope"]))).message).toMatch(/Unknown field 'nope'/)
    expect((await i.fail(capture(i, ls, ["artifact", "--limit", "0"]))).message).toMatch(/--limit/)
    expect((await i.fail(capture(i, search, ["artifact"]))).message).toMatch(/Pass a registry and the text/)
  })
})
