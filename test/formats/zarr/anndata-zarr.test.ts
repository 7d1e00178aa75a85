import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as zarr from "zarrita"
import { readH5ad } from "../../../src/formats/anndata/h5/read-h5ad.js"
import { readAnnDataZarr, writeAnnDataZarr } from "../../../src/formats/zarr/anndata-zarr.js"
import { openZarr, zarrOtype } from "../../../src/formats/zarr/open.js"
import { localZarrStore, type WritableZarrStore } from "../../../src/formats/zarr/store.js"
import { expectRich } from "../anndata/expect-rich.js"
import { pythonAssertSame, writeRichFixtures } from "../anndata/fixtures.js"
import { describeWithPython, runPython, runPythonJson, tempDir } from "../../support/python.js"
import type { AbsolutePath } from "@zarrita/storage"

/** An in-memory store without `list`: reading must fall back to consolidated metadata. */
class MemoryStore implements WritableZarrStore {
  readonly map = new Map<string, Uint8Array>()
  get(key: AbsolutePath) {
    return Promise.resolve(this.map.get(key))
  }
  set(key: AbsolutePath, value: Uint8Array) {
    this.map.set(key, value)
    return Promise.resolve()
  }
}

describeWithPython("AnnData zarr ⇄ Python anndata / zarr", () => {
  let dir: string
  let rich: { h5ad: string; zarr: string }
  beforeAll(() => {
    dir = tempDir("lamina-zarr-")
    rich = writeRichFixtures(dir)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("reads every encoding Python writes to zarr, exactly", () =>
    Effect.gen(function*() {
      expectRich(yield* readAnnDataZarr(rich.zarr))
    }))

  it.effect("Python reads back what Lamina writes (zarr v2), for every compressor", () =>
    Effect.gen(function*() {
      const adata = yield* readAnnDataZarr(rich.zarr)
      for (const compressor of ["zlib", "gzip", "none"] as const) {
        const out = path.join(dir, `lamina-${compressor}.zarr`)
        yield* writeAnnDataZarr(adata, out, { compressor, chunkBytes: 16 })
        pythonAssertSame(rich.zarr, out)
        expectRich(yield* readAnnDataZarr(out))
      }
      // h5ad → zarr: the same object in the other container
      const fromH5 = path.join(dir, "from-h5ad.zarr")
      yield* writeAnnDataZarr(yield* readH5ad(rich.h5ad), fromH5)
      pythonAssertSame(rich.h5ad, fromH5)
      expect(fs.readdirSync(dir).filter((f) => f.includes("lamina-tmp"))).toEqual([])
    }))

  it.effect("overwrites an existing store atomically", () =>
    Effect.gen(function*() {
      const adata = yield* readAnnDataZarr(rich.zarr)
      const out = path.join(dir, "again.zarr")
      yield* writeAnnDataZarr(adata, out)
      yield* writeAnnDataZarr(adata, out, { compressor: "none" })
      const meta = JSON.parse(fs.readFileSync(path.join(out, "X", ".zarray"), "utf8")) as { compressor: unknown }
      expect(meta.compressor).toBeNull()
      pythonAssertSame(rich.zarr, out)
    }))

  it.effect("a store without listing is read through its consolidated metadata", () =>
    Effect.gen(function*() {
      const store = new MemoryStore()
      yield* writeAnnDataZarr(yield* readAnnDataZarr(rich.zarr), store)
      expect(store.map.has("/.zmetadata")).toBe(true)
      expectRich(yield* readAnnDataZarr(store))
    }))

  it.effect("openZarr reads v2 arrays written by Python zarr, and v3 arrays", () =>
    Effect.gen(function*() {
      const v2 = path.join(dir, "plain.zarr")
      runPython(`
import zarr, numpy as np
z = zarr.open(${JSON.stringify(v2)}, mode="w", shape=(100, 80), chunks=(32, 32), dtype="f4")
z[:] = np.arange(100 * 80, dtype=np.float32).reshape(100, 80)
`)
      const arr = yield* openZarr(v2)
      expect(arr.kind).toBe("array")
      if (arr.kind !== "array") return
      expect(arr.shape).toEqual([100, 80])
      const part = yield* Effect.promise(() => zarr.get(arr, [zarr.slice(10, 12), zarr.slice(5, 8)]))
      expect(Array.from(part.data as Float32Array)).toEqual([805, 806, 807, 885, 886, 887])

      const v3 = path.join(dir, "v3.zarr")
      const store = localZarrStore(v3)
      const created = yield* Effect.promise(() =>
        zarr.create(zarr.root(store), { shape: [4, 3], chunkShape: [2, 2], dtype: "int32" }))
      yield* Effect.promise(() => zarr.set(created, null, { data: Int32Array.from({ length: 12 }, (_, i) => i), shape: [4, 3], stride: [3, 1] }))
      const back = yield* openZarr(v3)
      expect(back.kind).toBe("array")
      if (back.kind !== "array") return
      const all = yield* Effect.promise(() => zarr.get(back, null))
      expect(Array.from(all.data as Int32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i))
      expect(yield* zarrOtype(v3)).toBe("array")
    }))

  it.effect("zarrOtype tells AnnData stores, arrays and groups apart", () =>
    Effect.gen(function*() {
      const group = path.join(dir, "group.zarr")
      runPython(`
import zarr
g = zarr.open_group(${JSON.stringify(group)}, mode="w")
g.create_dataset("a", shape=(3,), dtype="i4")
g.attrs["what"] = "not anndata"
`)
      expect(yield* zarrOtype(rich.zarr)).toBe("AnnData")
      expect(yield* zarrOtype(group)).toBe("group")
      const missing = yield* Effect.flip(zarrOtype(path.join(dir, "nope.zarr")))
      expect(missing._tag).toBe("StorageError")
      const notZarr = path.join(dir, "empty.zarr")
      fs.mkdirSync(notZarr)
      expect((yield* Effect.flip(zarrOtype(notZarr)))._tag).toBe("ValidationError")
    }))

  it.effect("Python zarr reads Lamina's string, bool and scalar arrays with their dtypes", () =>
    Effect.gen(function*() {
      const out = path.join(dir, "dtypes.zarr")
      yield* writeAnnDataZarr(yield* readAnnDataZarr(rich.zarr), out)
      const py = runPythonJson<Record<string, string>>(`
import zarr, json
g = zarr.open_group(${JSON.stringify(out)}, mode="r")
print(json.dumps({
  "index": str(g["obs/_index"].dtype), "bool": str(g["var/highly_variable"].dtype),
  "title": str(g["uns/title"][()]), "ordered": str(type(g["obs/stage"].attrs["ordered"]).__name__),
  "codes": str(g["obs/stage/codes"].dtype), "shape_attr": str(g["layers/counts_csr"].attrs["shape"]),
}))
`)
      expect(py).toEqual({
        index: "object",
        bool: "bool",
        title: "rich fixture éè",
        ordered: "bool",
        codes: "int8",
        shape_attr: "[7, 5]"
      })
    }))
})
