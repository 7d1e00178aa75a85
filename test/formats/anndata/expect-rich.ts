/**
 * What Lamina must read from the rich fixture of `fixtures.ts` (whichever container it came in).
 */
import { expect } from "vitest"
import { Dictionary, type Table } from "apache-arrow"
import type { AnnData } from "../../../src/formats/anndata/anndata.js"
import { ENCODING_KEY, INDEX_KEY, indexValues } from "../../../src/formats/anndata/dataframe-index.js"
import { DenseArray } from "../../../src/formats/anndata/dense-array.js"
import { SparseMatrix } from "../../../src/formats/anndata/sparse-matrix.js"
import { describeTable } from "../../../src/formats/table/describe.js"

export const COUNTS = [
  [0, 1, 0, 0, 2],
  [0, 0, 0, 3, 0],
  [4, 0, 0, 0, 0],
  [0, 0, 5, 0, 6],
  [0, 0, 0, 0, 0],
  [7, 0, 0, 8, 0],
  [0, 9, 0, 0, 0]
]

/** Rows of a 2-D dense array as nested JS numbers. */
export const rows = (a: DenseArray): number[][] => {
  const [n, m] = a.shape
  return Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => Number(a.data[i * m + j])))
}

const column = (t: Table, name: string): unknown[] => {
  const v = t.getChild(name)!
  return Array.from({ length: t.numRows }, (_, i) => {
    const x: unknown = v.get(i)
    return x === null || x === undefined ? null : typeof x === "bigint" ? Number(x) : x
  })
}

