/**
 * AnnData QC: simulate a small single-cell dataset, filter out low-quality cells and doublets,
 * and count the cell types that remain.
 *
 *   simulate ─ raw.h5ad ─ filter_cells ─┬─ filtered.h5ad
 *                                       └─ filtered.zarr ─ cell_type_counts → cell_types.parquet
 *
 * `filter_cells` opens the raw `.h5ad` backed: it reads the obs columns it needs, then only the
 * rows of X it keeps. The filtered AnnData (categoricals, booleans and the cell index kept) is
 * stored twice, as `.h5ad` and as an AnnData zarr store, both of which Python's anndata reads.
 * Every step is a cached run: the second `npm run example -- anndata` reuses all of them.
 *
 * @module
 */
import { Float64, Int32, Table, Utf8, vectorFromArray } from "apache-arrow"
import { Effect } from "effect"
import { flow, step } from "../../../src/flow/index.js"
import { makeAnnData } from "../../../src/formats/anndata/anndata.js"
import { takeRows } from "../../../src/formats/table/take.js"
import { Artifact, type PendingArtifact } from "../../../src/registry/Artifact.js"
import type { ExampleContext } from "../_lib/example.js"
import { simulatePbmc } from "./data.js"

export const description = "Simulate single-cell counts (.h5ad), filter cells in a step (backed reads), store the result as .h5ad and AnnData zarr, count cell types"

/** Register a pending artifact (inside a step it becomes the step's output). */
const save = <E, R>(pending: Effect.Effect<PendingArtifact, E, R>) => Effect.flatMap(pending, (p) => p.save())

/** The raw dataset, an `.h5ad` artifact. */
export const simulate = step("simulate", (seed: number, n_cells: number, n_genes: number) =>
  Effect.gen(function* () {
    const adata = yield* simulatePbmc(seed, n_cells, n_genes)
    return yield* save(Artifact.fromAnnData(adata, { key: "anndata/raw/pbmc-synthetic.h5ad", description: `synthetic PBMC-like counts, seed ${seed}` }))
  })
)

/** Keep cells with enough counts and genes, drop doublets; store the result as h5ad and zarr. */
export const filterCells = step("filter_cells", (raw: Artifact, min_counts = 40, min_genes = 15, drop_doublets = true) =>
  Effect.scoped(
    Effect.gen(function* () {
      const backed = yield* raw.openAnnData()
      const qc = yield* backed.obs(["n_counts", "n_genes", "is_doublet"])
      const counts = qc.getChild("n_counts")!
      const genes = qc.getChild("n_genes")!
      const doublets = qc.getChild("is_doublet")!
      const keep: Array<number> = []
      for (let i = 0; i < qc.numRows; i++) {
        if (counts.get(i) >= min_counts && genes.get(i) >= min_genes && !(drop_doublets && doublets.get(i) === true)) keep.push(i)
      }
      yield* Effect.log(`keeping ${keep.length} of ${backed.shape[0]} cells`)
      const filtered = yield* makeAnnData({
        X: yield* backed.X!.slice(keep),
        obs: yield* takeRows(yield* backed.obs(), keep),
        var: yield* backed.var(),
        uns: { qc: { min_counts, min_genes, drop_doublets, n_cells_before: backed.shape[0] } }
      })
      const h5ad = yield* save(Artifact.fromAnnData(filtered, { key: "anndata/filtered/pbmc.h5ad", description: "cells passing QC" }))
      const zarr = yield* save(Artifact.fromAnnData(filtered, { key: "anndata/filtered/pbmc.zarr", description: "cells passing QC (AnnData zarr)" }))
      return { h5ad, zarr }
    })
  )
)

/** Cells per type in the filtered data, as a Parquet table. */
export const cellTypeCounts = step("cell_type_counts", (filtered: Artifact) =>
  Effect.scoped(
    Effect.gen(function* () {
      const backed = yield* filtered.openAnnData()
      const types = (yield* backed.obs(["cell_type"])).getChild("cell_type")!
      const counts = new Map<string, number>()
      for (const t of types) counts.set(String(t), (counts.get(String(t)) ?? 0) + 1)
      const names = [...counts.keys()].sort()
      const table = new Table({
        cell_type: vectorFromArray(names, new Utf8()),
        n_cells: vectorFromArray(names.map((n) => counts.get(n)!), new Int32()),
        fraction: vectorFromArray(names.map((n) => counts.get(n)! / types.length), new Float64())
      })
      return yield* save(Artifact.fromTable(table, { key: "anndata/cell_types.parquet", description: "cells per type after QC" }))
    })
  )
)

/** The whole pipeline as one tracked flow. */
export const anndataQc = flow("anndata-qc", (seed: number, n_cells: number, n_genes: number) =>
  Effect.gen(function* () {
    const raw = yield* simulate(seed, n_cells, n_genes)
    const filtered = yield* filterCells(raw)
    const cellTypes = yield* cellTypeCounts(filtered.zarr)
    return { filtered_h5ad: filtered.h5ad, filtered_zarr: filtered.zarr, cell_types: cellTypes, raw }
  })
)

export const main = (_ctx: ExampleContext) => anndataQc(0, 400, 60)
