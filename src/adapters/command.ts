/**
 * `lamina run -- snakemake …` / `-- nextflow run …`: run the workflow command, record it as a
 * run (transform = the tool, params = argv, status = its exit), then ingest what it left, the
 * workflow's runs becoming children of the command's run.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as path from "node:path"
import { Effect } from "effect"
import { InvalidArgument, StorageError } from "../errors.js"
import { sqlFailure } from "../registry/crud.js"
import { RunStatus } from "../registry/Run.js"
import { ingest as nextflowIngest } from "./nextflow/ingest.js"
import { ingest as snakemakeIngest } from "./snakemake/ingest.js"
import type { IngestSummary } from "./summary.js"
import { registryWriter, type WriteProgress } from "./write.js"

/** Options of `runTracked`. */
export interface RunTrackedOptions {
  /** Working directory of the command (default: the current one). */
  readonly cwd?: string | undefined
  readonly onProgress?: ((p: WriteProgress) => void) | undefined
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

const spawnCommand = (argv: ReadonlyArray<string>, cwd: string) =>
  Effect.async<number, StorageError>((resume) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: "inherit" })
    child.once("error", (cause) =>
      resume(Effect.fail(new StorageError({ message: `Cannot start '${argv[0]}': ${cause.message}. Is it installed and on PATH?`, cause })))
    )
    child.once("close", (code, signal) => resume(Effect.succeed(code ?? (signal === null ? 1 : 128 + 15))))
    return Effect.sync(() => void child.kill("SIGTERM"))
  })

/** Run a Snakemake or Nextflow command, record it, ingest what it left. */
export const runTracked = (argv: ReadonlyArray<string>, options: RunTrackedOptions = {}) =>
  Effect.gen(function* () {
    const tool = toolOf(argv)
    if (tool === undefined)
      return yield* new InvalidArgument({
        message: `lamina run tracks a Snakemake or Nextflow command, got '${argv[0] ?? ""}'. Example: lamina run -- snakemake --cores 1`
      })
    const cwd = path.resolve(options.cwd ?? process.cwd())
    const startedAt = new Date()
    const exitCode = yield* spawnCommand(argv, cwd)
    const finishedAt = new Date()
    const reference = randomUUID()
    yield* registryWriter.write({
      tool,
      warnings: [],
      launches: [
        {
          source: argv.join(" "),
          children: [],
          run: {
            reference,
            referenceType: "lamina_command",
            name: argv.join(" ").slice(0, 200),
            transform: { key: tool, kind: "script", source: `command: ${tool}`, description: `${tool} command run by lamina run` },
            params: { argv: [...argv], cwd, exit_code: exitCode },
            status: exitCode === 0 ? RunStatus.completed : RunStatus.errored,
            startedAt,
            finishedAt,
            cliArgs: argv.join(" "),
            ...(exitCode === 0 ? {} : { error: { message: `'${argv.join(" ")}' exited with status ${exitCode}.` } }),
            inputs: [],
            outputs: []
          }
        }
      ]
    })
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly id: number; readonly uid: string }>`SELECT id, uid FROM lamina_run WHERE reference_type = 'lamina_command' AND reference = ${reference}`.pipe(
      Effect.mapError(sqlFailure("Reading the command's run"))
    )
    const parentRunId = Number(rows[0]!.id)
    const ingestOptions = { parentRunId, onProgress: options.onProgress }
    const ingested =
      tool === "snakemake" ? snakemakeIngest(snakemakeDir(argv, cwd), ingestOptions) : nextflowIngest(cwd, ingestOptions)
    // A workflow that failed before writing anything leaves nothing to ingest: the command's run says so.
    const outcome = yield* Effect.either(ingested)
    return {
      exitCode,
      run: rows[0]!.uid,
      summary: outcome._tag === "Right" ? outcome.right : undefined,
      ingestError: outcome._tag === "Left" ? outcome.left.message : undefined
    } satisfies Tracked
  })
