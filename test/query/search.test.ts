import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { updateRow } from "../../src/registry/crud.js"
import { Artifact, ArtifactModel } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import { Transform } from "../../src/registry/Transform.js"
import { User } from "../../src/registry/User.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { at, seedArtifact, seedRun, seedTransform, seedUser } from "../support/seed.js"

describeBackends("search", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const rows: ReadonlyArray<readonly [string, string | null, string | null]> = [
          ["C", "raw/batch_01.csv", null], // contains only: 1
          ["A", "batch", null], // exact: 200 + 200 + 10 + 8 + 2 + 2 + 1 = 423
          ["B", "b.csv", "batch|lot"], // synonym element: 200 + 10 + 8 + 2 + 2 + 1 = 223
          ["D", "d.csv", "the batch effect"], // whole word: 10 + 2 + 2 + 1 = 15
          ["E", "e.csv", "batches of cells"], // sub-phrase from the left: 2 + 1 = 3
          ["F", "batch2", null], // word prefix: 8 + 2 + 1 = 11
          ["G", "g.csv", "minibatch"], // sub-phrase from the right: 2 + 1 = 3
          ["H", "h.csv", "Batch"], // exact, case-insensitive: 423
          ["I", "other", "nothing here"],
          ["J", "batch 1 of sample", null], // "batch 1": 10 + 2 + 2 + 1 = 15
          ["K", "batch 10", null] // "batch 1": 8 + 2 + 1 = 11
        ]
        let n = 0
        for (const [name, key, description] of rows) yield* seedArtifact({ key, description, otype: name, created_at: at(n++) })
        for (let k = 0; k < 25; k++) yield* seedArtifact({ key: `bulk/sample_${k}.h5ad`, description: `sample ${k}`, created_at: at(100 + k) })
        yield* seedArtifact({ key: "trash/batch", branch: -1, otype: "T" })
        const t = yield* seedTransform({ key: "pipelines/batch-correct.py", description: "Batch correction" })
        yield* seedRun(t, { name: "batch run" })
        yield* seedUser("batchbot", "Batch Bot")
      })
    )
  })
  // (ranks documented per row above)
  const order = async (text: string, options?: Parameters<typeof Artifact.search>[1]) =>
    (await i.run(Artifact.search(text, options).toArray())).map((a) => a.otype)

  it("ranks like LaminDB: exact, synonym, whole word, prefix, sub-phrase, contains; newest first on ties", async () => {
    // K "batch 10", J "batch 1 of sample" and D "the batch effect" all score 15 (whole word)
    expect(await order("batch")).toEqual(["H", "A", "B", "K", "J", "D", "F", "G", "E", "C"])
    expect(await order("BATCH")).toEqual(["H", "A", "B", "K", "J", "D", "F", "G", "E", "C"])
  })

  it("ranks texts with delimiters by LaminDB's regular expressions", async () => {
    expect(await order("batch 1")).toEqual(["J", "K"])
    expect(await order("batch|lot")).toEqual(["B"])
    expect(await order("raw/batch_01.csv")).toEqual(["C"])
  })

  it("limits to 20 by default and combines with filters", async () => {
    expect((await i.run(Artifact.search("sample").toArray())).length).toBe(20)
    expect((await i.run(Artifact.search("sample", { limit: 30 }).toArray())).length).toBe(26)
    expect((await i.run(Artifact.search("sample").count()))).toBe(20)
    expect(await i.run(Artifact.filter({ key__startswith: "bulk/" }).search("sample_1").count())).toBe(11)
    expect((await i.run(Artifact.filter({ description__isnull: false }).search("batch").toArray())).map((a) => a.otype)).toEqual(["H", "B", "D", "G", "E"])
  })

  it("options: fields, case-sensitive, short texts without the trigram index", async () => {
    expect(await order("batch", { fields: ["description"] })).toEqual(["H", "B", "D", "G", "E"])
    expect(await order("Batch", { caseSensitive: true })).toEqual(["H"])
    // two characters: no trigram narrowing; "Batch", "batch2", "batch|lot", "batch" are word prefixes (11)
    expect(await order("ba", { limit: 4 })).toEqual(["H", "F", "B", "A"])
    expect((await order("ch")).length).toBe(10)
  })

  it("keeps the search index in step with updates", async () => {
    const a = await i.run(seedArtifact({ key: "fresh.csv", description: "zebrafish atlas", otype: "Z", created_at: at(500) }))
    expect(await order("zebrafish")).toEqual(["Z"])
    await i.run(updateRow(ArtifactModel, a.id, { description: "mouse atlas" }))
    expect(await order("zebrafish")).toEqual([])
    expect(await order("mouse")).toEqual(["Z"])
  })

  it("hides trash", async () => {
    expect(await order("trash")).toEqual([])
  })

  it("works on every registry", async () => {
    expect((await i.run(Transform.search("batch").toArray())).map((t) => t.key)).toEqual(["pipelines/batch-correct.py"])
    expect((await i.run(Run.search("batch").toArray())).map((r) => r.name)).toEqual(["batch run"])
    expect((await i.run(User.search("bot").toArray())).map((u) => u.handle)).toEqual(["batchbot"])
  })

  it("rejects empty or missing text", async () => {
    expect((await i.fail(Artifact.search("").toArray()))._tag).toBe("InvalidArgument")
    expect((await i.fail(Artifact.search("   ").toArray()))._tag).toBe("InvalidArgument")
    expect((await i.fail(Artifact.search(null as unknown as string).toArray()))._tag).toBe("InvalidArgument")
    expect((await i.fail(Artifact.search("x", { fields: ["size"] }).toArray())).message).toContain("not a text field")
  })
})
