/**
 * LaminDB's "Curate datasets" walk-through in TypeScript: valid labels, a DataFrame schema,
 * a curated table saved as an artifact and found by its parsed label, the IFNJ typo caught by
 * validation, and a composite AnnData schema (obs: perturbation, var: Ensembl ids of Record
 * type "Gene") validated and saved with a schema per slot.
 *
 * @module
 */
import { Dictionary, Int8, Int64, Table, Utf8, vectorFromArray, type Vector } from "apache-arrow"
import { Effect } from "effect"
import { AnnDataCurator, DataFrameCurator } from "../../../src/curate/index.js"
import { dataframeTable, DenseArray, makeAnnData } from "../../../src/formats/index.js"
import { Artifact } from "../../../src/registry/Artifact.js"
import { Feature } from "../../../src/registry/Feature.js"
import { Record } from "../../../src/registry/Record.js"
import { Schema } from "../../../src/registry/Schema.js"
import { ULabel } from "../../../src/registry/ULabel.js"
import type { ExampleContext } from "../_lib/example.js"

export const description = "LaminDB's curate walk-through: DataFrame schema with a ULabel perturbation, the IFNJ typo, a composite AnnData schema, saveArtifact, query by label"

const GENES = ["ENSG00000153563", "ENSG00000010610", "ENSG00000170458"]

/** The walk-through's table: three gene columns, perturbation, and seven extra columns. */
const dataset = (perturbation: ReadonlyArray<string>): Table => {
  const n = perturbation.length
  const columns: globalThis.Record<string, Vector> = {}
  for (const [g, gene] of GENES.entries()) columns[gene] = vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i * 10 + g)), new Int64())
  columns.perturbation = vectorFromArray([...perturbation], new Utf8())
  for (const extra of ["sample_note", "cell_type_by_expert", "cell_type_by_model", "assay_oid", "concentration", "treatment_time_h", "donor"])
    columns[extra] = vectorFromArray(Array.from({ length: n }, (_, i) => `${extra} ${i}`), new Utf8())
  return new Table(columns)
}

export const main = (_ctx: ExampleContext) =>
  Effect.gen(function* () {
    // 1. valid labels
    const perturbationType = yield* ULabel.create({ name: "Perturbation", is_type: true })
    yield* ULabel.create({ name: "DMSO", type: perturbationType })
    yield* ULabel.create({ name: "IFNG", type: perturbationType })
    // 2. a DataFrame schema; the same definition again returns the existing schema
    for (const gene of GENES) yield* Feature.create({ name: gene, dtype: "int" })
    yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
    const schema = yield* Schema.create({ name: "My DataFrame schema", features: [...GENES, "perturbation"] })
    yield* Schema.create({ name: "My DataFrame schema", features: [...GENES, "perturbation"] })
    // 3. curate and save (extra columns are fine: maximal_set is false)
    const curator = yield* DataFrameCurator.make(dataset(["DMSO", "IFNG", "DMSO", "IFNG"]), schema)
    const artifact = yield* curator.saveArtifact({ key: "examples/dataset1.parquet" })
    // 4. the categorical values became labels
    const found = yield* Artifact.filter({ ulabels__name: "IFNG" }).toArray()
    yield* Effect.log(`Artifact.filter({ ulabels__name: "IFNG" }) → ${found.map((a) => a.key).join(", ")}`)
    // 5. a typo fails validation with every problem
    const typo = yield* Effect.flip(Effect.flatMap(DataFrameCurator.make(dataset(["DMSO", "IFNJ"]), schema), (c) => c.validate()))
    yield* Effect.log(`ValidationError: ${typo.message}`)
    // 6. AnnData: var index against Record type "Gene", obs against a perturbation schema
    const gene = yield* Record.create({ name: "Gene", is_type: true })
    for (const id of GENES) yield* Record.create({ name: id, type: gene })
    const varSchema = yield* Schema.create({ name: "var: Ensembl genes", itype: "Record[Gene].name", dtype: "int" })
    const obsSchema = yield* Schema.create({ name: "obs: perturbation", features: ["perturbation"] })
    const anndataSchema = yield* Schema.create({ name: "AnnData: perturbation × genes", otype: "AnnData", components: { obs: obsSchema, var: varSchema } })
    const adata = yield* makeAnnData({
      X: DenseArray.of(Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), [3, 3]),
      obs: dataframeTable(["cell1", "cell2", "cell3"], [
        { name: "perturbation", vector: vectorFromArray(["DMSO", "IFNG", "DMSO"], new Dictionary(new Utf8(), new Int8())) }
      ]),
      var: dataframeTable(GENES, [])
    })
    const anndata = yield* Effect.flatMap(AnnDataCurator.make(adata, anndataSchema), (c) => c.saveArtifact({ key: "examples/dataset1.h5ad", description: "curated AnnData" }))
    return { dataset: artifact, anndata, found_by_label: found.some((a) => a.uid === artifact.uid), typo: typo.message.split("\n")[0] }
  })
