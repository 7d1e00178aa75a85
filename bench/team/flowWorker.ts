/**
 * A process racing others on one step cache key (for the cross-process single-flight test):
 * connects, says `ready`, waits for `go`, runs a flow whose step every racer calls with the
 * same arguments, and prints one JSON line with the step's output artifact uid.
 *
 * The step body appends this process's pid to `{dir}/executions.log` and holds its claim until
 * every racer has announced itself (`{dir}/racers/{id}`), so the others really meet the claim.
 *
 * Usage: `node dist/bench/team/flowWorker.js '<json FlowWorkerConfig>'`
 *
 * @module
 */
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Schedule } from "effect"
import { flow, step } from "../../src/flow/index.js"
import * as Lamina from "../../src/instance/Lamina.js"
import type { S3Settings } from "../../src/instance/settings.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { waitForGo } from "./go.js"

/** What a racer does. */
export interface FlowWorkerConfig {
  readonly storage: string
  readonly db: string
  readonly s3?: S3Settings
  /** Folder shared by all racers (also a step argument, so it is part of the cache key). */
  readonly dir: string
  readonly id: string
  /** How many racers there are. */
  readonly racers: number
}

/** What a racer prints. */
export interface FlowWorkerResult {
  readonly id: string
  readonly uid: string
}

const main = async () => {
  const config = JSON.parse(process.argv[2] ?? "{}") as FlowWorkerConfig
  const racersDir = path.join(config.dir, "racers")
  mkdirSync(racersDir, { recursive: true })

  const expensive = step("team-race", (x: number, dir: string) =>
    Effect.gen(function* () {
      appendFileSync(path.join(dir, "executions.log"), `${process.pid}\n`)
      // Keep the claim until every racer has started its call.
      yield* Effect.suspend(() => (readdirSync(racersDir).length >= config.racers ? Effect.void : Effect.fail("waiting" as const))).pipe(
        Effect.retry(Schedule.spaced("20 millis")),
        Effect.orDie
      )
      const file = path.join(dir, `result-${process.pid}.txt`)
      writeFileSync(file, `computed ${x * x} once`)
      return yield* Effect.flatMap(Artifact.fromPath(file, { key: "race/result.txt" }), (p) => p.save())
    })
  )
  const race = flow("team-race-flow", (dir: string) =>
    Effect.zipRight(
      Effect.sync(() => writeFileSync(path.join(racersDir, config.id), "")),
      expensive(42, dir)
    )
  )

  const program = Effect.gen(function* () {
    // Warm up (transform, environment) so only the step itself races.
    yield* flow(`team-race-warmup-${config.id}`, () => Effect.void)()
    process.stdout.write("ready\n")
    yield* Effect.promise(waitForGo)
    const artifact = yield* race(config.dir)
    const result: FlowWorkerResult = { id: config.id, uid: artifact.uid }
    process.stdout.write(JSON.stringify(result) + "\n")
  })
  const layer = Lamina.layer({ storage: config.storage, db: config.db, ...(config.s3 ? { s3: config.s3 } : {}) })
  await Effect.runPromise(Effect.provide(program, layer).pipe(Effect.orDie))
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`flow worker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  }
)
