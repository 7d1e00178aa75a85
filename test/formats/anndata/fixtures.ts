/**
 * Python-side fixtures and checks for the AnnData format tests (run with /usr/bin/python3).
 */
import * as path from "node:path"
import { runPython, runPythonJson } from "../../support/python.js"

/** A rich AnnData exercising every encoding anndata 0.8 writes. Same data as {@link richExpectations}. */
export const RICH_ANNDATA_PY = `
import numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad, warnings
warnings.simplefilter("ignore")

def rich():
    n_obs, n_var = 7, 5
    obs = pd.DataFrame({
        "cell_type": pd.Categorical(["T", "B", "T", "NK", "B", None, "T"], categories=["B", "NK", "T"]),
        "stage": pd.Categorical(["early", "late", "mid", "early", "late", "mid", "early"],
                                categories=["early", "mid", "late"], ordered=True),
        "n_counts": np.arange(n_obs, dtype=np.float64) * 1.5,
        "n_genes": np.arange(n_obs, dtype=np.int32) * 3,
        "is_doublet": np.array([True, False, False, True, False, False, True]),
        "barcode": np.array([f"AC{i}GT" for i in range(n_obs)], dtype=object),
        "maybe_int": pd.array([1, None, 3, 4, None, 6, 7], dtype="Int64"),
        "maybe_bool": pd.array([True, None, False, True, False, None, True], dtype="boolean"),
    }, index=[f"cell{i}" for i in range(n_obs)])
    var = pd.DataFrame({
        "highly_variable": np.array([True, False, True, False, True]),
        "mean": np.linspace(0, 1, n_var).astype(np.float32),
        "gene_name": np.array([f"G{i}" for i in range(n_var)], dtype=object),
    }, index=pd.Index([f"ENSG{i:05d}" for i in range(n_var)], name="gene_id"))
    X = np.arange(n_obs * n_var, dtype=np.float32).reshape(n_obs, n_var)
    a = ad.AnnData(X=X, obs=obs, var=var)
    counts = np.array([[0, 1, 0, 0, 2], [0, 0, 0, 3, 0], [4, 0, 0, 0, 0], [0, 0, 5, 0, 6],
                       [0, 0, 0, 0, 0], [7, 0, 0, 8, 0], [0, 9, 0, 0, 0]], dtype=np.int64)
    a.layers["counts_csr"] = sp.csr_matrix(counts)
    a.layers["counts_csc"] = sp.csc_matrix(counts.astype(np.float32))
    a.layers["dense_i32"] = counts.astype(np.int32)
    a.obsm["X_pca"] = np.arange(n_obs * 3, dtype=np.float64).reshape(n_obs, 3) / 7
    a.obsm["sparse_emb"] = sp.csr_matrix(counts[:, :4].astype(np.float64))
    a.varm["loadings"] = np.arange(n_var * 2, dtype=np.float32).reshape(n_var, 2)
    a.obsp["distances"] = sp.csr_matrix(np.eye(n_obs, dtype=np.float32) * 0.5)
    a.varp["corr"] = np.eye(n_var, dtype=np.float64)
    a.uns["title"] = "rich fixture \\u00e9\\u00e8"
    a.uns["n_pcs"] = 50
    a.uns["pi"] = 3.25
    a.uns["flag"] = True
    a.uns["colors"] = np.array(["red", "blue"], dtype=object)
    a.uns["weights"] = np.array([1.5, 2.5])
    a.uns["ints"] = np.array([1, 2, 3])
    a.uns["mask"] = np.array([True, False, True])
    a.uns["nested"] = {"a": 1, "b": {"c": "deep", "d": np.array([[1, 2], [3, 4]], dtype=np.int16)}}
    a.uns["table"] = pd.DataFrame({"x": [1, 2], "y": ["u", "v"]}, index=["r1", "r2"])
    return a
`

/** Writes `rich.h5ad` and `rich.zarr` (anndata 0.8, as Python writes them) into `dir`. */
export const writeRichFixtures = (dir: string): { h5ad: string; zarr: string } => {
  const h5ad = path.join(dir, "rich.h5ad")
  const zarr = path.join(dir, "rich.zarr")
  runPython(`${RICH_ANNDATA_PY}
a = rich()
a.write_h5ad(${JSON.stringify(h5ad)})
a.write_zarr(${JSON.stringify(zarr)})
`)
  return { h5ad, zarr }
}

