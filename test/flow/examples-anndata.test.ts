/**
 * The anndata example pipeline: simulate → filter_cells → cell_type_counts; stored as .h5ad and
 * AnnData zarr with the categorical obs columns kept; the rerun is fully cached.
 */
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { expect, it } from "vitest"
import * as anndataExample from "../../examples/pipelines/anndata/main.js"
import { collectProgress, FlowConfig } from "../../src/flow/index.js"
import { indexValues } from "../../src/formats/anndata/dataframe-index.js"
import { describeBackends } from "../support/backends.js"

describeBackends("examples: anndata", ({ instance }) => {
  it("filters cells, stores h5ad and zarr with categoricals, counts cell types; the rerun is cached", async () => {
    const i = await instance()
    const run = () => {
      const p = collectProgress()
      return Effect.map(
        Effect.provide(anndataExample.main({ workDir: path.join(i.dir, "work") }), Layer.succeed(FlowConfig, { progress: p.sink })),
        (out) => ({ out, steps: p.events.filter((e) => e.kind === "step" && e.status !== "running") })
      )
    }
    const first = await i.run(run())
    expect(first.steps.map((e) => [e.name, e.status])).toEqual([["simulate", "done"], ["filter_cells", "done"], ["cell_type_counts", "done"]])
    const { raw, filtered_h5ad, filtered_zarr, cell_types } = first.out
    expect(raw).toMatchObject({ otype: "AnnData", n_observations: 400, suffix: ".h5ad" })
    expect(filtered_h5ad).toMatchObject({ otype: "AnnData", suffix: ".h5ad" })
    expect(filtered_zarr).toMatchObject({ otype: "AnnData", suffix: ".zarr", n_observations: filtered_h5ad.n_observations })
    const kept = filtered_h5ad.n_observations!
    expect(kept).toBeGreaterThan(200)
    expect(kept).toBeLessThan(400)
    for (const a of [filtered_h5ad, filtered_zarr]) {
      const adata = await i.run(a.loadAnnData())
      expect(adata.obs.numRows).toBe(kept)
      expect(String(adata.obs.getChild("cell_type")!.type)).toMatch(/^Dictionary/)
      expect([...adata.obs.getChild("is_doublet")!].every((d: unknown) => d === false)).toBe(true)
      expect(indexValues(adata.obs).every((n) => /^cell\d{4}$/.test(n))).toBe(true)
      expect(adata.uns["qc"]).toMatchObject({ min_counts: 40, drop_doublets: true, n_cells_before: 400 })
    }
    const counts = await i.run(cell_types.loadTable())
    expect([...counts.getChild("n_cells")!].reduce((s: number, n: unknown) => s + Number(n), 0)).toBe(kept)
    expect([...counts.getChild("cell_type")!]).toEqual(["B", "CD4 T", "CD8 T", "Monocyte", "NK"])

    const second = await i.run(run())
    expect(second.steps.map((e) => e.status)).toEqual(["cached", "cached", "cached"])
    expect(second.out.filtered_zarr.uid).toBe(filtered_zarr.uid)
  })
})
