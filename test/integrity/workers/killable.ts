/**
 * A process for kill -9 tests: connects to an instance and either saves a big file (`save`) or
 * runs a flow whose step saves an output and then waits forever (`flow`), printing `ready` on
 * stdout when it reaches the point where the test kills it.
 */
import { Effect } from "effect"
import { Artifact, flow, Lamina, step } from "../../../src/index.js"

interface Config {
  readonly storage: string
  readonly db: string
  readonly s3?: { readonly endpoint: string; readonly forcePathStyle: boolean }
  readonly mode: "save" | "flow"
  readonly file: string
}

const config = JSON.parse(process.argv[2]!) as Config

const hang = step("killed-step", (path: string) =>
  Effect.gen(function* () {
    yield* Effect.flatMap(Artifact.fromPath(path, { key: "killed/output.bin" }), (p) => p.save())
    yield* Effect.sync(() => process.stdout.write("ready\n"))
    return yield* Effect.never
  })
)
const pipeline = flow("killed-flow", (path: string) => hang(path))

const program =
  config.mode === "save"
    ? Effect.flatMap(Artifact.fromPath(config.file, { key: "big/file.bin" }), (p) => p.save())
    : pipeline(config.file)

await Effect.runPromise(Effect.provide(program, Lamina.layer({ storage: config.storage, db: config.db, ...(config.s3 ? { s3: config.s3 } : {}) })))
