/**
 * Big-file benchmark, run in its own process so its peak RSS is its own:
 * `node dist/bench/formats/big-file.js DIR`.
 *
 * Python writes a 2.2 GB `.h5ad` (X: 55,000 × 10,000 float32, contiguous, X[i, j] =
 * ((31 i + 17 j) mod 1000) / 8). Lamina opens it backed, slices rows past the 2 GiB mark, and
 * reads 1.5 GB of X slice by slice, checking values and its own peak RSS. Then Lamina writes a
 * 2.2 GB `.h5ad` itself and h5py checks it. The files are deleted afterwards.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { h5module } from "../../src/formats/anndata/h5/hdf5.js"
import { DenseArray, makeAnnData, openH5ad, range, writeH5ad } from "../../src/formats/index.js"
import { python, report, stats } from "./support.js"

const N_OBS = 55_000
const N_VARS = 10_000
const value = (i: number, j: number) => ((31 * i + 17 * j) % 1000) / 8

const check = (block: DenseArray, r0: number, samples: number): void => {
  const [n, m] = block.shape
  const data = block.data as Float32Array
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(Math.random() * n), j = Math.floor(Math.random() * m)
    if (data[i * m + j] !== value(r0 + i, j)) throw new Error(`wrong value at (${r0 + i}, ${j}): ${data[i * m + j]}`)
  }
}

const main = async () => {
  const dir = process.argv[2]
  const file = path.join(dir, "big.h5ad")
  const written = path.join(dir, "big-lamina.h5ad")
  const t0 = performance.now()
  python(`
import anndata as ad, h5py, numpy as np, pandas as pd, json
n, m = ${N_OBS}, ${N_VARS}
ad.AnnData(obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]), var=pd.DataFrame(index=[f"g{j}" for j in range(m)])).write_h5ad(${JSON.stringify(file)})
with h5py.File(${JSON.stringify(file)}, "a") as f:
    d = f.create_dataset("X", shape=(n, m), dtype="f4")
    d.attrs["encoding-type"] = "array"; d.attrs["encoding-version"] = "0.2.0"
    j = np.arange(m, dtype=np.int64)
    for r in range(0, n, 1000):
        i = np.arange(r, min(n, r + 1000), dtype=np.int64)[:, None]
        d[r:r + len(i)] = (((31 * i + 17 * j) % 1000) / 8).astype(np.float32)
print(json.dumps(True))
`)
  const size = fs.statSync(file).size
  console.log(`(wrote ${(size / 2 ** 30).toFixed(2)} GiB with h5py in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  let ok = true
  try {
    const t0 = performance.now()
    await Effect.runPromise(h5module)
    console.log(`(h5wasm module load: ${(performance.now() - t0).toFixed(0)} ms, once per process)`)
    const opens: number[] = []
    for (let k = 0; k < 5; k++) {
      const t = performance.now()
      await Effect.runPromise(Effect.scoped(openH5ad(file)))
      opens.push(performance.now() - t)
    }
    ok = report({ name: `big: open a ${(size / 2 ** 30).toFixed(2)} GiB .h5ad backed (obs/var metadata)`, lamina: stats(opens), target: 100 }) && ok
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const adata = yield* openH5ad(file)
      if (adata.shape[0] !== N_OBS || adata.shape[1] !== N_VARS) throw new Error(`shape ${adata.shape}`)
      // rows past 2 GiB into the file
      const times: number[] = []
      for (let k = 0; k < 10; k++) {
        const r0 = N_OBS - 100 - k * 300
        const s = performance.now()
        const rows = (yield* adata.X!.slice(range(r0, r0 + 100))) as DenseArray
        times.push(performance.now() - s)
        check(rows, r0, 2000)
      }
      ok = report({ name: "big: 100-row slice beyond 2 GiB (values checked)", lamina: stats(times), target: 20 }) && ok
      // 1.5 GB of X, 500 rows (20 MB) at a time
      const rowsToRead = 37_500
      const s = performance.now()
      for (let r = 0; r < rowsToRead; r += 500) {
        const block = (yield* adata.X!.slice(range(r, Math.min(rowsToRead, r + 500)))) as DenseArray
        check(block, r, 200)
      }
      const elapsed = performance.now() - s
      const gb = (rowsToRead * N_VARS * 4) / 1e9
      const rssMb = process.resourceUsage().maxRSS / 1024
      ok = report({
        name: `big: read ${gb.toFixed(1)} GB of X in 500-row slices`,
        lamina: stats([elapsed]),
        target: 60_000,
        note: `${(gb * 1000 / (elapsed / 1000)).toFixed(0)} MB/s`
      }) && ok
      const rssOk = rssMb < 600
      console.log(`${rssOk ? "PASS" : "MISS"}  big: peak RSS of this process ${rssMb.toFixed(0)} MB (target < 600 MB)`)
      ok = ok && rssOk
    })))
    // the same rows through h5wasm (the path chunked or compressed files take)
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const adata = yield* openH5ad(file, { direct: false })
      const times: number[] = []
      for (let k = 0; k < 10; k++) {
        const r0 = N_OBS - 100 - k * 300
        const s = performance.now()
        check((yield* adata.X!.slice(range(r0, r0 + 100))) as DenseArray, r0, 2000)
        times.push(performance.now() - s)
      }
      ok = report({ name: "big: 100-row slice beyond 2 GiB through h5wasm (values checked)", lamina: stats(times), target: 20 }) && ok
    })))
    // write a > 2 GiB .h5ad with Lamina (chunked, block by block through the WASM heap)
    const X = new Float32Array(N_OBS * N_VARS)
    for (let i = 0; i < N_OBS; i++) for (let j = 0; j < N_VARS; j++) X[i * N_VARS + j] = value(i, j)
    const adata = await Effect.runPromise(makeAnnData({ X: DenseArray.of(X, [N_OBS, N_VARS]) }))
    const w = performance.now()
    await Effect.runPromise(writeH5ad(adata, written))
    const writeMs = performance.now() - w
    ok = report({
      name: `big: writeH5ad of a ${(fs.statSync(written).size / 2 ** 30).toFixed(2)} GiB AnnData`,
      lamina: stats([writeMs]),
      target: 120_000,
      note: `${((N_OBS * N_VARS * 4) / 1e6 / (writeMs / 1000)).toFixed(0)} MB/s`
    }) && ok
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const back = yield* openH5ad(written)
      check((yield* back.X!.slice(range(N_OBS - 100, N_OBS))) as DenseArray, N_OBS - 100, 5000)
    })))
    const pyCheck = python<{ ok: boolean }>(`
import h5py, numpy as np, json
with h5py.File(${JSON.stringify(written)}, "r") as f:
    i = np.arange(${N_OBS - 50}, ${N_OBS}, dtype=np.int64)[:, None]; j = np.arange(${N_VARS}, dtype=np.int64)
    print(json.dumps({"ok": bool(np.array_equal(f["X"][${N_OBS - 50}:], (((31 * i + 17 * j) % 1000) / 8).astype(np.float32)))}))
`)
    console.log(`${pyCheck.ok ? "PASS" : "MISS"}  big: h5py reads the last rows of Lamina's file correctly`)
    ok = ok && pyCheck.ok
  } finally {
    fs.rmSync(file, { force: true })
    fs.rmSync(written, { force: true })
  }
  process.exitCode = ok ? 0 : 1
}

await main()