/** Python: reads two AnnData files and asserts they are equal in every element, value and dtype. */
export const PY_COMPARE = `
import numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad, json, sys, warnings
warnings.simplefilter("ignore")

def load(p):
    return ad.read_h5ad(p) if p.endswith(".h5ad") else ad.read_zarr(p)

def same(x, y, where):
    if isinstance(x, pd.DataFrame):
        assert isinstance(y, pd.DataFrame), where
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=where)
        assert x.index.name == y.index.name, (where, x.index.name, y.index.name)
    elif sp.issparse(x):
        assert sp.issparse(y) and x.format == y.format, (where, type(y))
        assert x.dtype == y.dtype and x.shape == y.shape, (where, x.dtype, y.dtype)
        assert (x != y).nnz == 0, where
    elif isinstance(x, np.ndarray):
        assert isinstance(y, np.ndarray), (where, type(y))
        assert x.dtype == y.dtype and x.shape == y.shape, (where, x.dtype, y.dtype, x.shape, y.shape)
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), where
    elif isinstance(x, dict) or hasattr(x, "keys"):
        assert set(x.keys()) == set(y.keys()), (where, sorted(x.keys()), sorted(y.keys()))
        for k in x.keys():
            same(x[k], y[k], f"{where}/{k}")
    elif isinstance(x, (str, bool, int, float, np.generic)):
        assert type(x) == type(y) and x == y, (where, x, y, type(x), type(y))
    else:
        raise AssertionError(f"{where}: unhandled {type(x)}")

a, b = load(sys.argv[1]), load(sys.argv[2])
same(a.obs, b.obs, "obs")
same(a.var, b.var, "var")
same(a.X, b.X, "X")
for m in ["layers", "obsm", "varm", "obsp", "varp"]:
    same(dict(getattr(a, m)), dict(getattr(b, m)), m)
same(dict(a.uns), dict(b.uns), "uns")
print(json.dumps({"ok": True}))
`

/** Asserts (in Python) that two AnnData files are equal; throws with Python's message otherwise. */
export const pythonAssertSame = (a: string, b: string): void => {
  runPythonJson(PY_COMPARE, { args: [a, b] })
}

/** Python: summarizes an AnnData file as JSON (types, values, categories, index). */
export const PY_SUMMARY = `
import numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad, json, sys, warnings
warnings.simplefilter("ignore")
p = sys.argv[1]
a = ad.read_h5ad(p) if p.endswith(".h5ad") else ad.read_zarr(p)

def col(s):
    d = {"dtype": str(s.dtype)}
    if str(s.dtype) == "category":
        d["categories"] = [str(c) for c in s.cat.categories]
        d["ordered"] = bool(s.cat.ordered)
        d["codes_dtype"] = str(s.cat.codes.dtype)
        d["values"] = [None if pd.isna(v) else str(v) for v in s]
    else:
        d["values"] = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in s]
    return d

def frame(df):
    return {"index": [str(i) for i in df.index], "index_name": df.index.name,
            "columns": {c: col(df[c]) for c in df.columns}}

def value(v):
    if isinstance(v, pd.DataFrame):
        return {"type": "DataFrame", **frame(v)}
    if sp.issparse(v):
        return {"type": v.format, "dtype": str(v.dtype), "shape": list(v.shape), "dense": v.toarray().tolist()}
    if isinstance(v, np.ndarray):
        return {"type": "ndarray", "dtype": str(v.dtype), "shape": list(v.shape), "values": v.tolist()}
    if hasattr(v, "keys"):
        return {k: value(v[k]) for k in v.keys()}
    return {"type": type(v).__name__, "value": v.item() if hasattr(v, "item") else v}

print(json.dumps({
    "shape": list(a.shape), "obs": frame(a.obs), "var": frame(a.var),
    "X": value(a.X) if a.X is not None else None,
    "layers": {k: value(v) for k, v in a.layers.items()},
    "obsm": {k: value(v) for k, v in a.obsm.items()},
    "varm": {k: value(v) for k, v in a.varm.items()},
    "obsp": {k: value(v) for k, v in a.obsp.items()},
    "varp": {k: value(v) for k, v in a.varp.items()},
    "uns": value(a.uns),
}))
`

/** JSON summary of an AnnData file as Python sees it. */
export interface PySummary {
  readonly shape: [number, number]
  readonly obs: PyFrame
  readonly var: PyFrame
  readonly X: PyValue | null
  readonly layers: Record<string, PyValue>
  readonly obsm: Record<string, PyValue>
  readonly varm: Record<string, PyValue>
  readonly obsp: Record<string, PyValue>
  readonly varp: Record<string, PyValue>
  readonly uns: Record<string, unknown>
}

/** One dataframe as Python sees it. */
export interface PyFrame {
  readonly index: string[]
  readonly index_name: string | null
  readonly columns: Record<string, { dtype: string; values: unknown[]; categories?: string[]; ordered?: boolean; codes_dtype?: string }>
}

/** One value as Python sees it. */
export interface PyValue {
  readonly type: string
  readonly dtype?: string
  readonly shape?: number[]
  readonly values?: unknown
  readonly dense?: number[][]
  readonly value?: unknown
}

/** Summarizes an AnnData file with Python's anndata. */
export const pythonSummary = (file: string): PySummary => runPythonJson<PySummary>(PY_SUMMARY, { args: [file] })
