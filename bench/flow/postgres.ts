/**
 * Tracked steps on Postgres (a throwaway database, local storage), each figure next to a
 * baseline measured in the same run:
 *
 *   1. executed steps without output, in flows of 10, against the pg driver's bare round trip
 *      (`SELECT 1`): ms, queries and client CPU per step
 *   2. executed steps saving a 1 KB output, against the same save outside any step
 *   3. the fully cached rerun of (1)
 *
 * Queries are counted at `pg.Client.prototype.query` (every statement @effect/sql-pg sends).
 * `--latency-ms N` puts a proxy in a child process between Lamina and Postgres that holds every
 * chunk N ms in each direction (Postgres on another host: the baseline round trip shows what
 * that costs in this run).
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/flow/postgres.js [--steps 500] [--latency-ms 1]`.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Layer, ManagedRuntime } from "effect"
import pg from "pg"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { createDatabase } from "../team/pgdb.js"
import { median, numberArg } from "../util.js"

const args = process.argv.slice(2)
const arg = (name: string, fallback: number): number => numberArg(args, name, fallback)
const steps = arg("steps", 500)
const latencyMs = arg("latency-ms", 0)
const BLOCK = 10

/** Child mode: a proxy to Postgres on 127.0.0.1:5432 that delays every chunk; prints its port. */
const proxy = (delayMs: number) => {
  // Chunks leave in order: each waits until its own time, and after the one before it.
  const delayed = (from: net.Socket, to: net.Socket) => {
    let last = 0
    from.on("data", (chunk) => {
      const due = Math.max(Date.now() + delayMs, last)
      last = due
      setTimeout(() => to.write(chunk), due - Date.now())
    })
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(5432, "127.0.0.1")
    delayed(client, upstream)
    delayed(upstream, client)
    const close = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on("error", close).on("close", close)
    upstream.on("error", close).on("close", close)
  })
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`))
}

/** Start the proxy child; its port and the child. */
const startProxy = (delayMs: number) =>
  new Promise<{ readonly port: number; readonly stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--proxy", String(delayMs)], { stdio: ["ignore", "pipe", "inherit"] })
    child.on("error", reject)
    child.stdout.once("data", (d: Buffer) => resolve({ port: Number(d.toString().trim()), stop: () => child.kill() }))
  })

let queries = 0
const query = pg.Client.prototype.query
// Counted for every client: @effect/sql-pg's pool and the baseline's own client.
pg.Client.prototype.query = function (this: pg.Client, ...callArgs: Parameters<typeof query>) {
  queries++
  return Reflect.apply(query, this, callArgs)
} as typeof query

/** Per step of `f(block)` over `n` steps in blocks: median ms of the blocks, queries and CPU. */
const perStep = async (n: number, f: (from: number) => Promise<unknown>) => {
  const blocks: Array<number> = []
  const q0 = queries
  const c0 = process.cpuUsage()
  for (let from = 0; from < n; from += BLOCK) {
    const t0 = performance.now()
    await f(from)
    blocks.push((performance.now() - t0) / BLOCK)
  }
  const c = process.cpuUsage(c0)
  return { ms: median(blocks), queries: (queries - q0) / n, cpuMs: (c.user + c.system) / 1000 / n }
}

const main = async () => {
  const db = await createDatabase()
  const proxied = latencyMs > 0 ? await startProxy(latencyMs) : undefined
  const url = new URL(db.url)
  if (proxied !== undefined) url.port = String(proxied.port)
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-pgsteps-"))
  process.env.LAMINA_HOME = path.join(dir, "home")
  mkdirSync(path.join(dir, "storage"), { recursive: true })
  const layer = Effect.runSync(Effect.map(Lamina.resolveSettings({ storage: path.join(dir, "storage"), db: url.toString() }), (s) => Lamina.layerSettings(s)))
  const rt = ManagedRuntime.make(layer as Layer.Layer<Lamina.Lamina, unknown>)
  const baseline = new pg.Client({ connectionString: url.toString() })
  await baseline.connect()
  try {
    const input = path.join(dir, "input.txt")
    writeFileSync(input, "input")
    const output = (tag: string, i: number) => {
      const file = path.join(dir, `${tag}-${i}.txt`)
      writeFileSync(file, `${tag} ${i} `.padEnd(1000, "x"))
      return file
    }
    const save = (tag: string, i: number) => Effect.flatMap(Artifact.fromPath(output(tag, i), { key: `bench/${tag}/${i}.txt` }), (a) => a.save())
    const noop = step("noop", (i: number) => Effect.succeed(i))
    const saving = step("saving", (i: number) => save("step", i))
    const blockOf = <A>(name: string, call: (i: number) => Effect.Effect<A, unknown, Lamina.Lamina>) => {
      const f = flow(name, (from: number) => Effect.forEach(Array.from({ length: BLOCK }, (_, k) => from + k), call, { discard: true }))
      return (from: number) => rt.runPromise(f(from))
    }
    const noopBlock = blockOf("pg-noop", (i) => noop(i))
    const savingBlock = blockOf("pg-saving", (i) => saving(i))
    const untrackedBlock = (from: number) => rt.runPromise(Effect.forEach(Array.from({ length: BLOCK }, (_, k) => from + k), (i) => save("untracked", i), { discard: true }))
    const roundTrips = async (from: number) => {
      for (let k = 0; k < BLOCK; k++) await baseline.query("SELECT 1")
      return from
    }
    // Warm-up: the JIT, the plans, the transform and environment rows.
    for (let w = 0; w < 5; w++) {
      await noopBlock(1_000_000 + w * BLOCK)
      await savingBlock(1_000_000 + w * BLOCK)
      await untrackedBlock(1_000_000 + w * BLOCK)
      await roundTrips(0)
    }
    const trip = await perStep(steps, roundTrips)
    const executed = await perStep(steps, noopBlock)
    const untracked = await perStep(steps, untrackedBlock)
    const withOutput = await perStep(steps, savingBlock)
    const cached = await perStep(steps, noopBlock)
    const fmt = (x: { ms: number; queries: number; cpuMs: number }) => `${x.ms.toFixed(3)} ms | ${x.queries.toFixed(2)} queries | cpu ${x.cpuMs.toFixed(2)} ms`
    const load = os.loadavg()[0] ?? 0
    process.stdout.write(`tracked steps on Postgres (${latencyMs > 0 ? `${latencyMs} ms added each way, ` : ""}${steps} steps per line, flows of ${BLOCK}, node ${process.version}, ${os.cpus().length} CPUs, load average ${load.toFixed(1)})\n`)
    const rows = [
      ["bare round trip (pg driver, SELECT 1)", fmt(trip)],
      ["executed step, no output", fmt(executed), `${(executed.ms / trip.ms).toFixed(1)} round trips`],
      ["untracked 1 KB save", fmt(untracked)],
      ["executed step saving a 1 KB output", fmt(withOutput), `minus untracked ${(withOutput.ms - untracked.ms).toFixed(3)} ms`],
      ["cache-hit step (rerun of the first line)", fmt(cached), `${(cached.ms / trip.ms).toFixed(1)} round trips`]
    ]
    for (const r of rows) process.stdout.write(`  ${r.join(" | ")}\n`)
    process.stdout.write(JSON.stringify({ trip, executed, untracked, withOutput, cached, loadAverage: load }) + "\n")
  } finally {
    await baseline.end()
    await rt.dispose()
    proxied?.stop()
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (args[0] === "--proxy") proxy(Number(args[1]))
else await main()
