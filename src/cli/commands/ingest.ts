/**
 * `lamina ingest nextflow DIR… [--include GLOB] [--exclude GLOB]` and
 * `lamina ingest snakemake DIR [--snakefile FILE]`: record what a workflow run left behind.
 *
 * @module
 */
import { Effect } from "effect"
import { Adapters, formatSummary, type IngestSummary, type WriteProgress } from "../../adapters/index.js"
import { formatWarning } from "../../adapters/warnings.js"
import { InvalidArgument } from "../../errors.js"
import { flagList, flagString } from "../args.js"
import type { Command, Output } from "../command.js"

const USAGE = "lamina ingest nextflow DIR… [--include GLOB] [--exclude GLOB] [--key-prefix P] [--json]\n       lamina ingest snakemake DIR [--snakefile FILE] [--key-prefix P] [--json]"

/** A progress line on stderr, for runs with many files (redrawn in place on a terminal). */
export const progressLine = (): ((p: WriteProgress) => void) => {
  let last = 0
  return (p) => {
    if (p.filesTotal < 500) return
    const t = Date.now()
    if (t - last < 250 && p.files < p.filesTotal) return
    last = t
    const text = `ingesting: launch ${p.launch}/${p.launches}, files ${p.files}/${p.filesTotal}`
    process.stderr.write(process.stderr.isTTY ? `\r${text}` : `${text}\n`)
  }
}

/** Print a summary (or the JSON) and the warnings. */
export const report = (summary: IngestSummary, out: Output): void => {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K")
  for (const w of summary.warnings.slice(0, 20)) process.stderr.write(`warning: ${formatWarning(w)}\n`)
  if (summary.warnings.length > 20) process.stderr.write(`warning: … and ${summary.warnings.length - 20} more (see --json)\n`)
  if (out.wantsJson) out.json(summary)
  else out.line(`✓ ${formatSummary(summary)}`)
}

/** The `ingest` command. */
export const command: Command = {
  name: "ingest",
  summary: "record a Nextflow or Snakemake run from the files it left (runs, tasks, artifacts, lineage)",
  usage: USAGE,
  flags: {
    include: { type: "string", multiple: true, description: "Nextflow: only published files matching this glob (relative to DIR; repeatable)" },
    exclude: { type: "string", multiple: true, description: "Nextflow: skip published files matching this glob (repeatable)" },
    snakefile: { type: "string", description: "Snakemake: the Snakefile, when not DIR/Snakefile or DIR/workflow/Snakefile" },
    key_prefix: { type: "string", description: "prefix of artifact keys (default: paths relative to DIR)" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const [tool, ...dirs] = args.positionals
      const keyPrefix = flagString(args, "key_prefix")
      const onProgress = progressLine()
      if (tool === "nextflow") {
        if (dirs.length === 0) return yield* new InvalidArgument({ message: `Pass the folder(s) a Nextflow run left.\nUsage: ${USAGE}` })
        return report(yield* Adapters.nextflow.ingest(dirs, { include: flagList(args, "include"), exclude: flagList(args, "exclude"), keyPrefix, onProgress }), out)
      }
      if (tool === "snakemake") {
        if (dirs.length !== 1) return yield* new InvalidArgument({ message: `Pass one Snakemake working directory.\nUsage: ${USAGE}` })
        if (flagList(args, "include").length > 0 || flagList(args, "exclude").length > 0)
          return yield* new InvalidArgument({ message: "--include/--exclude filter Nextflow's published files; a Snakemake ingest records exactly the files its metadata names." })
        return report(yield* Adapters.snakemake.ingest(dirs[0]!, { snakefile: flagString(args, "snakefile"), keyPrefix, onProgress }), out)
      }
      return yield* new InvalidArgument({ message: `Unknown workflow tool '${tool ?? ""}': use nextflow or snakemake.\nUsage: ${USAGE}` })
    })
}
