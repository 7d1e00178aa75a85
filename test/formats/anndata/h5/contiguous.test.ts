import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { contiguousExtent } from "../../../../src/formats/anndata/h5/contiguous.js"
import { h5Source, openH5File } from "../../../../src/formats/anndata/h5/h5-source.js"
import { describeWithPython, runPython, tempDir } from "../../../support/python.js"

describeWithPython("direct reads of contiguous HDF5 datasets", () => {
  let dir: string
  let file: string
  beforeAll(() => {
    dir = tempDir("lamina-contig-")
    file = path.join(dir, "arrays.h5")
    runPython(`
import h5py, numpy as np
with h5py.File(${JSON.stringify(file)}, "w") as f:
    f["cube"] = np.arange(6 * 7 * 5, dtype="<f8").reshape(6, 7, 5) * 0.5
    f["ints"] = np.arange(50, dtype="<i8") - 25
    f["be"] = np.arange(10, dtype=">i4")
    f.create_dataset("chunked", data=np.arange(100, dtype="<f4").reshape(10, 10), chunks=(5, 5), compression="gzip")
    f.create_dataset("empty", shape=(4, 4), dtype="<f4")
    g = f.create_group("deep/er")
    g["x"] = np.arange(12, dtype="<u2").reshape(3, 4)
`)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("finds contiguous little-endian datasets, and declines the rest", () =>
    Effect.sync(() => {
      const fd = fs.openSync(file, "r")
      try {
        expect(contiguousExtent(fd, file, "/cube", 8, 210)).toMatchObject({ size: 1680 })
        expect(contiguousExtent(fd, file, "/deep/er/x", 2, 12)).toMatchObject({ size: 24 })
        expect(contiguousExtent(fd, file, "/cube", 4, 210)).toBeUndefined() // wrong item size
        expect(contiguousExtent(fd, file, "/be", 4, 10)).toBeUndefined() // big-endian
        expect(contiguousExtent(fd, file, "/chunked", 4, 100)).toBeUndefined() // chunked + gzip
        expect(contiguousExtent(fd, file, "/empty", 4, 16)).toBeUndefined() // never written: no storage
        expect(contiguousExtent(fd, file, "/missing", 4, 16)).toBeUndefined()
      } finally {
        fs.closeSync(fd)
      }
    }))

  it.effect("direct and h5wasm reads agree on every kind of region", () =>
    Effect.scoped(Effect.gen(function*() {
      const h5 = yield* openH5File(file)
      const direct = h5Source(h5)
      const viaWasm = h5Source(h5, { direct: false, chunkBytes: 16 })
      const regions: Record<string, Array<Array<readonly [number, number]>>> = {
        cube: [[[0, 6], [0, 7], [0, 5]], [[2, 4], [0, 7], [0, 5]], [[1, 5], [2, 6], [0, 5]], [[1, 5], [2, 6], [1, 4]], [[5, 6], [6, 7], [4, 5]]],
        ints: [[[0, 50]], [[10, 11]], [[3, 47]]],
        be: [[[2, 9]]],
        chunked: [[[1, 9], [2, 7]]],
        "deep/er/x": [[[1, 3], [1, 3]]]
      }
      for (const [name, list] of Object.entries(regions)) {
        for (const region of list) {
          const a = yield* direct.read(name, region)
          const b = yield* viaWasm.read(name, region)
          expect(a, `${name} ${JSON.stringify(region)}`).toEqual(b)
        }
      }
      const whole = yield* direct.read("cube")
      expect(whole.data[209]).toBe(104.5)
    })))
})
