/**
 * Foundation benchmarks (issue: instance, registries, artifacts, storage, CLI).
 * Ratios against baselines measured in the same run:
 *  - hashing a 1 GiB file vs `md5sum`                     target ≥ 0.9× md5sum's throughput
 *  - `lamina save` of 1 GiB vs `md5sum F && cp F DEST`    target ≤ 1.15× its time
 *  - `lamina describe KEY` on an existing instance        target < 0.5 s wall
 *  - saving 10,000 small files through the API (SQLite)   target ≥ 1,000 artifacts/s
 * Run: npm run bench -- foundation   (LAMINA_BENCH_GIB=0.25 for a quicker run)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import * as Lamina from "../src/instance/Lamina.js"
import { Artifact } from "../src/registry/Artifact.js"
import { hashFile } from "../src/storage/fileio.js"
import { best, median, report, shell, time, writeRandomFile, type Result } from "./util.js"

const GiB = Number(process.env.LAMINA_BENCH_GIB ?? "1")
const N_SMALL = Number(process.env.LAMINA_BENCH_SMALL ?? "10000")
const cli = path.resolve("dist/lamina.mjs")

const main = async () => {
  const dir = mkdtempSync(path.join(process.env.LAMINA_BENCH_DIR ?? os.tmpdir(), "lamina-bench-"))
  const results: Array<Result> = []
  try {
    const big = path.join(dir, "big.bin")
    const bytes = Math.round(GiB * 1024 ** 3)
    writeRandomFile(big, bytes)
    shell(`cat ${big} > /dev/null`) // warm the page cache for both sides

    // 1. hashing throughput
    const md5sum = await best(3, () => shell(`md5sum ${big}`))
    const ours = await best(3, () => hashFile(big))
    const ratio1 = md5sum / ours
    results.push({ name: `hash ${GiB} GiB`, value: `${((bytes / 1e6) / (ours / 1000)).toFixed(0)} MB/s`, baseline: `md5sum ${((bytes / 1e6) / (md5sum / 1000)).toFixed(0)} MB/s`, ratio: `${ratio1.toFixed(2)}× throughput`, target: "≥ 0.9×", ok: ratio1 >= 0.9 })

    // 2. lamina save vs md5sum && cp
    const home = path.join(dir, "home")
    const env = { ...process.env, LAMINA_HOME: home }
    shell(`node ${cli} init --storage ${path.join(dir, "storage")}`, env)
    const saves: Array<number> = []
    const copies: Array<number> = []
    for (let i = 0; i < 3; i++) {
      // Same file, synced and in the page cache, for both sides; distinct content per round so
      // the save is never a dedup shortcut.
      const src = `${big}.${i}`
      shell(`cp ${big} ${src} && printf ${i} >> ${src} && sync && cat ${src} > /dev/null`)
      const dest = path.join(dir, `copy${i}.bin`)
      copies.push(shell(`md5sum ${src} > /dev/null && cp ${src} ${dest}`))
      shell(`rm ${dest} && sync`)
      saves.push(shell(`node ${cli} save ${src} --key big.bin`, env))
      shell(`rm ${src} && sync`)
    }
    const ratio2 = median(saves) / median(copies)
    results.push({ name: `lamina save ${GiB} GiB`, value: `${(median(saves) / 1000).toFixed(2)} s`, baseline: `md5sum && cp ${(median(copies) / 1000).toFixed(2)} s`, ratio: `${ratio2.toFixed(2)}× time`, target: "≤ 1.15×", ok: ratio2 <= 1.15 })

    // 3. CLI latency
    const describes: Array<number> = []
    for (let i = 0; i < 7; i++) describes.push(shell(`node ${cli} describe big.bin`, env))
    const nodeStart = median(Array.from({ length: 5 }, () => shell(`node -e 0`)))
    results.push({ name: "lamina describe KEY", value: `${median(describes).toFixed(0)} ms`, baseline: `node -e 0: ${nodeStart.toFixed(0)} ms`, ratio: `${(median(describes) / nodeStart).toFixed(1)}× bare node`, target: "< 500 ms", ok: median(describes) < 500 })

    // 4. 10,000 small files through the API
    const small = path.join(dir, "small")
    mkdirSync(small)
    for (let i = 0; i < N_SMALL; i++) writeFileSync(path.join(small, `f${i}.txt`), `small file ${i}\n`)
    // The instance is created (migrations, first connection) before timing: only saves are timed.
    const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage-small") }) as Layer.Layer<Lamina.Lamina, unknown>)
    await rt.runPromise(Effect.void)
    const write = await time(() => rt.runPromise(Effect.forEach(Array.from({ length: N_SMALL }, (_, i) => i), (i) =>
      Effect.flatMap(Artifact.fromPath(path.join(small, `f${i}.txt`), { key: `small/f${i}.txt` }), (p) => p.save()), { discard: true })))
    await rt.dispose()
    const rate = N_SMALL / (write / 1000)
    const rawCopy = await time(() => shell(`cp -r ${small} ${dir}/small-copy`))
    results.push({ name: `save ${N_SMALL} small files (API, SQLite)`, value: `${rate.toFixed(0)} artifacts/s`, baseline: `cp -r: ${(N_SMALL / (rawCopy / 1000)).toFixed(0)} files/s`, ratio: `${(write / rawCopy).toFixed(1)}× cp -r time`, target: "≥ 1,000/s", ok: rate >= 1000 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  report("Foundation", results)
}

await main()
