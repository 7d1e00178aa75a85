/**
 * Format benchmarks. Run compiled: `npx tsc -p tsconfig.json && node dist/bench/formats/run.js`
 * (add `--skip-big` to skip the 2.2 GB file). Baselines (h5py, Python zarr) are measured in the
 * same run, on the same files, from a warm page cache; every figure is the best of N runs.
 */
import { spawnSync } from "node:child_process"
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
import { python, report, scratch, stats, time, type Timing } from "./support.js"

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)
const N_OBS = 5000
const N_VARS = 10_000
const results: boolean[] = []

/** scRNA-like dense values: log1p of sparse Poisson counts (86% zeros), float32. */
const MAKE_X = `
import numpy as np
rng = np.random.default_rng(0)
X = np.log1p(rng.poisson(0.15, size=(${N_OBS}, ${N_VARS}))).astype(np.float32)
`

const h5adBench = async (dir: string) => {
  const file = path.join(dir, "dense.h5ad")
  const py = python<{ full: number[]; slice: number[]; anndata_read: number[]; anndata_write: number[] }>(`${MAKE_X}
import anndata as ad, h5py, time, json, pandas as pd
a = ad.AnnData(X=X)
a.obs["group"] = pd.Categorical(np.arange(${N_OBS}) % 7)
a.var["hv"] = np.arange(${N_VARS}) % 3 == 0
t = time.perf_counter(); a.write_h5ad(${JSON.stringify(file)}); w = (time.perf_counter() - t) * 1000
out = {"full": [], "slice": [], "anndata_read": [], "anndata_write": [w]}
for i in range(6):
    t = time.perf_counter()
    with h5py.File(${JSON.stringify(file)}, "r") as f:
        x = f["X"][:]
    out["full"].append((time.perf_counter() - t) * 1000)
with h5py.File(${JSON.stringify(file)}, "r") as f:
    d = f["X"]
    for i in range(30):
        t = time.perf_counter(); s = d[1000 + i * 100:1100 + i * 100]; out["slice"].append((time.perf_counter() - t) * 1000)
for i in range(3):
    t = time.perf_counter(); b = ad.read_h5ad(${JSON.stringify(file)}); out["anndata_read"].append((time.perf_counter() - t) * 1000)
out["full"] = out["full"][1:]
print(json.dumps(out))
`)
  const full = await time(5, () => run(Effect.scoped(Effect.flatMap(openH5ad(file), (a) => a.X!.read()))))
  results.push(report({ name: "h5ad: full read of X (5,000 × 10,000 float32, 200 MB)", lamina: full, baseline: stats(py.full), baselineName: "h5py", target: 1.5 }))

  let i = 0
  const slice = await run(Effect.scoped(Effect.gen(function*() {
    const a = yield* openH5ad(file)
    const times: number[] = []
    for (let k = 0; k < 30; k++) {
      const t = performance.now()
      yield* a.X!.slice(range(1000 + i * 100, 1100 + i * 100))
      times.push(performance.now() - t)
      i++
    }
    return stats(times)
  })))
  results.push(report({ name: "h5ad: 100-row slice of X (open file)", lamina: slice, target: 20, note: `h5py ${stats(py.slice).min.toFixed(2)} ms` }))
  const openSlice = await time(10, () => run(Effect.scoped(Effect.flatMap(openH5ad(file), (a) => a.X!.slice(range(2500, 2600))))))
  results.push(report({ name: "h5ad: open + 100-row slice", lamina: openSlice, target: 20 }))

  const readAll = await time(3, () => run(readH5ad(file)))
  results.push(report({ name: "h5ad: readH5ad (whole AnnData)", lamina: readAll, baseline: stats(py.anndata_read), baselineName: "anndata.read_h5ad", target: 1.5 }))
  const adata = await run(readH5ad(file))
  const out = path.join(dir, "lamina.h5ad")
  const write = await time(3, () => run(writeH5ad(adata, out)))
  results.push(report({ name: "h5ad: writeH5ad (whole AnnData)", lamina: write, baseline: stats(py.anndata_write), baselineName: "anndata.write_h5ad", target: 1.5, note: "informational" }))
}

