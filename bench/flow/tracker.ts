/**
 * The Tracker's write path, each figure against a baseline measured in the same run:
 *
 *   1. concurrent executed steps (16 at a time, no-op bodies) with group commit, against the
 *      same flow with group commit off (`maxBatch: 1`), in alternating blocks: steps per
 *      second, commits per step
 *   2. small artifacts (100 bytes) saved through the API on SQLite, sequentially and 8 at a
 *      time, against the same file work without a registry (read, md5, write a temporary name,
 *      rename): on the temp folder's disk and on tmpfs (/dev/shm), with CPU per save
 *   3. peak RSS of a flow of N executed steps (default 100,000), in a fresh process
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/flow/tracker.js [--steps 400] [--saves 1000] [--big 100000]`.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Tracker, type TrackerOptions } from "../../src/tracker/index.js"
import { numberArg } from "../util.js"

const args = process.argv.slice(2)
const arg = (name: string, fallback: number): number => numberArg(args, name, fallback)

const runtime = (dir: string, tracker: TrackerOptions = {}) => {
  process.env.LAMINA_HOME ??= path.join(dir, "home")
  mkdirSync(path.join(dir, "storage", ".lamina"), { recursive: true })
  const layer = Effect.runSync(Effect.map(Lamina.resolveSettings({ storage: path.join(dir, "storage") }), (s) => Lamina.layerSettings(s, tracker)))
  return ManagedRuntime.make(layer as Layer.Layer<Lamina.Lamina, unknown>)
}

/** Child mode: run an N-step flow and print its peak RSS and time. */
const child = async (dir: string, n: number) => {
  const rt = runtime(dir)
  const noop = step("noop", (i: number) => Effect.succeed(i))
  const big = flow("big", (count: number) => Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => noop(i), { discard: true, concurrency: 16 }))
  const t0 = performance.now()
  await rt.runPromise(big(n))
  const ms = performance.now() - t0
  const rssMb = process.resourceUsage().maxRSS / 1024
  await rt.dispose()
  process.stdout.write(JSON.stringify({ rssMb, ms }) + "\n")
}

interface SaveRates {
  readonly sequentialPerS: number
  readonly concurrent8PerS: number
  /** Process CPU (user + system) per sequential save: steadier than rates on a loaded machine. */
  readonly cpuMsPerSave: number
  readonly plainPerS: number
  readonly plainCpuMs: number
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1000
}

/** `n` small files (100 bytes) saved through the API into a fresh instance under `dir`, half sequentially, half 8 at a time. */
const savesOn = async (dir: string, n: number): Promise<SaveRates> => {
  const files = path.join(dir, "files")
  mkdirSync(files, { recursive: true })
  const paths = Array.from({ length: n }, (_, i) => {
    const p = path.join(files, `f${i}.txt`)
    writeFileSync(p, `small artifact ${i} `.padEnd(100, "."))
    return p
  })
  // The save's own file work, without a registry: what the disk allows.
  const plainDir = path.join(dir, "plain")
  mkdirSync(plainDir, { recursive: true })
  let c0 = process.cpuUsage()
  let t0 = performance.now()
  for (const [i, p] of paths.entries()) {
    const bytes = readFileSync(p)
    createHash("md5").update(bytes).digest("base64url")
    const tmp = path.join(plainDir, `.${i}.txt.tmp`)
    writeFileSync(tmp, bytes)
    renameSync(tmp, path.join(plainDir, `${i}.txt`))
  }
  const plainMs = performance.now() - t0
  const plainCpu = cpuMs(c0)
  const rt = runtime(dir)
  try {
    const warm = path.join(dir, "warm.txt")
    writeFileSync(warm, "warm-up")
    await rt.runPromise(Effect.flatMap(Artifact.fromPath(warm, { key: "warm/0.txt" }), (a) => a.save()))
    const half = Math.floor(n / 2)
    c0 = process.cpuUsage()
    t0 = performance.now()
    await rt.runPromise(Effect.forEach(paths.slice(0, half), (p, i) => Effect.flatMap(Artifact.fromPath(p, { key: `seq/${i}.txt` }), (a) => a.save()), { discard: true }))
    const seqMs = performance.now() - t0
    const seqCpu = cpuMs(c0)
    t0 = performance.now()
    await rt.runPromise(
      Effect.forEach(paths.slice(half), (p, i) => Effect.flatMap(Artifact.fromPath(p, { key: `par/${i}.txt` }), (a) => a.save()), { discard: true, concurrency: 8 })
    )
    const parMs = performance.now() - t0
    return {
      sequentialPerS: (half / seqMs) * 1000,
      concurrent8PerS: ((n - half) / parMs) * 1000,
      cpuMsPerSave: seqCpu / half,
      plainPerS: (n / plainMs) * 1000,
      plainCpuMs: plainCpu / n
    }
  } finally {
    await rt.dispose()
  }
}

