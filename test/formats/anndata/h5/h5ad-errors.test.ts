import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { type AnnData, makeAnnData } from "../../../../src/formats/anndata/anndata.js"
import { defaultDataframe } from "../../../../src/formats/anndata/dataframe-table.js"
import { DenseArray } from "../../../../src/formats/anndata/dense-array.js"
import { openH5ad } from "../../../../src/formats/anndata/h5/open-h5ad.js"
import { readH5ad } from "../../../../src/formats/anndata/h5/read-h5ad.js"
import { writeH5ad } from "../../../../src/formats/anndata/h5/write-h5ad.js"
import { range } from "../../../../src/formats/anndata/slicing.js"
import { describeWithPython, runPython, tempDir } from "../../../support/python.js"
import { expectRich } from "../expect-rich.js"
import { writeRichFixtures } from "../fixtures.js"

/** Runs an effect expected to fail; returns the typed error (a defect fails the test). */
const failure = <E>(effect: Effect.Effect<unknown, E>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error("expected a failure, got success")
    const err = Cause.failureOption(exit.cause)
    if (err._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
    return err.value as E & { _tag: string; message: string }
  })

describeWithPython("h5ad failures are typed errors", () => {
  let dir: string
  let rich: string
  beforeAll(() => {
    dir = tempDir("lamina-h5ad-err-")
    rich = writeRichFixtures(dir).h5ad
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it.effect("a truncated file → ValidationError before HDF5 touches it", () =>
    Effect.gen(function*() {
      const bytes = fs.readFileSync(rich)
      const cut = path.join(dir, "truncated.h5ad")
      fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)))
      const err = yield* failure(readH5ad(cut))
      expect(err._tag).toBe("ValidationError")
      expect(err.message).toMatch(/truncated/)
      expect(err.message).toContain(cut)
      const backed = yield* failure(Effect.scoped(openH5ad(cut)))
      expect(backed._tag).toBe("ValidationError")
    }))

  it.effect("a file cut inside its header or of a few bytes → ValidationError", () =>
    Effect.gen(function*() {
      const bytes = fs.readFileSync(rich)
      for (const n of [0, 7, 40, 100]) {
        const cut = path.join(dir, `cut-${n}.h5ad`)
        fs.writeFileSync(cut, bytes.subarray(0, n))
        expect((yield* failure(readH5ad(cut)))._tag).toBe("ValidationError")
      }
    }))

  it.effect("corrupted bytes inside the file → ValidationError (no WASM abort), and the process keeps working", () =>
    Effect.gen(function*() {
      const original = fs.readFileSync(rich)
      const bad = path.join(dir, "corrupt.h5ad")
      let failures = 0
      for (let variant = 0; variant < 12; variant++) {
        const bytes = Buffer.from(original)
        let seed = 7 + variant
        const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648)
        for (let i = 1024 + variant * 13; i < bytes.length; i += 3 + (variant % 5)) bytes[i] = next() & 0xff
        fs.writeFileSync(bad, bytes)
        const exit = yield* Effect.exit(readH5ad(bad))
        if (Exit.isSuccess(exit)) continue // the noise only hit raw values
        const err = Cause.failureOption(exit.cause)
        expect(err._tag).toBe("Some")
        if (err._tag === "Some") {
          failures++
          expect(err.value._tag).toBe("ValidationError")
          expect(err.value.message).toContain(bad)
          expect(err.value.message).not.toMatch(/Aborted/)
        }
      }
      expect(failures).toBeGreaterThan(0)
      // h5wasm still works afterwards
      expectRich(yield* readH5ad(rich))
    }))

  it.effect("not an HDF5 file, or missing → typed errors", () =>
    Effect.gen(function*() {
      const text = path.join(dir, "text.h5ad")
      fs.writeFileSync(text, "this is not HDF5 at all, just some text that is long enough")
      const err = yield* failure(readH5ad(text))
      expect(err._tag).toBe("ValidationError")
      expect(err.message).toMatch(/not an HDF5 file/)
      const missing = yield* failure(readH5ad(path.join(dir, "nope.h5ad")))
      expect(missing._tag).toBe("StorageError")
    }))

  it.effect("an unknown encoding-type → ValidationError naming the file and the element", () =>
    Effect.gen(function*() {
      const odd = path.join(dir, "unknown-encoding.h5ad")
      fs.copyFileSync(rich, odd)
      runPython(`
import h5py
with h5py.File(${JSON.stringify(odd)}, "a") as f:
    f["obsm/X_pca"].attrs["encoding-type"] = "fancy-matrix"
`)
      const err = yield* failure(readH5ad(odd))
      expect(err._tag).toBe("ValidationError")
      expect(err.message).toContain(odd)
      expect(err.message).toContain("obsm/X_pca")
      expect(err.message).toContain("fancy-matrix")
    }))

  it.effect("obs shorter than X in a file → ValidationError naming obs", () =>
    Effect.gen(function*() {
      const short = path.join(dir, "short-obs.h5ad")
      fs.copyFileSync(rich, short)
      runPython(`
import h5py, pandas as pd
from anndata._io.specs import write_elem
with h5py.File(${JSON.stringify(short)}, "a") as f:
    del f["obs"]
    write_elem(f, "obs", pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=["a", "b", "c"]))
`)
      const err = yield* failure(readH5ad(short))
      expect(err._tag).toBe("ValidationError")
      expect(err.message).toMatch(/\bobs\b/)
      expect(err.message).toMatch(/3 rows but X has 7 rows/)
    }))

  it.effect("misaligned AnnData values → ValidationError naming the element, nothing written", () =>
    Effect.gen(function*() {
      const X = DenseArray.of(new Float32Array(12), [4, 3])
      const obsErr = yield* failure(makeAnnData({ X, obs: defaultDataframe(5) }))
      expect(obsErr._tag).toBe("ValidationError")
      expect(obsErr.message).toMatch(/^obs: has 5 rows but X has 4 rows/)
      const varErr = yield* failure(makeAnnData({ X, var: defaultDataframe(2) }))
      expect(varErr.message).toMatch(/^var: has 2 rows but X has 3 columns/)
      const layerErr = yield* failure(makeAnnData({ X, layers: { raw: DenseArray.of(new Float32Array(6), [2, 3]) } }))
      expect(layerErr.message).toMatch(/^layers\/raw: /)
      const obsmErr = yield* failure(makeAnnData({ X, obsm: { pca: DenseArray.of(new Float32Array(6), [3, 2]) } }))
      expect(obsmErr.message).toMatch(/^obsm\/pca: /)
      // writing a hand-built misaligned object fails before creating a file
      const bad: AnnData = { ...(yield* makeAnnData({ X })), obs: defaultDataframe(9) }
      const out = path.join(dir, "never.h5ad")
      const writeErr = yield* failure(writeH5ad(bad, out))
      expect(writeErr._tag).toBe("ValidationError")
      expect(writeErr.message).toContain("obs")
      expect(fs.existsSync(out)).toBe(false)
      expect(fs.readdirSync(dir).filter((f) => f.includes("lamina-tmp"))).toEqual([])
    }))

  it.effect("a slice out of range → InvalidArgument", () =>
    Effect.scoped(Effect.gen(function*() {
      const adata = yield* openH5ad(rich)
      const X = adata.X!
      for (const [rows, cols] of [
        [range(0, 8), undefined],
        [range(-1, 2), undefined],
        [range(3, 2), undefined],
        [[0, 7], undefined],
        [undefined, [5]],
        [undefined, range(0, 6)],
        [[1.5], undefined]
      ] as const) {
        const err = yield* failure(X.slice(rows, cols))
        expect(err._tag).toBe("InvalidArgument")
        expect(err.message).toMatch(/out of range|integer/)
      }
      const layer = adata.layers["counts_csr"]
      expect((yield* failure(layer.slice([100])))._tag).toBe("InvalidArgument")
    })))
})