const zarrBench = async (dir: string) => {
  const pyStore = path.join(dir, "python-default.zarr")
  const laminaStore = path.join(dir, "lamina-zlib.zarr")
  // Lamina writes the array (zlib level 1, ~4 MiB chunks) from the same values
  python<{ ok: boolean }>(`${MAKE_X}
import zarr, json
z = zarr.open(${JSON.stringify(pyStore)}, mode="w", shape=X.shape, dtype="f4")  # zarr's defaults: Blosc(lz4, shuffle)
z[:] = X
np.save(${JSON.stringify(path.join(dir, "x.npy"))}, X)
print(json.dumps({"ok": True}))
`)
  const npy = await import("node:fs").then((fs) => fs.readFileSync(path.join(dir, "x.npy")))
  const headerLen = npy.readUInt16LE(8)
  const values = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLen, npy.byteOffset + npy.byteLength))
  const sink = zarrSink(localZarrStore(laminaStore), laminaStore, { compressor: "zlib", level: 1 })
  await run(sink.createGroup("", {}).pipe(Effect.zipRight(sink.writeArray("X", DenseArray.of(values, [N_OBS, N_VARS]), {}))))
  const laminaX = path.join(laminaStore, "X")

  const py = python<Record<string, number[]>>(`
import zarr, time, json
out = {}
for name, p in [("python", ${JSON.stringify(pyStore)}), ("lamina", ${JSON.stringify(laminaX)})]:
    ts = []
    for i in range(6):
        t = time.perf_counter(); x = zarr.open(p, mode="r")[:]; ts.append((time.perf_counter() - t) * 1000)
    out[name] = ts[1:]
print(json.dumps(out))
`)
  for (const [name, store, base] of [
    ["zarr: full read, store written by Lamina (zlib level 1)", laminaX, py["lamina"]],
    ["zarr: full read, store written by Python zarr (Blosc lz4+shuffle)", pyStore, py["python"]]
  ] as const) {
    const t: Timing = await time(5, () => run(zarrSource(localZarrStore(store), store).read("")))
    results.push(report({ name: `${name} (200 MB)`, lamina: t, baseline: stats(base), baselineName: "Python zarr", target: 1.5 }))
  }
}

const parquetBench = async (dir: string) => {
  const n = 1_000_000
  const a = new Float64Array(n), b = new Int32Array(n), c = new BigInt64Array(n), d = new Float64Array(n)
  const e: string[] = new Array(n)
  for (let i = 0; i < n; i++) {
    a[i] = Math.sin(i)
    b[i] = i
    c[i] = BigInt(i * 3)
    d[i] = i / 7
    e[i] = `k${i % 1000}`
  }
  const table = new Table({
    a: makeVector(a),
    b: makeVector(b),
    c: makeVector(c),
    d: vectorFromArray(Array.from(d), new Float64()),
    e: vectorFromArray(e, new Utf8())
  })
  const file = path.join(dir, "t.parquet")
  const w = await time(5, () => run(writeParquet(table, file)))
  results.push(report({ name: "parquet: write 1e6 × 5 (snappy)", lamina: w, target: 1000 }))
  const r = await time(5, () => run(readParquet(file)))
  results.push(report({ name: "parquet: read 1e6 × 5", lamina: r, target: 500 }))
}

const bigBench = (dir: string) => {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "big-file.js")
  const res = spawnSync(process.execPath, [child, dir], { stdio: "inherit" })
  results.push(res.status === 0)
}

const main = async () => {
  const skipBig = process.argv.includes("--skip-big")
  const { dir, remove } = scratch("lamina-bench-formats-")
  try {
    console.log(`# Lamina format benchmarks (node ${process.version}, ${new Date().toISOString()})`)
    await h5adBench(dir)
    await zarrBench(dir)
    await parquetBench(dir)
    if (!skipBig) bigBench(dir)
  } finally {
    remove()
  }
  const missed = results.filter((r) => !r).length
  console.log(missed === 0 ? "all targets met" : `${missed} target(s) missed`)
}

await main()
