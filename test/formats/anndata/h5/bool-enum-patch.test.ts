import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { DenseArray } from "../../../../src/formats/anndata/dense-array.js"
import { type BoolTarget, patchBoolPlaceholders } from "../../../../src/formats/anndata/h5/bool-enum-patch.js"
import { createH5File, h5Sink } from "../../../../src/formats/anndata/h5/h5-sink.js"
import { h5Source, openH5File } from "../../../../src/formats/anndata/h5/h5-source.js"
import { h5module } from "../../../../src/formats/anndata/h5/hdf5.js"
import { describeWithPython, runPythonJson, tempDir } from "../../../support/python.js"

describeWithPython("HDF5 booleans as h5py's enum (placeholder rewrite)", () => {
  let dir: string
  beforeAll(() => {
    dir = tempDir("lamina-bool-")
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("many attributes (continuation chunks), many datasets (split B-tree), nested scalars", () =>
    Effect.gen(function*() {
      const file = path.join(dir, "bools.h5")
      const M = yield* h5module
      const fid = yield* createH5File(M, file, file)
      const targets: BoolTarget[] = []
      const sink = h5Sink(M, fid, file, targets, [])
      const attrs: Record<string, boolean | string | ReadonlyArray<boolean>> = { long: "x".repeat(3000) }
      for (let i = 0; i < 40; i++) attrs[`b${i}`] = i % 3 === 0
      attrs["list"] = [true, false, true, true]
      yield* sink.createGroup("many", attrs)
      for (let i = 0; i < 100; i++) {
        yield* sink.writeArray(`many/flag${i}`, DenseArray.bool(Array.from({ length: i + 1 }, (_, k) => (k + i) % 2 === 0)), { ordered: i % 2 === 0 })
      }
      yield* sink.createGroup("a", {})
      yield* sink.createGroup("a/b", {})
      yield* sink.writeArray("a/b/deep", DenseArray.bool([true], []), {})
      yield* sink.writeArray("a/b/empty", DenseArray.bool([]), {})
      M.close_file(fid)
      yield* patchBoolPlaceholders(file, targets)
      expect(targets.length).toBe(41 + 100 * 2 + 2)

      const py = runPythonJson<Record<string, unknown>>(`
import h5py, numpy as np, json
out = {"attr_types": set(), "attr_values": {}, "ds_dtypes": set(), "ds_ok": True, "ordered_ok": True}
with h5py.File(${JSON.stringify(file)}, "r") as f:
    g = f["many"]
    for i in range(40):
        v = g.attrs[f"b{i}"]
        out["attr_types"].add(type(v).__name__)
        out["attr_values"][f"b{i}"] = bool(v)
    out["list"] = [bool(x) for x in g.attrs["list"]]
    out["list_dtype"] = str(g.attrs["list"].dtype)
    out["long"] = len(g.attrs["long"])
    for i in range(100):
        d = g[f"flag{i}"]
        out["ds_dtypes"].add(str(d.dtype))
        exp = np.array([(k + i) % 2 == 0 for k in range(i + 1)])
        out["ds_ok"] = out["ds_ok"] and bool(np.array_equal(d[:], exp))
        o = d.attrs["ordered"]
        out["ordered_ok"] = out["ordered_ok"] and isinstance(o, np.bool_) and bool(o) == (i % 2 == 0)
    out["deep"] = [str(f["a/b/deep"].dtype), bool(f["a/b/deep"][()])]
    out["empty"] = [str(f["a/b/empty"].dtype), list(f["a/b/empty"].shape)]
out["attr_types"] = sorted(out["attr_types"]); out["ds_dtypes"] = sorted(out["ds_dtypes"])
print(json.dumps(out))
`)
      expect(py["attr_types"]).toEqual(["bool_"])
      expect(py["attr_values"]).toEqual(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`b${i}`, i % 3 === 0])))
      expect(py["list"]).toEqual([true, false, true, true])
      expect(py["list_dtype"]).toBe("bool")
      expect(py["long"]).toBe(3000)
      expect(py["ds_dtypes"]).toEqual(["bool"])
      expect(py["ds_ok"]).toBe(true)
      expect(py["ordered_ok"]).toBe(true)
      expect(py["deep"]).toEqual(["bool", true])
      expect(py["empty"]).toEqual(["bool", [0]])

      // and Lamina (h5wasm) reads them back as booleans
      const back = yield* Effect.scoped(Effect.gen(function*() {
        const src = h5Source(yield* openH5File(file))
        return { attrs: yield* src.attrs("many"), flag: yield* src.read("many/flag3"), deep: yield* src.read("a/b/deep") }
      }))
      expect(back.attrs["b3"]).toBe(true)
      expect(back.attrs["list"]).toEqual([true, false, true, true])
      expect(back.flag).toEqual(DenseArray.bool([false, true, false, true]))
      expect(back.deep).toEqual(DenseArray.bool([true], []))
    }))

  it.effect("a file that is not h5wasm's layout fails with a ValidationError", () =>
    Effect.gen(function*() {
      const file = path.join(dir, "not-hdf5.h5")
      fs.writeFileSync(file, "nope")
      const err = yield* Effect.flip(patchBoolPlaceholders(file, [{ path: "/x" }]))
      expect(err._tag).toBe("ValidationError")
    }))
})
