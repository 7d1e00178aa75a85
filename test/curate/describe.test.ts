/**
 * `lamina describe`'s "Dataset features" section (LaminDB's): the schema an artifact was
 * validated against, per slot, with its members — a curated table (slot `columns`) and a
 * curated AnnData (slots `obs` and `var`, the composite's own `__dataset__` slot not shown), in
 * the `--json` output (`schemas`, the data a UI reads) and in the text tree; an artifact that was
 * never validated has no such section. The data is set up through the API on each backend and
 * described through the API (`artifact.describe()`) and the bundled CLI on the same instance.
 */
import { Dictionary, Float64, Int8, Utf8, vectorFromArray, Table } from "apache-arrow"
import { Effect } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { beforeAll, expect, it } from "vitest"
import { AnnDataCurator, Artifact, DataFrameCurator, Feature, Record, Schema, ULabel } from "../../src/index.js"
import { dataframeTable, DenseArray, makeAnnData } from "../../src/formats/index.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { lamina, laminaJson } from "../support/cli.js"

const GENES = ["ENSG00000153563", "ENSG00000010610"]

interface Described {
  readonly schemas: ReadonlyArray<{
    readonly slot: string
    readonly schema: { readonly name: string | null; readonly itype: string | null; readonly dtype: string | null }
    readonly features: ReadonlyArray<{ readonly name: string; readonly dtype: string }>
  }>
}

describeBackends("describe: Dataset features", ({ instance }) => {
  let i: TestInstance
  let home: string
  beforeAll(async () => {
    i = await instance()
    home = path.join(i.dir, "home")
    mkdirSync(home, { recursive: true })
    // The CLI connects to this test's instance (storage and registry) through LAMINA_HOME.
    writeFileSync(path.join(home, "instance.json"), JSON.stringify({ name: "describe-test", storage: i.storage, db: i.db }))
    await i.run(
      Effect.gen(function* () {
        const p = yield* ULabel.create({ name: "Perturbation", is_type: true })
        yield* ULabel.create({ name: "DMSO", type: p })
        const gene = yield* Record.create({ name: "Gene", is_type: true })
        for (const g of GENES) yield* Record.create({ name: g, type: gene })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        yield* Feature.create({ name: "score", dtype: "float" })
        const table = new Table({
          perturbation: vectorFromArray(["DMSO", "DMSO"], new Utf8()),
          score: vectorFromArray([0.5, 1.5], new Float64())
        })
        const screen = yield* Schema.create({ name: "screen", features: ["perturbation", "score"] })
        yield* (yield* DataFrameCurator.make(table, screen)).saveArtifact({ key: "curated/screen.parquet" })
        const varSchema = yield* Schema.create({ name: "var genes", itype: "Record[Gene].name", dtype: "int" })
        const obsSchema = yield* Schema.create({ name: "obs perturbation", features: ["perturbation"] })
        yield* Schema.create({ name: "anndata ensembl", otype: "AnnData", components: { obs: obsSchema, var: varSchema } })
        const adata = yield* makeAnnData({
          X: DenseArray.of(Int32Array.from([1, 2, 3, 4]), [2, 2]),
          obs: dataframeTable(["c0", "c1"], [{ name: "perturbation", vector: vectorFromArray(["DMSO", "DMSO"], new Dictionary(new Utf8(), new Int8())) }]),
          var: dataframeTable([...GENES], [])
        })
        yield* (yield* AnnDataCurator.make(adata, "anndata ensembl")).saveArtifact({ key: "curated/cells.h5ad" })
        // Other bytes: the same bytes would return the curated artifact (saves deduplicate by hash).
        const plain = new Table({ perturbation: vectorFromArray(["DMSO"], new Utf8()), score: vectorFromArray([2.5], new Float64()) })
        yield* Effect.flatMap(Artifact.fromTable(plain, { key: "plain/screen.parquet", description: "never validated" }), (a) => a.save())
      })
    )
  })

  it("the API: artifact.describe() has the schemas as data and the section in its text", async () => {
    const table = await i.run(Effect.flatMap(Artifact.get({ key: "curated/screen.parquet" }), (a) => a.describe()))
    expect(table.data.schemas.map((s) => [s.slot, s.schema.name, s.features.map((f) => `${f.name}:${f.dtype}`)])).toEqual([
      ["columns", "screen", ["perturbation:cat[ULabel]", "score:float"]]
    ])
    expect(table.text.slice(table.text.indexOf("Dataset features"))).toMatch(/columns \(screen\)\s+perturbation cat\[ULabel\], score float/)
    const cells = await i.run(Effect.flatMap(Artifact.get({ key: "curated/cells.h5ad" }), (a) => a.describe()))
    expect(cells.data.schemas.map((s) => s.slot)).toEqual(["__dataset__", "obs", "var"])
    expect(cells.text).toMatch(/var \(var genes\)\s+Record\[Gene\]\.name \(int\)/)
    const plain = await i.run(Effect.flatMap(Artifact.get({ key: "plain/screen.parquet" }), (a) => a.describe()))
    expect(plain.data.schemas).toEqual([])
    expect(plain.text).not.toContain("Dataset features")
  })

  it("a curated table: the columns slot with the schema's members, in --json and as text", async () => {
    const json = await laminaJson<Described>(home, ["describe", "curated/screen.parquet"])
    expect(json.schemas.map((s) => [s.slot, s.schema.name, s.features.map((f) => `${f.name}:${f.dtype}`)])).toEqual([
      ["columns", "screen", ["perturbation:cat[ULabel]", "score:float"]]
    ])
    const text = await lamina(home, ["describe", "curated/screen.parquet"])
    expect(text.code).toBe(0)
    const section = text.stdout.slice(text.stdout.indexOf("Dataset features"))
    expect(text.stdout).toContain("Dataset features")
    expect(section).toMatch(/columns \(screen\)\s+perturbation cat\[ULabel\], score float/)
  })

  it("a curated AnnData: obs with its features, var with its registry itype; the composite's own slot only in --json", async () => {
    const json = await laminaJson<Described>(home, ["describe", "curated/cells.h5ad"])
    expect(json.schemas.map((s) => [s.slot, s.schema.name, s.schema.itype, s.features.map((f) => f.name)])).toEqual([
      ["__dataset__", "anndata ensembl", null, []],
      ["obs", "obs perturbation", "Feature", ["perturbation"]],
      ["var", "var genes", "Record[Gene].name", []]
    ])
    const text = await lamina(home, ["describe", "curated/cells.h5ad"])
    const section = text.stdout.slice(text.stdout.indexOf("Dataset features"))
    expect(section).toMatch(/obs \(obs perturbation\)\s+perturbation cat\[ULabel\]/)
    expect(section).toMatch(/var \(var genes\)\s+Record\[Gene\]\.name \(int\)/)
    expect(section).not.toContain("__dataset__")
  })

  it("an artifact never validated has no Dataset features", async () => {
    const json = await laminaJson<Described>(home, ["describe", "plain/screen.parquet"])
    expect(json.schemas).toEqual([])
    const text = await lamina(home, ["describe", "plain/screen.parquet"])
    expect(text.code).toBe(0)
    expect(text.stdout).not.toContain("Dataset features")
  })
})
