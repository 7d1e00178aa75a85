/**
 * Lineage engine overhead, as ratios and differences against the same Effect program run
 * untracked, in one process:
 *
 *   1. an executed tracked step (no-op body, one input artifact, one 1 KB output artifact), also
 *      as the median of per-block-pair differences; the same call with no output; and an
 *      untracked save followed by that no-op step in one call (what the saving step does, with
 *      the engine's part and the save's taking turns)
 *   2. a cache-hit step
 *   3. a fully cached rerun of a 1,000-step flow
 *   4. peak RSS of a 10,000-step flow (measured in a child process)
 *
 * Run: `npx tsc -p tsconfig.json && node dist/bench/flow/overhead.js [--steps N]`.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer, ManagedRuntime } from "effect"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { numberArg } from "../util.js"

const args = process.argv.slice(2)
const arg = (name: string, fallback: number): number => numberArg(args, name, fallback)

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const ms = (x: number): string => `${x.toFixed(3)} ms`

/** Run `f` and return its CPU time (user + system) in ms: less sensitive to a busy machine than wall time. */
const cpu = async (f: () => Promise<unknown>): Promise<number> => {
  const c0 = process.cpuUsage()
  await f()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}

const makeRuntime = (dir: string) => {
  process.env.LAMINA_HOME ??= path.join(dir, "home")
  // Lamina.layer opens the default registry file before creating the storage root.
  mkdirSync(path.join(dir, "storage", ".lamina"), { recursive: true })
  return ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage") }) as Layer.Layer<Lamina.Lamina, unknown>)
}

/** A 1 KB file with content unique to `i`, saved as an artifact. */
const saveKb = (dir: string, i: number, tag: string) =>
  Effect.suspend(() => {
    const file = path.join(dir, "scratch", `${tag}-${i}.bin`)
    writeFileSync(file, Buffer.alloc(1024, `${tag}:${i}:`))
    return Effect.flatMap(Artifact.fromPath(file, { key: `bench/${tag}/${i}.bin` }), (p) => p.save())
  })

/** The step body: no work, one 1 KB output. */
const body = (dir: string, tag: string) => (_input: Artifact, i: number) => saveKb(dir, i, tag)

/** Child mode: run an N-step flow and print peak RSS. */
const child = async (dir: string, n: number) => {
  const rt = makeRuntime(dir)
  const noop = step("noop", (i: number) => Effect.succeed(i))
  const big = flow("big", (count: number) => Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => noop(i), { discard: true }))
  await rt.runPromise(big(n))
  const rssMb = process.resourceUsage().maxRSS / 1024
  await rt.dispose()
  process.stdout.write(JSON.stringify({ rssMb }) + "\n")
}

