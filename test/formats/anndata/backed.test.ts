import * as fs from "node:fs"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BackedAnnData } from "../../../src/formats/anndata/backed.js"
import { indexValues } from "../../../src/formats/anndata/dataframe-index.js"
import { DenseArray } from "../../../src/formats/anndata/dense-array.js"
import { openH5ad } from "../../../src/formats/anndata/h5/open-h5ad.js"
import { readH5ad } from "../../../src/formats/anndata/h5/read-h5ad.js"
import { range } from "../../../src/formats/anndata/slicing.js"
import { SparseMatrix } from "../../../src/formats/anndata/sparse-matrix.js"
import { openAnnDataZarr } from "../../../src/formats/zarr/anndata-zarr.js"
import { describeWithPython, tempDir } from "../../support/python.js"
import { COUNTS, expectRich, rows } from "./expect-rich.js"
import { writeRichFixtures } from "./fixtures.js"

const X_ROWS = Array.from({ length: 7 }, (_, i) => Array.from({ length: 5 }, (_, j) => i * 5 + j))
const pick = (m: number[][], r: ReadonlyArray<number>, c: ReadonlyArray<number>) => r.map((i) => c.map((j) => m[i][j]))
const ALL_COLS = [0, 1, 2, 3, 4]

const denseRows = (m: unknown): number[][] => {
  if (m instanceof SparseMatrix) return rows(m.toDense())
  return rows(m as DenseArray)
}

/** The same checks over any backed container. */
const checkBacked = (adata: BackedAnnData) =>
  Effect.gen(function*() {
    expect(adata.shape).toEqual([7, 5])
    expect(adata.X?.format).toBe("dense")
    expect(adata.obsKeys).toEqual(["cell_type", "stage", "n_counts", "n_genes", "is_doublet", "barcode", "maybe_int", "maybe_bool"])
    expect(adata.varKeys).toEqual(["highly_variable", "mean", "gene_name"])
    expect([...adata.obsmKeys]).toEqual(["X_pca", "sparse_emb"])
    expect([...adata.unsKeys].sort()).toEqual(["colors", "flag", "ints", "mask", "n_pcs", "nested", "pi", "table", "title", "weights"])

    // dense X: ranges, lists (unordered, repeated), both
    const X = adata.X!
    expect(rows((yield* X.slice(range(2, 5))) as DenseArray)).toEqual(pick(X_ROWS, [2, 3, 4], ALL_COLS))
    expect(rows((yield* X.slice(undefined, [4, 0, 0])) as DenseArray)).toEqual(pick(X_ROWS, [0, 1, 2, 3, 4, 5, 6], [4, 0, 0]))
    expect(rows((yield* X.slice([6, 0, 3, 4], range(1, 4))) as DenseArray)).toEqual(pick(X_ROWS, [6, 0, 3, 4], [1, 2, 3]))
    expect((yield* X.slice(range(3, 3))).shape).toEqual([0, 5])
    expect(rows((yield* X.read()) as DenseArray)).toEqual(X_ROWS)

    // CSR layer: row ranges (fast path), row lists, column filters
    const csr = adata.layers["counts_csr"]
    expect(csr.format).toBe("csr")
    const csrRows = (yield* csr.slice(range(1, 4))) as SparseMatrix
    expect([csrRows.format, csrRows.shape, csrRows.dtype]).toEqual(["csr", [3, 5], "int64"])
    expect(denseRows(csrRows)).toEqual(pick(COUNTS, [1, 2, 3], ALL_COLS))
    expect(denseRows(yield* csr.slice([5, 0, 5], [4, 1, 3, 3]))).toEqual(pick(COUNTS, [5, 0, 5], [4, 1, 3, 3]))
    expect(denseRows(yield* csr.slice(undefined, range(2, 4)))).toEqual(pick(COUNTS, [0, 1, 2, 3, 4, 5, 6], [2, 3]))

    // CSC layer: rows are the minor axis
    const csc = adata.layers["counts_csc"]
    expect(csc.format).toBe("csc")
    const cscPart = (yield* csc.slice([3, 5], range(0, 5))) as SparseMatrix
    expect(cscPart.format).toBe("csc")
    expect(denseRows(cscPart)).toEqual(pick(COUNTS, [3, 5], ALL_COLS))
    expect(denseRows(yield* csc.slice(range(0, 7), [4, 0]))).toEqual(pick(COUNTS, [0, 1, 2, 3, 4, 5, 6], [4, 0]))

    // obs / var: only the asked columns
    const obs = yield* adata.obs(["cell_type", "maybe_int"])
    expect(obs.schema.fields.map((f) => f.name)).toEqual(["_index", "cell_type", "maybe_int"])
    expect(indexValues(obs)).toEqual(Array.from({ length: 7 }, (_, i) => `cell${i}`))
    const names = yield* adata.var([])
    expect(names.schema.fields.map((f) => f.name)).toEqual(["gene_id"])
    expect(yield* adata.uns("n_pcs")).toBe(50)
    expect(yield* adata.uns("nested")).toMatchObject({ a: 1, b: { c: "deep" } })
    expect((yield* adata.obsp("distances")).format).toBe("csr")

    // everything
    expectRich(yield* adata.toMemory())
  })

describeWithPython("backed AnnData (partial reads)", () => {
  let dir: string
  let rich: { h5ad: string; zarr: string }
  beforeAll(() => {
    dir = tempDir("lamina-backed-")
    rich = writeRichFixtures(dir)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("openH5ad reads slices and columns directly from the file", () =>
    Effect.scoped(Effect.flatMap(openH5ad(rich.h5ad), checkBacked)))

  it.effect("openH5ad reads slices and columns through h5wasm, in tiny chunks", () =>
    Effect.scoped(Effect.flatMap(openH5ad(rich.h5ad, { chunkBytes: 5, direct: false }), checkBacked)))

  it.effect("openAnnDataZarr reads the same from a zarr store", () =>
    Effect.flatMap(openAnnDataZarr(rich.zarr), checkBacked))

  it.effect("backed reads equal full reads", () =>
    Effect.scoped(Effect.gen(function*() {
      const full = yield* readH5ad(rich.h5ad)
      const backed = yield* openH5ad(rich.h5ad, { chunkBytes: 7 })
      expect(yield* backed.X!.slice()).toEqual(full.X)
      expect(yield* backed.layers["counts_csr"].read()).toEqual(full.layers["counts_csr"])
    })))

  it.effect("the file closes with the scope", () =>
    Effect.gen(function*() {
      const backed = yield* Effect.scoped(openH5ad(rich.h5ad))
      const after = yield* Effect.either(backed.X!.slice(range(0, 1)))
      expect(after._tag).toBe("Left")
    }))
})
