/**
 * Format benchmarks. Run compiled: `npx tsc -p tsconfig.json && node dist/bench/formats/run.js`
 * (`--skip-big` skips the 2.2 GB file). Baselines (h5py, anndata, Python zarr) run in a
 * long-lived Python process, interleaved with Lamina's runs on the same files from a warm page
 * cache; figures are the best (and median) of N runs.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { Float64, makeVector, Table, Utf8, vectorFromArray } from "apache-arrow"
import {
  DenseArray,
  localZarrStore,
  openH5ad,
  range,
  readH5ad,
  readParquet,
  writeH5ad,
  writeParquet
} from "../../src/formats/index.js"
import { zarrSink } from "../../src/formats/zarr/zarr-sink.js"
import { zarrSource } from "../../src/formats/zarr/zarr-source.js"
import { compare, python, PythonTimer, report, scratch, stats, time } from "./support.js"

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)
const N_OBS = 5000
const N_VARS = 10_000
const RUNS = 7
const results: boolean[] = []

/** scRNA-like dense values: log1p of sparse Poisson counts (86% zeros), float32. */
const MAKE_X = `
import numpy as np
rng = np.random.default_rng(0)
X = np.log1p(rng.poisson(0.15, size=(${N_OBS}, ${N_VARS}))).astype(np.float32)
`

const HANDLERS = `
import h5py, zarr, anndata as ad, numpy as np, warnings
warnings.simplefilter("ignore")
def h5_full(file):
    with h5py.File(file, "r") as f:
        f["X"][:]
def h5_slice(file, start):
    with h5py.File(file, "r") as f:
        f["X"][start:start + 100]
def ad_read(file):
    ad.read_h5ad(file)
def ad_write(src, out):
    ad.read_h5ad(src).write_h5ad(out)
def zarr_full(store):
    zarr.open(store, mode="r")[:]
`

const h5adBench = async (dir: string, py: PythonTimer) => {
  const file = path.join(dir, "dense.h5ad")
  python(`${MAKE_X}
import anndata as ad, pandas as pd, json
a = ad.AnnData(X=X)
a.obs["group"] = pd.Categorical(np.arange(${N_OBS}) % 7)
a.var["hv"] = np.arange(${N_VARS}) % 3 == 0
a.write_h5ad(${JSON.stringify(file)})
print(json.dumps(True))
`)
  const full = await compare(RUNS, () => py.call("h5_full", { file }), () =>
    run(Effect.scoped(Effect.flatMap(openH5ad(file), (a) => a.X!.read()))))
  results.push(report({ name: "h5ad: open + full read of X (5,000 × 10,000 float32, 200 MB)", ...full, baselineName: "h5py", target: 1.5 }))

  let k = 0
  const slice = await compare(30, () => py.call("h5_slice", { file, start: 100 * (k % 40) }), () =>
    run(Effect.scoped(Effect.flatMap(openH5ad(file), (a) => a.X!.slice(range(100 * (k % 40), 100 * (k++ % 40) + 100))))))
  results.push(report({ name: "h5ad: open + 100-row slice of X", lamina: slice.lamina, target: 20, note: `h5py open + slice ${slice.baseline.min.toFixed(2)} ms` }))
  const inOpen = await run(Effect.scoped(Effect.gen(function*() {
    const a = yield* openH5ad(file)
    const times: number[] = []
    for (let i = 0; i < 40; i++) {
      const t = performance.now()
      yield* a.X!.slice(range(i * 100, i * 100 + 100))
      times.push(performance.now() - t)
    }
    return stats(times)
  })))
  results.push(report({ name: "h5ad: 100-row slice of X (file already open)", lamina: inOpen, target: 20 }))

  const readAll = await compare(5, () => py.call("ad_read", { file }), () => run(readH5ad(file)))
  results.push(report({ name: "h5ad: readH5ad (whole AnnData) vs anndata.read_h5ad", ...readAll, baselineName: "anndata", target: 1.5 }))
  const adata = await run(readH5ad(file))
  const out = path.join(dir, "lamina.h5ad")
  const pyOut = path.join(dir, "python-out.h5ad")
  const write = await compare(3, async () => (await py.call("ad_write", { src: file, out: pyOut })), () => run(writeH5ad(adata, out)))
  results.push(report({
    name: "h5ad: writeH5ad (whole AnnData)",
    ...write,
    baselineName: "anndata read+write",
    target: 1.5,
    note: "informational: the baseline includes anndata's read"
  }))
}

