/**
 * A writer process for the multi-process tests and benchmarks: connects to one instance, says
 * `ready`, waits for `go` on stdin (so every process starts writing at once), saves artifacts,
 * and prints one JSON line with the uids it got.
 *
 * Usage: `node dist/bench/team/worker.js '<json WorkerConfig>'`
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import * as Lamina from "../../src/instance/Lamina.js"
import type { S3Settings } from "../../src/instance/settings.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { workerContent } from "./content.js"
import { waitForGo } from "./go.js"

/** What a worker does. */
export interface WorkerConfig {
  readonly storage: string
  readonly db: string
  readonly s3?: S3Settings
  /**
   * `versions`: `count` saves of new content under one `key` (new versions of one family);
   * `same`: `count` saves of the identical `content` under `key`;
   * `distinct`: `count` saves of small new files under keys `{key}/{id}/{n}`.
   */
  readonly mode: "versions" | "same" | "distinct"
  readonly key: string
  readonly count: number
  /** Distinguishes this worker's files and content. */
  readonly id: string
  /** Scratch folder for the files it saves. */
  readonly dir: string
  readonly content?: string
  /**
   * Saves (of distinct keys under `{key}-warmup/`) made before `ready`, so the timed saves run on
   * JIT-compiled code and warm connections, as in a long-lived worker.
   */
  readonly warmup?: number
}

/** What a worker prints when done. */
export interface WorkerResult {
  readonly id: string
  readonly uids: ReadonlyArray<string>
  /** When the saves began and when each ended, in milliseconds since the epoch (comparable across processes). */
  readonly began: number
  readonly ends: ReadonlyArray<number>
  /** This process's CPU time over the saves alone, in milliseconds: user, then kernel. */
  readonly cpu: { readonly user: number; readonly system: number }
}

const main = async () => {
  const config = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig
  const dir = path.join(config.dir, config.id)
  mkdirSync(dir, { recursive: true })
  const saveFile = (key: string, file: string) =>
    Effect.gen(function* () {
      const pending = yield* Artifact.fromPath(file, { key })
      return (yield* pending.save()).uid
    })
  // The input files are written before `ready`: the clock measures saves, not the creation of
  // their inputs (pgbench, the ceiling it is compared with, creates no files either).
  const inputs = Array.from({ length: config.count }, (_, n) => {
    const file = path.join(dir, `${n}.txt`)
    writeFileSync(file, config.mode === "same" ? (config.content ?? "same") : workerContent(config.key, config.id, n, config.mode))
    return file
  })
  const clock = () => performance.timeOrigin + performance.now()
  const ends: Array<number> = []
  const saves = Effect.forEach(inputs, (file, n) =>
    Effect.tap(saveFile(config.mode === "distinct" ? `${config.key}/${config.id}/${n}.txt` : config.key, file), () => void ends.push(clock()))
  )
  const program = Effect.gen(function* () {
    for (let n = 0; n < (config.warmup ?? 0); n++) {
      const file = path.join(dir, `w${n}.txt`)
      writeFileSync(file, workerContent(config.key, config.id, n, "warmup"))
      yield* saveFile(`${config.key}-warmup/${config.id}/${n}.txt`, file)
    }
    process.stdout.write("ready\n")
    yield* Effect.promise(waitForGo)
    const began = clock()
    const cpu0 = process.cpuUsage()
    const uids = yield* saves
    const cpu = process.cpuUsage(cpu0)
    const result: WorkerResult = { id: config.id, uids, began, ends, cpu: { user: cpu.user / 1000, system: cpu.system / 1000 } }
    process.stdout.write(JSON.stringify(result) + "\n")
  })
  const layer = Lamina.layer({ storage: config.storage, db: config.db, ...(config.s3 ? { s3: config.s3 } : {}) })
  await Effect.runPromise(Effect.provide(program, layer).pipe(Effect.withLogSpan("worker"), Effect.orDie))
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