const main = async () => {
  if (args[0] === "--child") return child(args[1]!, Number(args[2]))
  const steps = arg("steps", 300)
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-flow-"))
  mkdirSync(path.join(dir, "scratch"), { recursive: true })
  const rt = makeRuntime(dir)
  try {
    const input = await rt.runPromise(saveKb(dir, 0, "input"))

    // 1. executed steps vs the same body untracked, in alternating blocks so a busy machine
    //    slows both alike; a warm-up block first so JIT compilation is not measured.
    const untracked = body(dir, "plain")
    const tracked = step("bench-step", body(dir, "tracked"))
    // The same call shape with no output: the engine's own part, without the artifact save's.
    const trackedNoop = step("bench-noop-step", (_input: Artifact, i: number) => Effect.succeed(i))
    const BLOCK = 10
    const untrackedBlock = (from: number, times: Array<number>) =>
      Effect.forEach(
        Array.from({ length: BLOCK }, (_, k) => from + k),
        (i) =>
          Effect.gen(function* () {
            const t0 = performance.now()
            yield* untracked(input, i)
            times.push(performance.now() - t0)
          }),
        { discard: true }
      )
    // The timing sink is a closure, not a param: params are recorded (and hashed) per call.
    let sink: Array<number> = []
    const blockFlow = (name: string, call: (input: Artifact, i: number) => Effect.Effect<unknown, unknown, Lamina.Lamina>) => {
      const run = flow(name, (from: number) =>
        Effect.forEach(
          Array.from({ length: BLOCK }, (_, k) => from + k),
          (i) =>
            Effect.gen(function* () {
              const t0 = performance.now()
              yield* call(input, i)
              sink.push(performance.now() - t0)
            }),
          { discard: true }
        )
      )
      return (from: number, times: Array<number>) =>
        Effect.suspend(() => {
          sink = times
          return run(from)
        })
    }
    const trackedBlock = blockFlow("bench-flow", tracked)
    const noopBlock = blockFlow("bench-noop-flow", trackedNoop)
    // Other keys and call arguments than the blocks above: every call a new save and a miss.
    const saveThenNoop = body(dir, "then-noop")
    const saveThenNoopBlock = blockFlow("bench-save-then-noop-flow", (inp, i) => Effect.zipRight(saveThenNoop(inp, i), trackedNoop(inp, 10_000_000 + i)))
    const scratchTimes: Array<number> = []
    for (let w = 0; w < 3; w++) {
      await rt.runPromise(untrackedBlock(1_000_000 + w * BLOCK, scratchTimes))
      await rt.runPromise(trackedBlock(1_000_000 + w * BLOCK, scratchTimes))
      await rt.runPromise(trackedBlock(1_000_000 + w * BLOCK, scratchTimes))
      await rt.runPromise(noopBlock(1_000_000 + w * BLOCK, scratchTimes))
    }
    const untrackedTimes: Array<number> = []
    const trackedTimes: Array<number> = []
    const noopTimes: Array<number> = []
    const saveThenNoopTimes: Array<number> = []
    const hitTimes: Array<number> = []
    // Per adjacent pair of blocks, median tracked − median untracked: a disk that slows for a
    // while slows both blocks of a pair, so the median of these differences is steadier.
    const pairDiffs: Array<number> = []
    let cpuUntracked = 0
    let cpuTracked = 0
    let cpuHit = 0
    for (let from = 0; from < steps; from += BLOCK) {
      const u = untrackedTimes.length
      const t = trackedTimes.length
      cpuUntracked += await cpu(() => rt.runPromise(untrackedBlock(from, untrackedTimes)))
      cpuTracked += await cpu(() => rt.runPromise(trackedBlock(from, trackedTimes)))
      pairDiffs.push(median(trackedTimes.slice(t)) - median(untrackedTimes.slice(u)))
      await rt.runPromise(noopBlock(from, noopTimes))
      await rt.runPromise(saveThenNoopBlock(from, saveThenNoopTimes))
    }
    // 2. the same calls again: every one a cache hit
    for (let from = 0; from < steps; from += BLOCK) cpuHit += await cpu(() => rt.runPromise(trackedBlock(from, hitTimes)))
    const noopUntracked: Array<number> = []
    const noopBody = (i: number) => Effect.succeed(i)
    await rt.runPromise(
      Effect.forEach(
        Array.from({ length: steps }, (_, i) => i),
        (i) =>
          Effect.gen(function* () {
            const t0 = performance.now()
            yield* noopBody(i)
            noopUntracked.push(performance.now() - t0)
          }),
        { discard: true }
      )
    )

    // 3. a 1,000-step flow, then its fully cached rerun
    const thousand = step("thousand", (i: number) => Effect.succeed(i * 2))
    const bigFlow = flow("thousand-flow", (n: number) => Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => thousand(i), { discard: true }))
    let t0 = performance.now()
    await rt.runPromise(bigFlow(1000))
    const firstRun = performance.now() - t0
    t0 = performance.now()
    const cpuRerun = await cpu(() => rt.runPromise(bigFlow(1000)))
    const cachedRerun = performance.now() - t0
    t0 = performance.now()
    await rt.runPromise(Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), (i) => Effect.succeed(i * 2), { discard: true }))
    const plainThousand = performance.now() - t0

    // 4. peak RSS of a 10,000-step flow, in a fresh process
    const childDir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-rss-"))
    const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", childDir, "10000"], { encoding: "utf8", env: { ...process.env, LAMINA_HOME: path.join(childDir, "home") } })
    rmSync(childDir, { recursive: true, force: true })
    if (res.status !== 0) throw new Error(`child failed: ${res.stderr}`)
    const { rssMb } = JSON.parse(res.stdout.trim().split("\n").pop()!) as { rssMb: number }

    const mTracked = median(trackedTimes)
    const mUntracked = median(untrackedTimes)
    const mHit = median(hitTimes)
    const mNoop = median(noopTimes)
    const mPaired = median(pairDiffs)
    const mSaveThenNoop = median(saveThenNoopTimes)
    const rows = [
      ["executed step (1 input, 1 KB output), median", ms(mTracked), `untracked ${ms(mUntracked)}`, `overhead ${ms(mTracked - mUntracked)} (target ≤ 0.5 ms)`, `paired blocks ${ms(mPaired)}`, `ratio ${(mTracked / mUntracked).toFixed(2)}x`, `cpu overhead ${ms((cpuTracked - cpuUntracked) / steps)}/step`],
      ["executed step (1 input, no output), median", ms(mNoop), `untracked no-op ≈ 0`, `overhead ${ms(mNoop)}`],
      ["untracked 1 KB save, then the no-op step, in one call, median", ms(mSaveThenNoop), `the saving step ${ms(mTracked)}`, `minus untracked ${ms(mSaveThenNoop - mUntracked)}`],
      ["cache-hit step, median", ms(mHit), `untracked no-op ${ms(median(noopUntracked))}`, `target ≤ 0.15 ms`, `cpu ${ms(cpuHit / steps)}/step`],
      ["1,000-step flow, first run", ms(firstRun), "", "", ""],
      ["1,000-step flow, fully cached rerun", ms(cachedRerun), `untracked ${ms(plainThousand)}`, "target ≤ 300 ms", `ratio ${(cachedRerun / plainThousand).toFixed(0)}x`, `cpu ${ms(cpuRerun)}`],
      ["10,000-step flow, peak RSS", `${rssMb.toFixed(0)} MB`, "", "target < 300 MB", ""]
    ]
    const load = os.loadavg()[0]!
    process.stdout.write(`lineage engine overhead (SQLite, ${steps} steps per median, node ${process.version}, ${os.cpus().length} CPUs, load average ${load.toFixed(1)})\n`)
    for (const r of rows) process.stdout.write(`  ${r.filter((c) => c !== "").join(" | ")}\n`)
    process.stdout.write(
      JSON.stringify({
        executedMedianMs: mTracked,
        untrackedMedianMs: mUntracked,
        overheadMs: mTracked - mUntracked,
        overheadPairedMs: mPaired,
        executedNoOutputMedianMs: mNoop,
        saveThenNoopMedianMs: mSaveThenNoop,
        overheadCpuMsPerStep: (cpuTracked - cpuUntracked) / steps,
        hitMedianMs: mHit,
        hitCpuMsPerStep: cpuHit / steps,
        cachedRerun1000Ms: cachedRerun,
        cachedRerun1000CpuMs: cpuRerun,
        firstRun1000Ms: firstRun,
        rss10000Mb: rssMb,
        loadAverage: load
      }) + "\n"
    )
  } finally {
    await rt.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exitCode = 1
})
