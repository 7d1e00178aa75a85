/**
 * `lamina run -- snakemake …` / `lamina run -- nextflow run …`: run the workflow as a tracked
 * run and ingest what it left; exits with the workflow's exit status.
 *
 * @module
 */
import { Effect } from "effect"
import { Adapters, formatSummary } from "../../adapters/index.js"
import { formatWarning } from "../../adapters/warnings.js"
import { InvalidArgument } from "../../errors.js"
import type { Command } from "../command.js"
import { progressLine } from "./ingest.js"

const USAGE = "lamina run [--json] -- snakemake ARGS… | -- nextflow run ARGS…"

/** The `run` command. */
export const command: Command = {
  name: "run",
  summary: "run a Snakemake or Nextflow command as a tracked run, then ingest its runs and files",
  usage: USAGE,
  flags: {},
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      if (args.positionals.length === 0) return yield* new InvalidArgument({ message: `Pass the workflow command after '--'.\nUsage: ${USAGE}` })
      const tracked = yield* Adapters.run(args.positionals, { onProgress: progressLine(), stdout: out.wantsJson ? "stderr" : "inherit" })
      for (const w of tracked.summary?.warnings.slice(0, 20) ?? []) process.stderr.write(`warning: ${formatWarning(w)}\n`)
      if (tracked.ingestError !== undefined) process.stderr.write(`warning: nothing ingested: ${tracked.ingestError}\n`)
      if (out.wantsJson) out.json(tracked)
      else out.line(`${tracked.exitCode === 0 ? "✓" : "✗"} run ${tracked.run} (exit ${tracked.exitCode})${tracked.summary ? `; ${formatSummary(tracked.summary)}` : ""}`)
      return { exitCode: tracked.exitCode }
    })
}
