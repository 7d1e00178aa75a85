import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as zarr from "zarrita"
import { spawnSync } from "node:child_process"
import { bloscDecode, bloscDecodeAsync } from "../../../src/formats/zarr/blosc.js"
import { nativeBlosc } from "../../../src/formats/zarr/native-blosc.js"
import { localZarrStore } from "../../../src/formats/zarr/store.js"
import { zarrSource } from "../../../src/formats/zarr/zarr-source.js"
import { describeWithPython, runPythonJson, tempDir } from "../../support/python.js"

interface Case {
  readonly name: string
  readonly shape: number[]
  readonly values: number[]
}

const CASES = [
  ["blosc_lz4_shuffle_f4", "f4", "numcodecs.Blosc(cname='lz4', clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)"],
  ["blosc_lz4_noshuffle_i2", "i2", "numcodecs.Blosc(cname='lz4', clevel=9, shuffle=numcodecs.Blosc.NOSHUFFLE)"],
  ["blosc_lz4hc_f8", "f8", "numcodecs.Blosc(cname='lz4hc', clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)"],
  ["blosc_zlib_u8", "u8", "numcodecs.Blosc(cname='zlib', clevel=3, shuffle=numcodecs.Blosc.SHUFFLE)"],
  ["blosc_zstd_i4", "i4", "numcodecs.Blosc(cname='zstd', clevel=3, shuffle=numcodecs.Blosc.SHUFFLE)"],
  ["blosc_bitshuffle_f4", "f4", "numcodecs.Blosc(cname='lz4', clevel=5, shuffle=numcodecs.Blosc.BITSHUFFLE)"],
  ["blosc_blosclz_f4", "f4", "numcodecs.Blosc(cname='blosclz', clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)"],
  ["zlib_i1", "i1", "numcodecs.Zlib(level=1)"],
  ["gzip_f8", "f8", "numcodecs.GZip(level=5)"],
  ["none_bool", "bool", "None"]
] as const

