/**
 * Registry throughput with many writer processes (`node dist/bench/team/throughput.js`):
 * small artifacts (distinct keys) saved into one Postgres instance with local storage, by one
 * process and by 8 processes at once. Target: 8 processes reach ≥ 3× the aggregate
 * throughput of one.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import * as Lamina from "../../src/instance/Lamina.js"
import { createDatabase } from "./pgdb.js"
import { runWorkers } from "./spawn.js"
import type { WorkerConfig } from "./worker.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const worker = path.join(here, "worker.js")

/** Saves per second of `processes` writers doing `saves` each. */
const measure = async (storage: string, db: string, dir: string, processes: number, saves: number, tag: string) => {
  const configs = Array.from({ length: processes }, (_, p): WorkerConfig => ({ storage, db, mode: "distinct", key: `small/${tag}`, count: saves, id: `p${p}`, dir: path.join(dir, tag) }))
  const results = await runWorkers(worker, configs)
  const wall = Math.max(...results.map((r) => r.ms)) / 1000
  return (processes * saves) / wall
}

export const main = async (): Promise<void> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-throughput-"))
  process.env.LAMINA_HOME = path.join(dir, "home")
  const database = await createDatabase()
  const storage = path.join(dir, "storage")
  const saves = Number(process.env.LAMINA_BENCH_SAVES ?? 150)
  try {
    // Create the instance once (migrations, user, storage rows) before timing anything.
    await Effect.runPromise(Effect.provide(Effect.void, Lamina.layer({ storage, db: database.url })))
    const rounds = Number(process.env.LAMINA_BENCH_ROUNDS ?? 3)
    const ratios: Array<number> = []
    for (let r = 0; r < rounds; r++) {
      const one = await measure(storage, database.url, dir, 1, saves * 2, `one${r}`)
      const eight = await measure(storage, database.url, dir, 8, saves, `eight${r}`)
      ratios.push(eight / one)
      console.log(`round ${r + 1}: 1 process ${one.toFixed(0)} saves/s, 8 processes ${eight.toFixed(0)} saves/s, ratio ${(eight / one).toFixed(2)}`)
    }
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!
    console.log(`8 writers vs 1 on Postgres: median ratio ${median.toFixed(2)} (target >= 3) ${median >= 3 ? "OK" : "MISSED"} [${os.cpus().length} CPUs]`)
  } finally {
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
