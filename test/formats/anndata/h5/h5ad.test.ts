import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Bool, Dictionary, Float64, Int64, Int8, vectorFromArray } from "apache-arrow"
import { makeAnnData } from "../../../../src/formats/anndata/anndata.js"
import { ENCODING_KEY } from "../../../../src/formats/anndata/dataframe-index.js"
import { dataframeTable } from "../../../../src/formats/anndata/dataframe-table.js"
import { DenseArray } from "../../../../src/formats/anndata/dense-array.js"
import { readH5ad } from "../../../../src/formats/anndata/h5/read-h5ad.js"
import { writeH5ad } from "../../../../src/formats/anndata/h5/write-h5ad.js"
import { readAnnDataZarr, writeAnnDataZarr } from "../../../../src/formats/zarr/anndata-zarr.js"
import { SparseMatrix } from "../../../../src/formats/anndata/sparse-matrix.js"
import { dictionaryVector, utf8Vector } from "../../../../src/formats/table/arrow-build.js"
import { describeWithPython, runPythonJson, tempDir } from "../../../support/python.js"
import { expectRich } from "../expect-rich.js"
import { pythonAssertSame, pythonSummary, writeRichFixtures } from "../fixtures.js"

describeWithPython("h5ad ⇄ Python anndata", () => {
  let dir: string
  let rich: { h5ad: string; zarr: string }
  beforeAll(() => {
    dir = tempDir("lamina-h5ad-")
    rich = writeRichFixtures(dir)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("reads every encoding Python writes, exactly", () =>
    Effect.gen(function*() {
      expectRich(yield* readH5ad(rich.h5ad))
    }))

  it.effect("reads the same through h5wasm in tiny chunks (blocks of a few bytes) as directly from the file", () =>
    Effect.gen(function*() {
      const whole = yield* readH5ad(rich.h5ad)
      const chunked = yield* readH5ad(rich.h5ad, { chunkBytes: 3, direct: false })
      expectRich(chunked)
      expect(chunked.X).toEqual(whole.X)
      expect(chunked.layers).toEqual(whole.layers)
      expect(chunked.obs.toArray().map((r) => r.toJSON())).toEqual(whole.obs.toArray().map((r) => r.toJSON()))
    }))

  it.effect("Python reads back what Lamina writes: equal to the original in every element and dtype", () =>
    Effect.gen(function*() {
      const adata = yield* readH5ad(rich.h5ad)
      const out = path.join(dir, "lamina.h5ad")
      yield* writeH5ad(adata, out)
      pythonAssertSame(rich.h5ad, out)
      // and Lamina reads its own file
      expectRich(yield* readH5ad(out))
    }))

  it.effect("writes large arrays appended to the file (default) or chunked, readable by Python", () =>
    Effect.gen(function*() {
      const adata = yield* readH5ad(rich.h5ad)
      const appended = path.join(dir, "lamina-appended.h5ad")
      yield* writeH5ad(adata, appended, { contiguousLimitBytes: 16 })
      pythonAssertSame(rich.h5ad, appended)
      expectRich(yield* readH5ad(appended))
      expectRich(yield* readH5ad(appended, { direct: false }))
      const layouts = runPythonJson<Record<string, unknown>>(`
import h5py, json
with h5py.File(${JSON.stringify(appended)}, "r") as f:
    print(json.dumps({"X": [f["X"].chunks, f["X"].shape], "pca": [f["obsm/X_pca"].chunks, f["obsm/X_pca"].shape]}))
`)
      expect(layouts).toEqual({ X: [null, [7, 5]], pca: [null, [7, 3]] })
      const chunked = path.join(dir, "lamina-chunked.h5ad")
      yield* writeH5ad(adata, chunked, { contiguousLimitBytes: 16, largeArrays: "chunked", blockBytes: 24 })
      pythonAssertSame(rich.h5ad, chunked)
      expectRich(yield* readH5ad(chunked))
    }))

  it.effect("edge cases: no X, empty AnnData, zero-row dataframe, empty uns dicts", () =>
    Effect.gen(function*() {
      const empty = yield* makeAnnData({})
      const noX = yield* makeAnnData({ obs: dataframeTable(["a", "b"]), var: dataframeTable(["g"]), uns: { d: {}, s: [] } })
      for (const [name, adata] of [["empty", empty], ["no-x", noX]] as const) {
        const h5 = path.join(dir, `${name}.h5ad`)
        const z = path.join(dir, `${name}.zarr`)
        yield* writeH5ad(adata, h5)
        yield* writeAnnDataZarr(adata, z)
        for (const f of [h5, z]) {
          const py = pythonSummary(f)
          expect(py.shape).toEqual([adata.obs.numRows, adata.var.numRows])
          expect(py.X).toBeNull()
          const back = f.endsWith(".h5ad") ? yield* readH5ad(f) : yield* readAnnDataZarr(f)
          expect(back.X).toBeUndefined()
          expect(back.obs.numRows).toBe(adata.obs.numRows)
        }
      }
    }))

  it.effect("Python reads an AnnData built in TypeScript: dtypes, categories, index, booleans", () =>
    Effect.gen(function*() {
      const obs = dataframeTable(["a", "b", "c"], [
        { name: "kind", vector: dictionaryVector(new Int8(), Int8Array.of(1, -1, 0), utf8Vector(["x", "y"]), true) },
        { name: "ok", vector: vectorFromArray([true, false, true], new Bool()) },
        { name: "maybe", vector: vectorFromArray([true, null, false], new Bool()) },
        { name: "count", vector: vectorFromArray([1n, 2n, 3n], new Int64()), metadata: new Map([[ENCODING_KEY, "nullable-integer"]]) },
        { name: "label", vector: utf8Vector(["l1", null, "l3"]) },
        { name: "score", vector: vectorFromArray([0.5, null, 1.5], new Float64()) }
      ], "cell_id")
      const X = new SparseMatrix("csc", [3, 2], Float32Array.of(1, 2, 3), Int32Array.of(0, 2, 1), Int32Array.of(0, 2, 3))
      const adata = yield* makeAnnData({
        X,
        obs,
        uns: {
          n: 5,
          ratio: 0.5,
          big: 2n ** 60n,
          yes: false,
          name: "ts",
          list: ["p", "q"],
          nums: [1, 2.5],
          flags: [true, false],
          deep: { grid: DenseArray.of(Uint16Array.of(1, 2, 3, 4, 5, 6), [2, 3]) }
        }
      })
      const out = path.join(dir, "from-ts.h5ad")
      yield* writeH5ad(adata, out)
      const py = pythonSummary(out)
      expect(py.shape).toEqual([3, 2])
      expect(py.obs.index).toEqual(["a", "b", "c"])
      expect(py.obs.index_name).toBe("cell_id")
      expect(py.obs.columns["kind"]).toEqual({
        dtype: "category",
        categories: ["x", "y"],
        ordered: true,
        codes_dtype: "int8",
        values: ["y", null, "x"]
      })
      expect(py.obs.columns["ok"]).toEqual({ dtype: "bool", values: [true, false, true] })
      expect(py.obs.columns["maybe"]).toEqual({ dtype: "boolean", values: [true, null, false] })
      expect(py.obs.columns["count"]).toEqual({ dtype: "Int64", values: [1, 2, 3] })
      expect(py.obs.columns["label"]).toMatchObject({ dtype: "category", categories: ["l1", "l3"], values: ["l1", null, "l3"] })
      expect(py.obs.columns["score"]).toEqual({ dtype: "float64", values: [0.5, null, 1.5] })
      expect(py.var.index).toEqual(["0", "1"])
      expect(py.X).toEqual({ type: "csc", dtype: "float32", shape: [3, 2], dense: [[1, 0], [0, 3], [2, 0]] })
      expect(py.uns).toEqual({
        n: { type: "int64", value: 5 },
        ratio: { type: "float64", value: 0.5 },
        big: { type: "int64", value: 2 ** 60 },
        yes: { type: "bool_", value: false },
        name: { type: "str", value: "ts" },
        list: { type: "ndarray", dtype: "object", shape: [2], values: ["p", "q"] },
        nums: { type: "ndarray", dtype: "float64", shape: [2], values: [1, 2.5] },
        flags: { type: "ndarray", dtype: "bool", shape: [2], values: [true, false] },
        deep: { grid: { type: "ndarray", dtype: "uint16", shape: [2, 3], values: [[1, 2, 3], [4, 5, 6]] } }
      })
      // and TypeScript reads its own categorical back as an ordered dictionary of strings
      const kind = (yield* readH5ad(out)).obs.schema.fields.find((f) => f.name === "kind")!.type
      expect(kind).toBeInstanceOf(Dictionary)
      expect((kind as Dictionary).isOrdered).toBe(true)
    }))
})
