/**
 * `lamina run -- snakemake …` / `-- nextflow run …`: run the workflow command as a tracked run
 * (transform = the tool, params = argv, status = its exit), then ingest what it left, the
 * workflow's runs becoming children of the command's run.
 *
 * @module
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument, StorageError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { RunStatus } from "../registry/Run.js"
import { ingest as nextflowIngest } from "./nextflow/ingest.js"
import { ingest as snakemakeIngest } from "./snakemake/ingest.js"
import type { IngestSummary } from "./summary.js"
import { Tracker } from "../tracker/Tracker.js"
import type { WriteProgress } from "./write.js"

/** Options of `runTracked`. */
export interface RunTrackedOptions {
  /** Working directory of the command (default: the current one). */
  readonly cwd?: string | undefined
  readonly onProgress?: ((p: WriteProgress) => void) | undefined
  /** Where the command's stdout goes: inherited (default), or onto stderr (keeps `--json` output clean). */
  readonly stdout?: "inherit" | "stderr" | undefined
}

/** What a tracked command did. */
export interface Tracked {
  readonly exitCode: number
  /** The command's run. */
  readonly run: string
  /** The ingest of its outputs; undefined when the workflow left nothing to ingest. */
  readonly summary: IngestSummary | undefined
  readonly ingestError: string | undefined
}

/** The tool a command line runs. */
export const toolOf = (argv: ReadonlyArray<string>): "snakemake" | "nextflow" | undefined => {
  const name = argv[0] === undefined ? "" : path.basename(argv[0])
  return name === "snakemake" ? "snakemake" : name === "nextflow" ? "nextflow" : undefined
}

/** Snakemake's working directory: `-d DIR` / `--directory DIR`, else the command's cwd. */
const snakemakeDir = (argv: ReadonlyArray<string>, cwd: string): string => {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!
    if ((a === "-d" || a === "--directory") && argv[i + 1] !== undefined) return path.resolve(cwd, argv[i + 1]!)
    if (a.startsWith("--directory=")) return path.resolve(cwd, a.slice("--directory=".length))
  }
  return cwd
}

const spawnCommand = (argv: ReadonlyArray<string>, cwd: string, stdout: "inherit" | "stderr") =>
  Effect.async<number, StorageError>((resume) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ["inherit", stdout === "stderr" ? 2 : "inherit", "inherit"] })
    child.once("error", (cause) =>
      resume(Effect.fail(new StorageError({ message: `Cannot start '${argv[0]}': ${cause.message}. Is it installed and on PATH?`, cause })))
    )
    child.once("close", (code, signal) => resume(Effect.succeed(code ?? (signal === null ? 1 : 128 + 15))))
    return Effect.sync(() => void child.kill("SIGTERM"))
  })

/**
 * Run a Snakemake or Nextflow command as a live run (started through the Tracker, so its lease
 * says it is running and a crash is reaped), end it with the command's exit status, then ingest
 * what it left.
 */
export const runTracked = (argv: ReadonlyArray<string>, options: RunTrackedOptions = {}) =>
  Effect.gen(function* () {
    const tool = toolOf(argv)
    if (tool === undefined)
      return yield* new InvalidArgument({
        message: `lamina run tracks a Snakemake or Nextflow command, got '${argv[0] ?? ""}'. Example: lamina run -- snakemake --cores 1`
      })
    const cwd = path.resolve(options.cwd ?? process.cwd())
    const tracker = yield* Tracker
    const instance = yield* Instance
    const transform = yield* tracker.ensureTransform({ key: tool, kind: "script", source: `command: ${tool}`, description: `${tool} command run by lamina run` })
    const command = argv.join(" ")
    const run = yield* tracker.startRun({
      transformId: transform.id,
      name: command.slice(0, 200),
      entrypoint: null,
      params: { argv: [...argv], cwd },
      status: RunStatus.started,
      startedAt: new Date(),
      initiatedByRunId: null,
      environmentId: null,
      cliArgs: command,
      cacheKey: null,
      cacheParts: null,
      userId: instance.user.id
    })
    const end = (status: number, error?: unknown) =>
      tracker.completeRun({ runId: run.id, inputs: [], end: { status, finishedAt: new Date(), ...(error === undefined ? {} : { error }) } })
    const exitCode = yield* spawnCommand(argv, cwd, options.stdout ?? "inherit").pipe(
      Effect.onInterrupt(() => Effect.ignore(end(RunStatus.aborted, { _tag: "WorkflowFailed", message: `'${command}' was interrupted.` }))),
      Effect.tapError((e) => Effect.ignore(end(RunStatus.errored, { _tag: "WorkflowFailed", message: e.message })))
    )
    yield* end(exitCode === 0 ? RunStatus.completed : RunStatus.errored, exitCode === 0 ? undefined : { _tag: "WorkflowFailed", message: `'${command}' exited with status ${exitCode}.` })
    const ingestOptions = { parentRunId: run.id, onProgress: options.onProgress }
    const ingested = tool === "snakemake" ? snakemakeIngest(snakemakeDir(argv, cwd), ingestOptions) : nextflowIngest(cwd, ingestOptions)
    // A workflow that failed before writing anything leaves nothing to ingest: the command's run says so.
    const outcome = yield* Effect.either(ingested)
    return {
      exitCode,
      run: run.uid,
      summary: outcome._tag === "Right" ? outcome.right : undefined,
      ingestError: outcome._tag === "Left" ? outcome.left.message : undefined
    } satisfies Tracked
  })
