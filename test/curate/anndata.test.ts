/**
 * The AnnData curator on LaminDB's walk-through: a var schema (var index = Ensembl ids of
 * Record type "Gene", dtype int), an obs schema (perturbation), a composite schema with slots
 * obs and var; validation of both slots, saveArtifact with a schema per slot — on SQLite and
 * Postgres, from memory and from a saved .h5ad.
 */
import { Dictionary, Int8, Utf8, vectorFromArray } from "apache-arrow"
import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { AnnDataCurator, Artifact, Feature, Record, Schema, ULabel, type ValidationError } from "../../src/index.js"
import { dataframeTable, DenseArray, makeAnnData } from "../../src/formats/index.js"
import { artifactSchemas } from "../../src/registry/schema/artifactSchemas.js"
import { describeBackends, type TestInstance } from "../support/backends.js"

const GENES = ["ENSG00000153563", "ENSG00000010610", "ENSG00000170458"]

const adataOf = (genes: ReadonlyArray<string>, perturbation: ReadonlyArray<string>) =>
  makeAnnData({
    X: DenseArray.of(Int32Array.from({ length: perturbation.length * genes.length }, (_, k) => k), [perturbation.length, genes.length]),
    obs: dataframeTable(perturbation.map((_, k) => `cell${k}`), [
      { name: "perturbation", vector: vectorFromArray([...perturbation], new Dictionary(new Utf8(), new Int8())) }
    ]),
    var: dataframeTable([...genes], [])
  })

describeBackends("curate: AnnData", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const p = yield* ULabel.create({ name: "Perturbation", is_type: true })
        yield* ULabel.create({ name: "DMSO", type: p })
        yield* ULabel.create({ name: "IFNG", type: p })
        const gene = yield* Record.create({ name: "Gene", is_type: true })
        for (const g of GENES) yield* Record.create({ name: g, type: gene })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        const varSchema = yield* Schema.create({ name: "var genes", itype: "Record[Gene].name", dtype: "int" })
        const obsSchema = yield* Schema.create({ name: "obs perturbation", features: ["perturbation"] })
        yield* Schema.create({ name: "anndata ensembl", otype: "AnnData", components: { obs: obsSchema, var: varSchema } })
      })
    )
  })

  it("validates obs and the var index, and saves the artifact with a schema per slot", async () => {
    const artifact = await i.run(
      Effect.gen(function* () {
        const curator = yield* AnnDataCurator.make(yield* adataOf(GENES, ["DMSO", "IFNG"]), "anndata ensembl")
        const reports = yield* curator.validate()
        expect(reports.flatMap((r) => r.logs)).toContain("3 unique terms (100.00%) are validated for name")
        return yield* curator.saveArtifact({ key: "cells/curated.h5ad", description: "curated AnnData" })
      })
    )
    expect(artifact.otype).toBe("AnnData")
    const slots = await i.run(artifactSchemas(artifact.id))
    expect(slots.map((s) => [s.slot, s.schema.name])).toEqual([
      ["__dataset__", "anndata ensembl"],
      ["obs", "obs perturbation"],
      ["var", "var genes"]
    ])
    expect((await i.run(Artifact.get({ ulabels__name: "DMSO" }))).uid).toBe(artifact.uid)
    // the saved .h5ad validates again, read backed (obs and var only)
    const again = await i.run(Effect.flatMap(AnnDataCurator.make(artifact, "anndata ensembl"), (c) => c.validate()))
    expect(again).toHaveLength(2)
  })

  it("reports unknown genes and unvalidated obs terms together", async () => {
    const e = (await i.fail(
      Effect.flatMap(Effect.flatMap(adataOf([...GENES.slice(0, 2), "ENSG_TYPO"], ["DMSO", "IFNJ"]), (a) => AnnDataCurator.make(a, "anndata ensembl")), (c) => c.validate())
    )) as ValidationError
    expect(e._tag).toBe("ValidationError")
    expect(e.problems?.map((p) => [p.slot, p.kind])).toEqual([
      ["obs", "not_validated"],
      ["var", "index"]
    ])
    expect(e.message).toContain(`1 term is not validated: 'IFNJ'\n    → fix typos, remove non-existent values, or save terms via .addNewFrom("perturbation")`)
    expect(e.message).toContain("1 term is not validated: 'ENSG_TYPO'")
  })

  it("refuses a schema that is not composite", async () => {
    const e = await i.fail(Effect.flatMap(adataOf(GENES, ["DMSO"]), (a) => AnnDataCurator.make(a, "obs perturbation")))
    expect(e._tag).toBe("InvalidArgument")
  })
})
