/**
 * The process the kill test SIGKILLs: it connects, prints `ready`, then runs flows until it
 * is killed, printing `iteration N` after each. Each flow runs steps concurrently, then short
 * steps one after another (their records commit behind); each step saves a small artifact (new
 * content per round, so it executes) and returns it, and every few rounds a step repeats earlier
 * arguments (a cache hit). A kill can land anywhere: mid-save, mid-commit, mid-heartbeat.
 *
 * Usage: `node killWorker.mjs '<json { storage, db, dir, round }>'`
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"

interface Config {
  readonly storage: string
  readonly db: string
  readonly dir: string
  /** Distinguishes the processes of one test, so their contents differ. */
  readonly round: number
}

const config = JSON.parse(process.argv[2] ?? "{}") as Config
const scratch = path.join(config.dir, `kill-${process.pid}`)
mkdirSync(scratch, { recursive: true })

/** Save `content` under `key` from a file of its own. */
const save = (key: string, content: string) =>
  Effect.suspend(() => {
    const file = path.join(scratch, `${key.replace(/\W/g, "_")}-${Math.random().toString(36).slice(2)}`)
    writeFileSync(file, content)
    return Effect.flatMap(Artifact.fromPath(file, { key }), (p) => p.save())
  })

const produce = step("produce", (round: number, iteration: number, k: number) => save(`kill/${k}.txt`, `round ${round} iteration ${iteration} step ${k}\n`.repeat(20)))
const combine = step("combine", (parts: ReadonlyArray<Artifact>) => save("kill/combined.txt", parts.map((p) => p.hash).join("\n")))

// Short steps called one after another: their records and saves commit behind (db/writeBehind.ts).
const chain = step("chain", (round: number, iteration: number, k: number) => save(`kill/chain-${k}.txt`, `round ${round} iteration ${iteration} link ${k}\n`))

const pipeline = flow("kill-pipeline", (round: number, iteration: number) =>
  Effect.gen(function* () {
    // Every third iteration repeats the previous one's arguments: cache hits.
    const of = iteration % 3 === 2 ? iteration - 1 : iteration
    const parts = yield* Effect.forEach([0, 1, 2, 3, 4, 5], (k) => produce(round, of, k), { concurrency: 6 })
    for (let k = 0; k < 6; k++) yield* chain(round, of, k)
    return yield* combine(parts)
  })
)

const program = Effect.gen(function* () {
  yield* flow("kill-warmup", () => Effect.void)()
  process.stdout.write("ready\n")
  for (let iteration = 0; ; iteration++) {
    yield* pipeline(config.round, iteration)
    process.stdout.write(`iteration ${iteration}\n`)
  }
})

Effect.runPromise(Effect.provide(program, Lamina.layer({ storage: config.storage, db: config.db }))).catch((e: unknown) => {
  process.stderr.write(String(e) + "\n")
  process.exit(1)
})
