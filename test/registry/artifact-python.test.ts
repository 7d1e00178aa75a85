/**
 * Python's anndata reads what `Artifact.fromAnnData` stored (the bytes in storage, not a copy
 * Lamina made for the test), as `.h5ad` and as AnnData zarr.
 */
import { Effect } from "effect"
import { expect, it } from "vitest"
import { Artifact } from "../../src/registry/Artifact.js"
import { describeBackends } from "../support/backends.js"
import { describeWithPython, runPythonJson } from "../support/python.js"
import { sampleAnnData } from "./samples.js"

const PY_READ = `
import anndata as ad, numpy as np, pandas as pd, json, sys, warnings
warnings.simplefilter("ignore")
p, fmt = sys.argv[1], sys.argv[2]
a = ad.read_h5ad(p) if fmt == "h5ad" else ad.read_zarr(p)
ct = a.obs["cell_type"]
print(json.dumps({
    "shape": list(a.shape),
    "obs_names": list(a.obs_names),
    "var_names": list(a.var_names),
    "var_index_name": a.var.index.name,
    "cell_type_dtype": str(ct.dtype),
    "categories": [str(c) for c in ct.cat.categories],
    "cell_type": [None if pd.isna(v) else str(v) for v in ct],
    "is_doublet_dtype": str(a.obs["is_doublet"].dtype),
    "is_doublet": [bool(v) for v in a.obs["is_doublet"]],
    "n_genes_dtype": str(a.obs["n_genes"].dtype),
    "X_dtype": str(a.X.dtype),
    "X": np.asarray(a.X).tolist(),
}))
`

describeWithPython("Python reads stored AnnData artifacts", () => {
  describeBackends("fromAnnData → anndata", ({ instance }) => {
    for (const format of ["h5ad", "zarr"] as const) {
      it(`reads the stored ${format}: categorical, boolean, index, X`, async () => {
        const i = await instance()
        const a = await i.run(Effect.flatMap(Effect.flatMap(sampleAnnData(), (adata) => Artifact.fromAnnData(adata, { key: `py/sample.${format}` })), (p) => p.save()))
        const local = await i.run(a.cache())
        const read = runPythonJson<Record<string, unknown>>(PY_READ, { args: [local, format] })
        expect(read).toEqual({
          shape: [4, 3],
          obs_names: ["c0", "c1", "c2", "c3"],
          var_names: ["g0", "g1", "g2"],
          var_index_name: "gene_id",
          cell_type_dtype: "category",
          categories: ["B", "T"],
          cell_type: ["B", "T", "B", null],
          is_doublet_dtype: "bool",
          is_doublet: [false, true, false, false],
          n_genes_dtype: "int32",
          X_dtype: "float32",
          X: [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
        })
      })
    }
  })
})
