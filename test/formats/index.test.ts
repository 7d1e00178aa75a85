import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { tableFromArrays } from "apache-arrow"
import {
  DenseArray,
  describeFile,
  formatOf,
  loadByFormat,
  makeAnnData,
  writeArrowIpc,
  writeCsv,
  writeH5ad,
  writeParquet
} from "../../src/formats/index.js"
import { writeAnnDataZarr } from "../../src/formats/zarr/anndata-zarr.js"
import { writeRichFixtures } from "./anndata/fixtures.js"
import { describeWithPython, runPython, tempDir } from "../support/python.js"

describe("formatOf", () => {
  it("recognizes paths and bare suffixes", () => {
    expect(formatOf("data/x.parquet")).toBe("parquet")
    expect(formatOf("X.PARQUET")).toBe("parquet")
    expect(formatOf(".parquet")).toBe("parquet")
    expect(formatOf("parquet")).toBe("parquet")
    expect(formatOf("t.arrow")).toBe("arrow")
    expect(formatOf("t.feather")).toBe("arrow")
    expect(formatOf("t.csv")).toBe("csv")
    expect(formatOf("t.tsv")).toBe("csv")
    expect(formatOf("pbmc.h5ad")).toBe("h5ad")
    expect(formatOf("store.zarr/")).toBe("zarr")
    expect(formatOf("pbmc.anndata.zarr")).toBe("anndata-zarr")
    expect(formatOf(".anndata.zarr")).toBe("anndata-zarr")
    expect(formatOf("anndata.zarr")).toBe("anndata-zarr")
    expect(formatOf("notes.txt")).toBeUndefined()
    expect(formatOf("Makefile")).toBeUndefined()
  })
})

describe("loadByFormat and describeFile", () => {
  let dir: string
  beforeAll(() => {
    dir = tempDir("lamina-formats-")
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  const table = tableFromArrays({ a: Int32Array.of(1, 2, 3), b: Float64Array.of(0.5, 1, 1.5) })

  it.effect("tables: parquet, arrow, csv", () =>
    Effect.gen(function*() {
      const files = { parquet: "t.parquet", arrow: "t.arrow", csv: "t.csv" } as const
      yield* writeParquet(table, path.join(dir, files.parquet))
      yield* writeArrowIpc(table, path.join(dir, files.arrow))
      yield* writeCsv(table, path.join(dir, files.csv))
      for (const [format, name] of Object.entries(files)) {
        const p = path.join(dir, name)
        const loaded = yield* loadByFormat(p)
        expect(loaded._tag).toBe("DataFrame")
        if (loaded._tag === "DataFrame") {
          expect(loaded.format).toBe(format)
          expect(loaded.table.numRows).toBe(3)
        }
        expect(yield* describeFile(p)).toEqual({
          otype: "DataFrame",
          format,
          kind: "dataset",
          n_observations: 3,
          columns: [{ name: "a", type: "int32" }, { name: "b", type: "float64" }]
        })
      }
    }))

  it.effect("AnnData: h5ad and zarr (a plain .zarr suffix is recognized by its metadata)", () =>
    Effect.gen(function*() {
      const adata = yield* makeAnnData({ X: DenseArray.of(new Float32Array(6), [3, 2]), uns: { k: "v" } })
      const h5 = path.join(dir, "a.h5ad")
      const z = path.join(dir, "a.zarr")
      yield* writeH5ad(adata, h5)
      yield* writeAnnDataZarr(adata, z)
      for (const [p, format] of [[h5, "h5ad"], [z, "anndata-zarr"]] as const) {
        const loaded = yield* loadByFormat(p)
        expect(loaded._tag).toBe("AnnData")
        const d = yield* describeFile(p)
        expect(d).toMatchObject({
          otype: "AnnData",
          format,
          kind: "dataset",
          n_observations: 3,
          shape: [3, 2],
          obs: { n: 3, columns: [] },
          var: { n: 2, columns: [] },
          anndata: { X: { format: "dense", dtype: "float32" }, uns: ["k"] }
        })
      }
    }))

  it.effect("unknown suffixes and missing paths fail with typed errors", () =>
    Effect.gen(function*() {
      const txt = path.join(dir, "notes.txt")
      fs.writeFileSync(txt, "hi")
      expect((yield* Effect.flip(loadByFormat(txt)))._tag).toBe("InvalidArgument")
      expect((yield* Effect.flip(describeFile(path.join(dir, "nope.parquet"))))._tag).toBe("StorageError")
    }))
})

describeWithPython("describeFile on Python-written files", () => {
  let dir: string
  let rich: { h5ad: string; zarr: string }
  beforeAll(() => {
    dir = tempDir("lamina-describe-")
    rich = writeRichFixtures(dir)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("summarizes obs/var column types without reading data", () =>
    Effect.gen(function*() {
      for (const p of [rich.h5ad, rich.zarr]) {
        const d = yield* describeFile(p)
        expect(d.otype).toBe("AnnData")
        expect(d.n_observations).toBe(7)
        expect(d.obs?.columns).toEqual([
          { name: "cell_type", type: "category[string]" },
          { name: "stage", type: "category[string]" },
          { name: "n_counts", type: "float64" },
          { name: "n_genes", type: "int32" },
          { name: "is_doublet", type: "bool" },
          { name: "barcode", type: "string" },
          { name: "maybe_int", type: "nullable[int64]" },
          { name: "maybe_bool", type: "nullable[bool]" }
        ])
        expect(d.var?.columns.map((c) => c.type)).toEqual(["bool", "float32", "string"])
        expect(d.anndata?.layers).toEqual(["counts_csc", "counts_csr", "dense_i32"])
      }
    }))

  it.effect("zarr arrays and groups", () =>
    Effect.gen(function*() {
      const arr = path.join(dir, "arr.zarr")
      const grp = path.join(dir, "grp.zarr")
      runPython(`
import zarr, numpy as np
zarr.open(${JSON.stringify(arr)}, mode="w", shape=(10, 4), chunks=(5, 4), dtype="i8")[:] = np.arange(40).reshape(10, 4)
g = zarr.open_group(${JSON.stringify(grp)}, mode="w"); g.create_dataset("x", shape=(2,), dtype="f4")
`)
      expect(yield* describeFile(arr)).toEqual({ otype: "array", format: "zarr", shape: [10, 4], dtype: "int64" })
      expect(yield* describeFile(grp)).toEqual({ otype: "group", format: "zarr", keys: ["x"] })
      const loaded = yield* loadByFormat(arr)
      expect(loaded._tag).toBe("Array")
      if (loaded._tag === "Array") expect(loaded.array.data[39]).toBe(39n)
      expect((yield* loadByFormat(grp))._tag).toBe("Group")
    }))
})