const zarrBench = async (dir: string, py: PythonTimer) => {
  const pyStore = path.join(dir, "python-default.zarr")
  const laminaStore = path.join(dir, "lamina-zlib.zarr")
  const npyFile = path.join(dir, "x.npy")
  python(`${MAKE_X}
import zarr, json
z = zarr.open(${JSON.stringify(pyStore)}, mode="w", shape=X.shape, dtype="f4")  # zarr's defaults: Blosc(lz4, shuffle)
z[:] = X
np.save(${JSON.stringify(npyFile)}, X)
print(json.dumps(True))
`)
  // Lamina writes the same values with its defaults (zlib level 1, ~4 MiB chunks)
  const npy = fs.readFileSync(npyFile)
  const headerLen = npy.readUInt16LE(8)
  const values = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLen, npy.byteOffset + npy.byteLength))
  fs.rmSync(npyFile)
  const sink = zarrSink(localZarrStore(laminaStore), laminaStore)
  await run(sink.createGroup("", {}).pipe(Effect.zipRight(sink.writeArray("X", DenseArray.of(values, [N_OBS, N_VARS]), {}))))
  const laminaX = path.join(laminaStore, "X")
  for (const [name, store] of [
    ["zarr: full read of a store Lamina wrote (zlib level 1)", laminaX],
    ["zarr: full read of a store Python zarr wrote (its default Blosc lz4 + shuffle)", pyStore]
  ] as const) {
    const t = await compare(RUNS, () => py.call("zarr_full", { store }), () => run(zarrSource(localZarrStore(store), store).read("")))
    results.push(report({ name: `${name}, 200 MB`, ...t, baselineName: "Python zarr", target: 1.5 }))
  }
}

const parquetBench = async (dir: string) => {
  const n = 1_000_000
  const cols = Array.from({ length: 5 }, (_, c) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * (c + 1)) * 1000))
  const numeric = new Table(Object.fromEntries(cols.map((v, c) => [`x${c}`, makeVector(v)])))
  const file = path.join(dir, "numeric.parquet")
  const w = await time(5, () => run(writeParquet(numeric, file)))
  results.push(report({ name: "parquet: write 1e6 × 5 float64 (snappy)", lamina: w, target: 1000 }))
  const r = await time(5, () => run(readParquet(file)))
  results.push(report({ name: "parquet: read 1e6 × 5 float64", lamina: r, target: 500 }))

  const e: string[] = Array.from({ length: n }, (_, i) => `k${i % 1000}`)
  const mixed = new Table({
    f: makeVector(cols[0]),
    i32: makeVector(Int32Array.from({ length: n }, (_, i) => i)),
    i64: makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 3))),
    g: vectorFromArray(Array.from(cols[1]), new Float64()),
    s: vectorFromArray(e, new Utf8())
  })
  const mixedFile = path.join(dir, "mixed.parquet")
  const mw = await time(5, () => run(writeParquet(mixed, mixedFile)))
  const mr = await time(5, () => run(readParquet(mixedFile)))
  report({ name: "parquet: write 1e6 × 5 mixed (float64, int32, int64, float64, string)", lamina: mw, target: 1000, note: "informational" })
  report({ name: "parquet: read 1e6 × 5 mixed", lamina: mr, target: 500, note: "informational" })
}

const bigBench = (dir: string) => {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "big-file.js")
  const res = spawnSync(process.execPath, [child, dir], { stdio: "inherit" })
  results.push(res.status === 0)
}

const main = async () => {
  const skipBig = process.argv.includes("--skip-big")
  const { dir, remove } = scratch("lamina-bench-formats-")
  const py = new PythonTimer(HANDLERS)
  try {
    console.log(`# Lamina format benchmarks (node ${process.version}, ${new Date().toISOString()})`)
    await h5adBench(dir, py)
    await zarrBench(dir, py)
    await parquetBench(dir)
    if (!skipBig) bigBench(dir)
  } finally {
    py.close()
    remove()
  }
  const missed = results.filter((r) => !r).length
  console.log(missed === 0 ? "all targets met" : `${missed} target(s) missed`)
}

await main()