/** Asserts `adata` is the rich fixture. */
export const expectRich = (adata: AnnData): void => {
  // X
  expect(adata.X).toBeInstanceOf(DenseArray)
  const X = adata.X as DenseArray
  expect(X.dtype).toBe("float32")
  expect(X.shape).toEqual([7, 5])
  expect(Array.from(X.numeric as Float32Array)).toEqual(Array.from({ length: 35 }, (_, i) => i))

  // obs
  const obs = adata.obs
  expect(obs.schema.metadata.get(INDEX_KEY)).toBe("_index")
  expect(indexValues(obs)).toEqual(Array.from({ length: 7 }, (_, i) => `cell${i}`))
  expect(describeTable(obs).columns).toEqual([
    { name: "_index", type: "string" },
    { name: "cell_type", type: "category[string]" },
    { name: "stage", type: "category[string]" },
    { name: "n_counts", type: "float64" },
    { name: "n_genes", type: "int32" },
    { name: "is_doublet", type: "bool" },
    { name: "barcode", type: "string" },
    { name: "maybe_int", type: "int64" },
    { name: "maybe_bool", type: "bool" }
  ])
  expect(column(obs, "cell_type")).toEqual(["T", "B", "T", "NK", "B", null, "T"])
  const cellType = obs.schema.fields.find((f) => f.name === "cell_type")!.type as Dictionary
  expect(cellType).toBeInstanceOf(Dictionary)
  expect(cellType.isOrdered).toBe(false)
  expect([...obs.getChild("cell_type")!.data[0].dictionary!]).toEqual(["B", "NK", "T"])
  const stage = obs.schema.fields.find((f) => f.name === "stage")!.type as Dictionary
  expect(stage).toBeInstanceOf(Dictionary)
  expect(stage.isOrdered).toBe(true)
  expect([...obs.getChild("stage")!.data[0].dictionary!]).toEqual(["early", "mid", "late"])
  expect(column(obs, "n_counts")).toEqual([0, 1.5, 3, 4.5, 6, 7.5, 9])
  expect(column(obs, "n_genes")).toEqual([0, 3, 6, 9, 12, 15, 18])
  expect(column(obs, "is_doublet")).toEqual([true, false, false, true, false, false, true])
  expect(column(obs, "barcode")).toEqual(Array.from({ length: 7 }, (_, i) => `AC${i}GT`))
  expect(column(obs, "maybe_int")).toEqual([1, null, 3, 4, null, 6, 7])
  expect(obs.schema.fields.find((f) => f.name === "maybe_int")!.metadata.get(ENCODING_KEY)).toBe("nullable-integer")
  expect(column(obs, "maybe_bool")).toEqual([true, null, false, true, false, null, true])
  expect(obs.schema.fields.find((f) => f.name === "maybe_bool")!.metadata.get(ENCODING_KEY)).toBe("nullable-boolean")

  // var (named index)
  const v = adata.var
  expect(v.schema.metadata.get(INDEX_KEY)).toBe("gene_id")
  expect(indexValues(v)).toEqual(["ENSG00000", "ENSG00001", "ENSG00002", "ENSG00003", "ENSG00004"])
  expect(describeTable(v).columns.map((c) => c.type)).toEqual(["string", "bool", "float32", "string"])
  expect(column(v, "highly_variable")).toEqual([true, false, true, false, true])
  expect(column(v, "mean")).toEqual([0, 0.25, 0.5, 0.75, 1])

  // layers
  const csr = adata.layers["counts_csr"] as SparseMatrix
  expect(csr).toBeInstanceOf(SparseMatrix)
  expect(csr.format).toBe("csr")
  expect(csr.dtype).toBe("int64")
  expect(rows(csr.toDense())).toEqual(COUNTS)
  const csc = adata.layers["counts_csc"] as SparseMatrix
  expect(csc.format).toBe("csc")
  expect(csc.dtype).toBe("float32")
  expect(rows(csc.toDense())).toEqual(COUNTS)
  expect((adata.layers["dense_i32"] as DenseArray).dtype).toBe("int32")
  expect(rows(adata.layers["dense_i32"] as DenseArray)).toEqual(COUNTS)

  // obsm, varm, obsp, varp
  const pca = adata.obsm["X_pca"] as DenseArray
  expect([pca.dtype, pca.shape]).toEqual(["float64", [7, 3]])
  expect(pca.data[20]).toBeCloseTo(20 / 7, 15)
  expect((adata.obsm["sparse_emb"] as SparseMatrix).shape).toEqual([7, 4])
  expect(rows((adata.obsm["sparse_emb"] as SparseMatrix).toDense())).toEqual(COUNTS.map((r) => r.slice(0, 4)))
  expect((adata.varm["loadings"] as DenseArray).shape).toEqual([5, 2])
  const dist = adata.obsp["distances"] as SparseMatrix
  expect([dist.format, dist.nnz, dist.shape]).toEqual(["csr", 7, [7, 7]])
  expect((adata.varp["corr"] as DenseArray).dtype).toBe("float64")

  // uns
  const uns = adata.uns
  expect(uns["title"]).toBe("rich fixture éè")
  expect(uns["n_pcs"]).toBe(50)
  expect(uns["pi"]).toBe(3.25)
  expect(uns["flag"]).toBe(true)
  expect(uns["colors"]).toEqual(DenseArray.strings(["red", "blue"]))
  expect(uns["weights"]).toEqual(DenseArray.of(Float64Array.of(1.5, 2.5)))
  expect(uns["ints"]).toEqual(DenseArray.of(BigInt64Array.of(1n, 2n, 3n)))
  expect(uns["mask"]).toEqual(DenseArray.bool([true, false, true]))
  expect(uns["nested"]).toEqual({ a: 1, b: { c: "deep", d: DenseArray.of(Int16Array.of(1, 2, 3, 4), [2, 2]) } })
  const table = uns["table"] as Table
  expect(indexValues(table)).toEqual(["r1", "r2"])
  expect(column(table, "x")).toEqual([1, 2])
  expect(column(table, "y")).toEqual(["u", "v"])
  expect(table.schema.fields.find((f) => f.name === "cell_type")).toBeUndefined()
}
