/**
 * Run an example pipeline: `npm run example -- NAME` (compiled: `node dist/examples/run.js NAME`).
 *
 * Uses the current Lamina instance; when none is configured, creates a local demo instance in
 * `./.lamina-demo` (or `$LAMINA_HOME/demo` when LAMINA_HOME is set) and makes it current, so
 * `lamina lineage …` works afterwards. Progress per step goes to stderr; a summary to stdout.
 * Run it twice: the second time every step is a cache hit.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Effect, Exit, Layer, Logger } from "effect"
import { collectProgress, layerFlowConfig, runMain, stderrProgress, type ProgressEvent, type ProgressSink } from "../src/flow/index.js"
import * as Lamina from "../src/instance/Lamina.js"
import { loadInstanceSettings, saveInstanceSettings, type InstanceSettings } from "../src/instance/settings.js"
import { Artifact } from "../src/registry/Artifact.js"
import { connect } from "../src/promise/index.js"
import type { ExampleModule, PromiseExampleModule } from "./pipelines/_lib/example.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const pipelinesDir = path.join(here, "pipelines")

const available = (): ReadonlyArray<string> =>
  existsSync(pipelinesDir)
    ? readdirSync(pipelinesDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith("_") && (existsSync(path.join(pipelinesDir, d.name, "main.js")) || existsSync(path.join(pipelinesDir, d.name, "main.ts"))))
        .map((d) => d.name)
        .sort()
    : []

/** The instance to run on: the current one, else a new local demo instance (made current). */
const instanceSettings = async (): Promise<InstanceSettings> => {
  const current = await Effect.runPromise(Effect.either(loadInstanceSettings))
  if (current._tag === "Right") return current.right
  if (current.left._tag !== "InvalidArgument") throw new Error(current.left.message)
  const storage = process.env.LAMINA_HOME ? path.join(process.env.LAMINA_HOME, "demo") : path.resolve(".lamina-demo")
  const settings = await Effect.runPromise(Lamina.resolveSettings({ storage, name: "lamina-demo" }))
  // The default registry lives inside the storage root; create it before connecting.
  if (!settings.db.includes("://")) mkdirSync(path.dirname(settings.db), { recursive: true })
  await Effect.runPromise(saveInstanceSettings(settings))
  process.stderr.write(`[lamina] no instance configured: created a local demo instance at ${storage}\n`)
  return settings
}

const describeValue = (v: unknown, indent = "  "): Array<string> => {
  if (v instanceof Artifact) return [`${indent}${v.key ?? v.description ?? v.uid}  (artifact ${v.uid}, ${v.size ?? 0} bytes)`]
  if (typeof v === "object" && v !== null && !Array.isArray(v))
    return Object.entries(v).flatMap(([k, x]) => (x instanceof Artifact ? [`${indent}${k}: ${x.key ?? x.uid}  (artifact ${x.uid})`] : [`${indent}${k}: ${JSON.stringify(x)}`]))
  return [`${indent}${JSON.stringify(v)}`]
}

const firstArtifact = (v: unknown): Artifact | undefined =>
  v instanceof Artifact ? v : typeof v === "object" && v !== null ? Object.values(v).find((x): x is Artifact => x instanceof Artifact) : undefined

/** Run a `lamina/promise` example on its own connection; Ctrl-C aborts its flows. */
const runPromiseExample = async (example: PromiseExampleModule, settings: InstanceSettings, workDir: string, progress: ProgressSink): Promise<Exit.Exit<unknown, unknown>> => {
  const lm = await connect({ storage: settings.storage, db: settings.db, name: settings.name, ...(settings.s3 ? { s3: settings.s3 } : {}), progress })
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n[lamina] ${signal}: aborting; open runs are being marked aborted.\n`)
    controller.abort(new Error(`interrupted by ${signal}`))
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  try {
    return Exit.succeed(await example.main({ workDir, lm, signal: controller.signal }))
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? `${(e as { readonly _tag?: string })._tag ?? e.name}: ${e.message}` : String(e)}\n`)
    process.exitCode = controller.signal.aborted ? 130 : 1
    return Exit.fail(e)
  } finally {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    await lm.close()
  }
}

const main = async () => {
  const name = process.argv[2]
  const names = available()
  if (name === undefined || name === "--list" || name === "--help") {
    process.stdout.write(`Usage: npm run example -- NAME\n\nExamples:\n${names.map((n) => `  ${n}`).join("\n")}\n`)
    if (name === undefined) process.exitCode = 2
    return
  }
  if (!names.includes(name)) {
    process.stderr.write(`Unknown example '${name}'. Available: ${names.join(", ")}\n`)
    process.exitCode = 2
    return
  }
  const file = path.join(pipelinesDir, name, existsSync(path.join(pipelinesDir, name, "main.js")) ? "main.js" : "main.ts")
  const example = (await import(pathToFileURL(file).href)) as ExampleModule
  const settings = await instanceSettings()
  process.stderr.write(`[lamina] ${name}: ${example.description}\n[lamina] instance: ${settings.storage} (registry ${settings.db.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@")})\n`)
  const collected = collectProgress()
  const progress = (e: ProgressEvent) => {
    collected.sink(e)
    stderrProgress(e)
  }
  // Logs (also kept on each run) go to stderr with the progress; stdout gets the summary.
  const logs = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true, colors: false }))
  const workDir = path.join(os.tmpdir(), "lamina-examples", name)
  const exit =
    example.api === "promise"
      ? await runPromiseExample(example, settings, workDir, progress)
      : await runMain(example.main({ workDir }), { layer: Layer.mergeAll(Lamina.layerSettings(settings), layerFlowConfig({ progress }), logs), track: false })
  const steps = collected.events.filter((e) => e.kind === "step" && e.status !== "running")
  const count = (s: ProgressEvent["status"]) => steps.filter((e) => e.status === s).length
  process.stdout.write(`\n${name}: ${steps.length} step runs — ${count("done")} executed, ${count("cached")} cached, ${count("failed")} failed\n`)
  if (Exit.isSuccess(exit)) {
    process.stdout.write(`result:\n${describeValue(exit.value).join("\n")}\n`)
    const first = firstArtifact(exit.value)
    if (first !== undefined) process.stdout.write(`\nlineage: lamina lineage ${first.key ?? first.uid} --format html --output lineage.html\n`)
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
