/**
 * Registry throughput with many writer processes (`node dist/bench/team/throughput.js`):
 * small artifacts (distinct keys) saved into one Postgres instance with local storage, by one
 * process and by 8 processes at once, each warmed up first, inputs written before the clock.
 *
 * The same run measures the machine's ceiling for the ratio of the two: Postgres' own `pgbench`
 * (a C client that costs next to no CPU) running the statements of one save, with 1 and with 8
 * clients. No client can scale better than that on the same cores. Target: the writers' ratio
 * reaches ≥ 0.8 of that ceiling.
 *
 * @module
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import * as Lamina from "../../src/instance/Lamina.js"
import { ONE_TRIP_LOCK_WAIT_MS } from "../../src/db/oneTrip.js"
import { median } from "../util.js"
import { createDatabase } from "./pgdb.js"
import { runWorkers } from "./spawn.js"
import type { WorkerConfig, WorkerResult } from "./worker.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const worker = path.join(here, "worker.js")
/**
 * Saves each writer makes before the clock starts. Fewer leave the timed saves running half
 * compiled: after 100, a writer's user CPU per save was 0.98 ms against 0.6–0.8 ms after 2,000,
 * and 8 writers compiling at once on 2 cores measured the JIT, not the saves (0.68–0.74 of the
 * ceiling against 0.77–0.78, bench/team/README.md).
 */
const WARMUP = Number(process.env.LAMINA_BENCH_WARMUP ?? 2000)

/**
 * What one save of a new key sends Postgres (`Artifact.save`, local storage): one simple query
 * (values as literals) that bounds its lock waits, takes the advisory locks, then looks up the
 * same hash and the key's head and inserts the row when neither is found — one implicit
 * transaction, one round trip. pgbench's `\\;` joins them into one query the same way.
 */
const SAVE_SQL = `\\set n random(1, 1000000000000)
SET LOCAL lock_timeout = '${ONE_TRIP_LOCK_WAIT_MS}ms' \\;
SELECT pg_advisory_xact_lock(hashtext('hash:' || :client_id || '/' || :n)), pg_advisory_xact_lock(hashtext('key:' || :client_id || '/' || :n)) \\;
WITH lamina_l0 AS (SELECT * FROM lamina_artifact WHERE hash = 'h' || :client_id || '/' || :n AND branch <> -1 ORDER BY id LIMIT 1),
  lamina_l1 AS (SELECT * FROM lamina_artifact WHERE storage_id = 1 AND key = 'pgbench/' || :client_id || '/' || :n AND branch <> -1 ORDER BY is_latest DESC, uid DESC LIMIT 1),
  lamina_new AS (INSERT INTO lamina_artifact (uid, key, storage_id, suffix, size, hash, hash_type, n_files, is_latest, _key_is_virtual, created_at, updated_at, created_by_id, branch, is_locked)
    SELECT substr(md5(random()::text), 1, 20), 'pgbench/' || :client_id || '/' || :n, 1, '.txt', 12, 'h' || :client_id || '/' || :n, 'md5', 1, true, true, now(), now(), 1, 1, false
    WHERE NOT EXISTS (SELECT 1 FROM lamina_l0) AND NOT EXISTS (SELECT 1 FROM lamina_l1) RETURNING *)
  SELECT 0 AS lamina_which, lamina_l0.* FROM lamina_l0 UNION ALL SELECT 1 AS lamina_which, lamina_l1.* FROM lamina_l1 UNION ALL SELECT 2 AS lamina_which, lamina_new.* FROM lamina_new;
`

/** Transactions per second of `clients` pgbench clients running `script` for `seconds`, or undefined without pgbench. */
const pgbench = (url: string, script: string, clients: number, seconds: number): number | undefined => {
  const args = ["-n", "-M", "simple", "-f", script, "-c", String(clients), "-j", String(clients), "-T", String(seconds), url]
  const res = spawnSync("pgbench", args, { encoding: "utf8" })
  if (res.error !== undefined) return undefined
  const tps = /tps = ([\d.]+)/.exec(res.stdout ?? "")
  if (res.status !== 0 || tps === null) throw new Error(`pgbench failed: ${res.stderr}`)
  return Number(tps[1])
}