describeWithPython("zarr chunked reads (fast path and Blosc decoder)", () => {
  let dir: string
  let cases: Case[]
  beforeAll(() => {
    dir = tempDir("lamina-zchunks-")
    cases = runPythonJson<Case[]>(`
import zarr, numcodecs, numpy as np, json
out = []
rng = np.random.default_rng(3)
for name, dtype, comp in ${JSON.stringify(CASES)}:
    shape = (17, 13, 5)
    if dtype == "bool":
        data = rng.random(shape) > 0.5
    else:
        base = rng.poisson(0.7, size=shape) * (rng.random(shape) < 0.4)
        data = (base * 3 - 2).astype(dtype)
    z = zarr.open(${JSON.stringify(dir)} + "/" + name + ".zarr", mode="w", shape=shape, chunks=(4, 5, 3),
                  dtype=dtype, compressor=eval(comp), fill_value=(True if dtype == "bool" else 7))
    z[2:15, :, :] = data[2:15]          # rows 0-1 and 15-16 stay unwritten: fill value
    expect = np.array(z[:])
    out.append({"name": name, "shape": list(shape), "values": [float(v) for v in expect.ravel()]})
# a 1-D array with a partial last chunk and a big blosc block
big = np.arange(100_003, dtype="<i4") % 251
z = zarr.open(${JSON.stringify(dir)} + "/big1d.zarr", mode="w", shape=big.shape, chunks=(40_000,), dtype="<i4",
              compressor=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE, blocksize=8192))
z[:] = big
out.append({"name": "big1d", "shape": [100_003], "values": [float(v) for v in big]})
# 2-D with chunks spanning whole rows (rows copied in one piece)
wide = (np.arange(17 * 6, dtype="<f8") * 1.5).reshape(17, 6)
z = zarr.open(${JSON.stringify(dir)} + "/wide2d.zarr", mode="w", shape=wide.shape, chunks=(4, 6), dtype="<f8", compressor=numcodecs.Zlib(1))
z[:] = wide
out.append({"name": "wide2d", "shape": [17, 6, 1], "values": [float(v) for v in wide.ravel()]})
print(json.dumps(out))
`)
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  const regionOf = (shape: number[], region: Array<[number, number]>, values: number[]) => {
    const out: number[] = []
    const [, b, c] = shape
    for (let i = region[0][0]; i < region[0][1]; i++) {
      if (shape.length === 1) {
        out.push(values[i])
        continue
      }
      for (let j = region[1][0]; j < region[1][1]; j++) {
        for (let k = region[2][0]; k < region[2][1]; k++) out.push(values[(i * b + j) * c + k])
      }
    }
    return out
  }

  /** Runs `body` once per Blosc decoder available here: native (when built) and JavaScript. */
  const withEachDecoder = <A, E>(body: (decoder: string) => Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      for (const decoder of nativeBlosc() === undefined ? ["js"] : ["native", "js"]) {
        const saved = process.env.LAMINA_NATIVE_BLOSC
        process.env.LAMINA_NATIVE_BLOSC = decoder === "js" ? "0" : "1"
        yield* Effect.ensuring(body(decoder), Effect.sync(() => {
          if (saved === undefined) delete process.env.LAMINA_NATIVE_BLOSC
          else process.env.LAMINA_NATIVE_BLOSC = saved
        }))
      }
    })

  it("the native Blosc decoder is built wherever the system has libblosc", () => {
    const ldconfig = spawnSync("/sbin/ldconfig", ["-p"], { encoding: "utf8" })
    const hasLibblosc = ldconfig.status === 0 && /libblosc\.so\.1\b/.test(ldconfig.stdout)
    if (!hasLibblosc) return
    expect(nativeBlosc()?.bloscVersion).toMatch(/^1\./)
  })

  it.effect("regions across chunk edges, missing chunks, every codec, equal numpy's values (each Blosc decoder)", () =>
    withEachDecoder(() => Effect.gen(function*() {
      for (const c of cases) {
        const p = path.join(dir, `${c.name}.zarr`)
        const src = zarrSource(localZarrStore(p), p)
        const regions: Array<Array<[number, number]>> = c.name === "wide2d"
          ? [[[0, 17], [0, 6]], [[3, 14], [0, 6]], [[3, 14], [1, 6]], [[16, 17], [0, 6]]]
          : c.shape.length === 1
          ? [[[0, c.shape[0]]], [[39_990, 80_010]], [[100_000, 100_003]]]
          : [[[0, 17], [0, 13], [0, 5]], [[1, 16], [3, 12], [1, 5]], [[14, 15], [12, 13], [4, 5]], [[4, 8], [0, 13], [0, 5]]]
        for (const region of regions) {
          const got = yield* src.read("", region)
          const full = c.name === "wide2d" ? [...region, [0, 1] as [number, number]] : region
          expect(got.shape, `${c.name} ${JSON.stringify(region)}`).toEqual(region.map(([x, y]) => y - x))
          expect(Array.from(got.data as ArrayLike<number>, Number), `${c.name} ${JSON.stringify(region)}`).toEqual(regionOf(c.shape, full, c.values))
        }
      }
    })))

  it.effect("the JS Blosc decoder matches numcodecs byte for byte (or defers to it)", () =>
    Effect.gen(function*() {
      const Blosc = (yield* Effect.promise(() => import("numcodecs/blosc"))).default
      const wasm = Blosc.fromConfig({ id: "blosc", cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 })
      let decoded = 0, deferred = 0
      for (const c of [...cases.map((x) => x.name), "big1d"]) {
        const folder = path.join(dir, `${c}.zarr`)
        const meta = JSON.parse(fs.readFileSync(path.join(folder, ".zarray"), "utf8")) as { compressor: { id: string } | null }
        if (meta.compressor?.id !== "blosc") continue
        for (const f of fs.readdirSync(folder).filter((x) => !x.startsWith("."))) {
          const bytes = new Uint8Array(fs.readFileSync(path.join(folder, f)))
          const mine = bloscDecode(bytes)
          if (mine === undefined) {
            deferred++
            continue
          }
          decoded++
          expect(Buffer.compare(Buffer.from(mine), Buffer.from(yield* Effect.promise(async () => wasm.decode(bytes))))).toBe(0)
        }
      }
      expect(decoded).toBeGreaterThan(10)
      expect(deferred).toBeGreaterThan(0) // zstd, bitshuffle, blosclz go to numcodecs
      const arr = yield* Effect.promise(() => zarr.open.v2(zarr.root(localZarrStore(path.join(dir, "big1d.zarr"))), { kind: "array" }))
      expect(arr.shape).toEqual([100_003])
    }))

  it.effect("the native decoder matches numcodecs byte for byte, every inner codec and shuffle", () =>
    Effect.gen(function*() {
      if (nativeBlosc() === undefined) return
      const Blosc = (yield* Effect.promise(() => import("numcodecs/blosc"))).default
      const wasm = Blosc.fromConfig({ id: "blosc", cname: "lz4", clevel: 5, shuffle: 1, blocksize: 0 })
      let decoded = 0
      for (const c of [...cases.map((x) => x.name), "big1d"]) {
        const folder = path.join(dir, `${c}.zarr`)
        const meta = JSON.parse(fs.readFileSync(path.join(folder, ".zarray"), "utf8")) as { compressor: { id: string } | null }
        if (meta.compressor?.id !== "blosc") continue
        for (const f of fs.readdirSync(folder).filter((x) => !x.startsWith("."))) {
          const bytes = new Uint8Array(fs.readFileSync(path.join(folder, f)))
          const mine = yield* Effect.promise(() => bloscDecodeAsync(bytes))
          expect(Buffer.compare(Buffer.from(mine!), Buffer.from(yield* Effect.promise(async () => wasm.decode(bytes))))).toBe(0)
          decoded++
        }
      }
      expect(decoded).toBeGreaterThan(20)
    }))

  it.effect("a truncated or corrupted Blosc chunk is a ValidationError naming the store and element (each decoder)", () =>
    withEachDecoder((decoder) => Effect.gen(function*() {
      const src = path.join(dir, "blosc_lz4_shuffle_f4.zarr")
      const damaged = path.join(dir, `damaged-${decoder}.zarr`)
      fs.cpSync(src, damaged, { recursive: true })
      const chunk = path.join(damaged, "1.0.0")
      const bytes = fs.readFileSync(chunk)
      for (const damage of ["truncated", "corrupted"] as const) {
        if (damage === "truncated") fs.writeFileSync(chunk, bytes.subarray(0, Math.floor(bytes.length / 2)))
        else {
          const bad = Buffer.from(bytes)
          for (let i = 16; i < bad.length; i += 3) bad[i] ^= 0xa5
          fs.writeFileSync(chunk, bad)
        }
        const error = yield* Effect.flip(zarrSource(localZarrStore(damaged), damaged).read(""))
        expect(error._tag, `${decoder} ${damage}: ${error.message}`).toBe("ValidationError")
        expect(error.message).toContain(damaged)
        expect(error.message).toContain("cannot read the array")
      }
    })))
})