const main = async () => {
  if (args[0] === "--child") return child(args[1]!, Number(args[2]))
  const steps = arg("steps", 400)
  const saves = arg("saves", 1000)
  const bigN = arg("big", 100_000)
  const root = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-tracker-"))
  const load0 = os.loadavg()[0]!
  try {
    // 1. group commit vs one transaction per write, same flow, alternating blocks
    const grouped = runtime(path.join(root, "grouped"))
    const single = runtime(path.join(root, "single"), { maxBatch: 1 })
    const leaf = step("leaf", (block: number, i: number) => Effect.succeed(block * 100_000 + i))
    const wide = flow("wide", (block: number, n: number) => Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => leaf(block, i), { concurrency: 16, discard: true }))
    const BLOCK = 50
    const times = { grouped: 0, single: 0 }
    const stats = (rt: typeof grouped) => rt.runPromise(Effect.map(Tracker, (t) => t.group.stats()))
    await grouped.runPromise(wide(-1, BLOCK))
    await single.runPromise(wide(-1, BLOCK))
    const g0 = await stats(grouped)
    const s0 = await stats(single)
    for (let b = 0; b < steps / BLOCK; b++) {
      let t0 = performance.now()
      await grouped.runPromise(wide(b, BLOCK))
      times.grouped += performance.now() - t0
      t0 = performance.now()
      await single.runPromise(wide(b, BLOCK))
      times.single += performance.now() - t0
    }
    const g1 = await stats(grouped)
    const s1 = await stats(single)
    await grouped.dispose()
    await single.dispose()

    // 2. small artifact saves through the API vs the same file work without a registry (read,
    // md5, write a temp name, rename), on the benchmark's disk and, where there is one, on tmpfs:
    // creating a file (an inode) costs 0.2–1 ms of kernel time on some VM disks, which caps
    // both lines there; tmpfs shows what the registry itself costs.
    const disk = await savesOn(path.join(root, "saves"), saves)
    const shm = existsSync("/dev/shm") ? mkdtempSync(path.join("/dev/shm", "lamina-bench-saves-")) : undefined
    const tmpfs = shm === undefined ? undefined : await savesOn(shm, saves).finally(() => rmSync(shm, { recursive: true, force: true }))

    // 3. peak RSS of a big flow, fresh process
    const childDir = path.join(root, "big")
    mkdirSync(childDir, { recursive: true })
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", childDir, String(bigN)], {
      encoding: "utf8",
      env: { ...process.env, LAMINA_HOME: path.join(childDir, "home") }
    })
    if (res.status !== 0) throw new Error(`child failed: ${res.stderr}`)
    const big = JSON.parse(res.stdout.trim().split("\n").pop()!) as { rssMb: number; ms: number }

    const n = steps
    const gCommits = g1.commits - g0.commits
    const sCommits = s1.commits - s0.commits
    const load = os.loadavg()[0]!
    const out = {
      concurrentSteps: n,
      groupedStepsPerS: (n / times.grouped) * 1000,
      singleStepsPerS: (n / times.single) * 1000,
      groupedSpeedup: times.single / times.grouped,
      groupedCommitsPerStep: gCommits / n,
      singleCommitsPerStep: sCommits / n,
      groupedWritesPerCommit: (g1.writes - g0.writes) / gCommits,
      saves: disk,
      savesTmpfs: tmpfs,
      bigFlowSteps: bigN,
      bigFlowRssMb: big.rssMb,
      bigFlowS: big.ms / 1000,
      loadAverage: [load0, load]
    }
    process.stdout.write(`tracker write path (SQLite, node ${process.version}, ${os.cpus().length} CPUs, load average ${load0.toFixed(1)} → ${load.toFixed(1)})\n`)
    process.stdout.write(`  ${n} executed steps, 16 at a time: group commit ${out.groupedStepsPerS.toFixed(0)}/s (${out.groupedCommitsPerStep.toFixed(2)} commits/step, ${out.groupedWritesPerCommit.toFixed(1)} writes/commit) | one transaction per write ${out.singleStepsPerS.toFixed(0)}/s (${out.singleCommitsPerStep.toFixed(2)} commits/step) | ×${out.groupedSpeedup.toFixed(2)}\n`)
    const line = (where: string, r: SaveRates) =>
      `  small artifact saves (${where}): ${r.sequentialPerS.toFixed(0)}/s sequential (${r.cpuMsPerSave.toFixed(2)} ms CPU each), ${r.concurrent8PerS.toFixed(0)}/s 8 at a time (target ≥ 3,000/s) | read + md5 + write temp + rename without registry ${r.plainPerS.toFixed(0)}/s (${r.plainCpuMs.toFixed(2)} ms CPU each)\n`
    process.stdout.write(line("disk", disk))
    if (tmpfs !== undefined) process.stdout.write(line("tmpfs", tmpfs))
    process.stdout.write(`  ${bigN.toLocaleString("en")}-step flow: peak RSS ${big.rssMb.toFixed(0)} MB (target < 500 MB), ${out.bigFlowS.toFixed(1)} s\n`)
    process.stdout.write(JSON.stringify(out) + "\n")
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exitCode = 1
})