/**
 * Saves per second while every writer was saving: from the last writer's start to the first
 * one's finish, as pgbench counts (all its clients run for the whole `-T`). The total over the
 * slowest writer's wall time would count its tail too, when fewer writers share the cores.
 */
const rateWhileAllRan = (results: ReadonlyArray<WorkerResult>): number => {
  const from = Math.max(...results.map((r) => r.began))
  const to = Math.min(...results.map((r) => r.ends.at(-1) ?? r.began))
  const done = results.reduce((n, r) => n + r.ends.filter((t) => t > from && t <= to).length, 0)
  return done / ((to - from) / 1000)
}

/** Saves per second of `processes` writers doing `saves` each, and their CPU per save (ms). */
const measure = async (storage: string, db: string, dir: string, processes: number, saves: number, tag: string) => {
  const configs = Array.from({ length: processes }, (_, p): WorkerConfig => ({
    storage,
    db,
    mode: "distinct",
    key: `small/${tag}`,
    count: saves,
    id: `p${p}`,
    dir: path.join(dir, tag),
    warmup: WARMUP
  }))
  const results = await runWorkers(worker, configs)
  const perSave = (ms: number) => ms / (processes * saves)
  return {
    rate: rateWhileAllRan(results),
    user: perSave(results.reduce((t, r) => t + r.cpu.user, 0)),
    system: perSave(results.reduce((t, r) => t + r.cpu.system, 0))
  }
}

const cpuOf = (m: { readonly user: number; readonly system: number }) => `${m.user.toFixed(2)}+${m.system.toFixed(2)} ms`

export const main = async (): Promise<void> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-throughput-"))
  process.env.LAMINA_HOME = path.join(dir, "home")
  const database = await createDatabase()
  const storage = path.join(dir, "storage")
  const saves = Number(process.env.LAMINA_BENCH_SAVES ?? 600)
  try {
    // Create the instance once (migrations, user, storage rows) before timing anything.
    await Effect.runPromise(Effect.provide(Effect.void, Lamina.layer({ storage, db: database.url })))
    const rounds = Number(process.env.LAMINA_BENCH_ROUNDS ?? 3)
    const script = path.join(dir, "save.sql")
    writeFileSync(script, SAVE_SQL)
    const ratios: Array<number> = []
    const ceilings: Array<number> = []
    for (let r = 0; r < rounds; r++) {
      const oneRun = await measure(storage, database.url, dir, 1, saves * 2, `one${r}`)
      const eightRun = await measure(storage, database.url, dir, 8, saves, `eight${r}`)
      const [one, eight] = [oneRun.rate, eightRun.rate]
      ratios.push(eight / one)
      const pgOne = pgbench(database.url, script, 1, 4)
      const pgEight = pgbench(database.url, script, 8, 4)
      const ceiling = pgOne === undefined || pgEight === undefined ? undefined : pgEight / pgOne
      if (ceiling !== undefined) ceilings.push(ceiling)
      console.log(
        `round ${r + 1}: 1 process ${one.toFixed(0)} saves/s, 8 processes ${eight.toFixed(0)} saves/s, ratio ${(eight / one).toFixed(2)}` +
          ` (writer CPU per save, user+kernel: ${cpuOf(oneRun)} alone, ${cpuOf(eightRun)} among 8)` +
          (ceiling === undefined ? " (pgbench not installed: no ceiling)" : `; pgbench 1 client ${pgOne!.toFixed(0)} tps, 8 clients ${pgEight!.toFixed(0)} tps, ratio ${ceiling.toFixed(2)}`)
      )
    }
    const ratio = median(ratios)
    const ceiling = ceilings.length > 0 ? median(ceilings) : undefined
    console.log(
      `8 writers vs 1 on Postgres: median ratio ${ratio.toFixed(2)} [${os.cpus().length} CPUs]` +
        (ceiling === undefined
          ? " (no pgbench: no ceiling)"
          : `; this machine's ceiling (pgbench, same statements) ${ceiling.toFixed(2)}: ${(ratio / ceiling).toFixed(2)} of it (target >= 0.8) ${ratio / ceiling >= 0.8 ? "OK" : "MISSED"}`)
    )
  } finally {
    await database.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
