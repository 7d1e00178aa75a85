/**
 * A Snakemake working directory → an ingest plan. Records of one job (same rule, job hash,
 * inputs, params and command) become one job Run of the rule's Transform; each job belongs to
 * the newest log that announced its outputs (one pipeline Run per log), and jobs a log reports
 * failed become errored runs. Inputs and outputs are files of the working directory, so a
 * job's input that another job wrote resolves to that job's output artifact: lineage walks the
 * whole DAG back to the raw inputs.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { StorageError, ValidationError } from "../../errors.js"
import { RunStatus } from "../../registry/Run.js"
import { hashString } from "../../storage/hash.js"
import type { IngestPlan, PlannedBytes, PlannedFile, PlannedLaunch, PlannedRun, PlannedTransform } from "../plan.js"
import type { IngestWarning } from "../warnings.js"
import { parseSnakemakeLog, type SnakemakeLog } from "./log.js"
import { readRecords, type JobRecord } from "./metadata.js"
import { ruleSources } from "./rules.js"

/** Options of a Snakemake ingest. */
export interface SnakemakeOptions {
  /** The Snakefile (default: `Snakefile`, `snakefile` or `workflow/Snakefile` in the folder). */
  readonly snakefile?: string | undefined
  /** Prefix of artifact keys (default: none; keys are paths relative to the working directory). */
  readonly keyPrefix?: string | undefined
}

const SNAKEFILES = ["Snakefile", "snakefile", "workflow/Snakefile", "workflow/snakefile", "Snakefile.smk"]

/** A job: the records of its outputs. */
interface Job {
  readonly records: ReadonlyArray<JobRecord>
  readonly first: JobRecord
}

/** `'results/'` → `results/`; other Python reprs stay as written. */
export const unrepr = (s: string): string | number => {
  const m = /^'((?:[^'\\]|\\.)*)'$/.exec(s) ?? /^"((?:[^"\\]|\\.)*)"$/.exec(s)
  if (m !== null) return m[1]!.replace(/\\\\/g, "\\").replace(/\\'/g, "'")
  return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s) ? Number(s) : s
}

const toDate = (epochSeconds: number | undefined): Date | undefined => (epochSeconds === undefined ? undefined : new Date(Math.round(epochSeconds * 1000)))

/** Plan the ingest of a Snakemake working directory. */
export const planSnakemake = (dir: string, options: SnakemakeOptions = {}) =>
  Effect.gen(function* () {
    const metadataDir = path.join(dir, ".snakemake", "metadata")
    if (!existsSync(path.join(dir, ".snakemake")))
      return yield* new ValidationError({ message: `No '.snakemake' folder in '${dir}': pass the working directory Snakemake ran in (the folder holding '.snakemake/').` })
    const warnings: Array<IngestWarning> = []
    // A run whose every job failed leaves logs but no records.
    const records = existsSync(metadataDir) ? yield* readRecords(metadataDir) : []
    const logDir = path.join(dir, ".snakemake", "log")
    const logs: Array<SnakemakeLog> = []
    if (existsSync(logDir))
      for (const name of readdirSync(logDir).filter((n) => n.endsWith(".snakemake.log")).sort()) {
        const file = path.join(logDir, name)
        const text = yield* Effect.try({ try: () => readFileSync(file, "utf8"), catch: (cause) => new StorageError({ message: `Cannot read '${file}': ${String(cause)}`, path: file, cause }) })
        logs.push(parseSnakemakeLog(file, text))
      }

    const snakefile = options.snakefile !== undefined ? path.resolve(dir, options.snakefile) : SNAKEFILES.map((s) => path.join(dir, s)).find((s) => existsSync(s))
    if (options.snakefile !== undefined && (snakefile === undefined || !existsSync(snakefile)))
      return yield* new ValidationError({ message: `Snakefile '${options.snakefile}' does not exist: pass the Snakefile the workflow ran, or leave the option out.` })
    const sources = snakefile === undefined ? new Map<string, string>() : ruleSources(readFileSync(snakefile, "utf8"))
    const snakefileKey = `${path.basename(dir)}/${snakefile === undefined ? "Snakefile" : path.relative(dir, snakefile).split(path.sep).join("/")}`
    const pipelineSource = snakefile === undefined ? `snakefile: ${snakefileKey} (not present when ingested)` : readFileSync(snakefile, "utf8")
    const pipeline: PlannedTransform = { key: snakefileKey, kind: "pipeline", source: pipelineSource, description: "Snakemake workflow" }
    const ruleTransform = (rule: string, r: JobRecord | undefined): PlannedTransform => ({
      key: `${snakefileKey}:${rule}`,
      kind: "function",
      source: sources.get(rule) ?? r?.code ?? r?.shellcmd ?? `rule ${rule}`,
      description: `Snakemake rule ${rule}`
    })

    const file = (p: string, description?: string): PlannedFile => {
      const abs = path.resolve(dir, p)
      const isFolder = existsSync(abs) && statSync(abs).isDirectory()
      const rel = path.relative(dir, abs).split(path.sep).join("/")
      const key = (options.keyPrefix ? options.keyPrefix.replace(/\/+$/, "") + "/" : "") + (rel.startsWith("..") ? path.basename(abs) : rel)
      return { path: abs, key, isFolder, ...(description === undefined ? {} : { description }) }
    }

    // Group the records into jobs.
    const jobsByKey = new Map<string, Array<JobRecord>>()
    for (const r of records) {
      const k = JSON.stringify([r.rule, r.jobHash, r.input, r.params, r.shellcmd])
      jobsByKey.set(k, [...(jobsByKey.get(k) ?? []), r])
    }
    const jobs: Array<Job> = [...jobsByKey.values()].map((rs) => ({ records: rs, first: rs[0]! }))

    // Each job → the newest log that announced one of its outputs for its rule.
    const launchOf = new Map<Job, SnakemakeLog | undefined>()
    for (const job of jobs) {
      const outputs = new Set(job.records.map((r) => r.output))
      const log = [...logs].reverse().find((l) => l.jobs.some((j) => j.rule === job.first.rule && j.output.some((o) => outputs.has(o))))
      launchOf.set(job, log)
    }

    const jobRun = (job: Job): PlannedRun => {
      const r = job.first
      const starts = job.records.flatMap((x) => (x.starttime === undefined ? [] : [x.starttime]))
      const ends = job.records.flatMap((x) => (x.endtime === undefined ? [] : [x.endtime]))
      const env = r.condaEnv !== undefined || r.container !== undefined ? environmentBytes(r) : undefined
      const incomplete = job.records.some((x) => x.incomplete)
      return {
        reference: `${r.rule}:${r.jobHash ?? "-"}:${starts.length > 0 ? Math.min(...starts) : r.output}`,
        referenceType: "snakemake_job",
        name: r.rule,
        transform: ruleTransform(r.rule, r),
        params: {
          rule: r.rule,
          params: r.params.map(unrepr),
          ...(r.shellcmd === undefined ? {} : { shellcmd: r.shellcmd }),
          ...(r.jobHash === undefined ? {} : { job_hash: r.jobHash }),
          ...(r.condaEnv === undefined ? {} : { conda_env: r.condaEnv }),
          ...(r.container === undefined ? {} : { container: r.container }),
          outputs: job.records.map((x) => x.output)
        },
        status: incomplete ? RunStatus.errored : RunStatus.completed,
        startedAt: toDate(starts.length > 0 ? Math.min(...starts) : undefined),
        finishedAt: toDate(ends.length > 0 ? Math.max(...ends) : undefined),
        cliArgs: r.shellcmd,
        ...(incomplete ? { error: { message: `Snakemake marked the outputs of rule ${r.rule} incomplete (${job.records.map((x) => x.output).join(", ")}): the job did not finish.` } } : {}),
        inputs: r.input.map((p) => file(p)),
        outputs: [...job.records.map((x) => file(x.output)), ...r.log.map((p) => file(p, `log of rule ${r.rule}`))],
        ...(env === undefined ? {} : { environment: env })
      }
    }

    const launches: Array<PlannedLaunch> = []
    const launchFor = (log: SnakemakeLog | undefined, members: ReadonlyArray<Job>): PlannedLaunch => {
      const children = members.map(jobRun)
      if (log !== undefined)
        for (const f of log.failed)
          children.push({
            reference: `${log.runId}:failed:${f.jobid ?? f.line}`,
            referenceType: "snakemake_job",
            name: f.rule,
            transform: ruleTransform(f.rule, records.find((r) => r.rule === f.rule)),
            params: { rule: f.rule, outputs: [...f.output] },
            status: RunStatus.errored,
            startedAt: log.stamp,
            finishedAt: log.stamp,
            error: { message: `${log.file}:${f.line}: Error in rule ${f.rule} (jobid ${f.jobid ?? "?"}).` },
            inputs: f.input.filter((p) => existsSync(path.resolve(dir, p))).map((p) => file(p)),
            outputs: []
          })
      children.sort((a, b) => (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0))
      const starts = children.flatMap((c) => (c.startedAt === undefined ? [] : [c.startedAt.getTime()]))
      const ends = children.flatMap((c) => (c.finishedAt === undefined ? [] : [c.finishedAt.getTime()]))
      const status =
        log === undefined
          ? children.some((c) => c.status !== RunStatus.completed) ? RunStatus.errored : RunStatus.completed
          : log.outcome === "completed"
            ? RunStatus.completed
            : log.outcome === "errored" || children.some((c) => c.status !== RunStatus.completed)
              ? RunStatus.errored
              : RunStatus.aborted
      const reference = log?.runId ?? `records:${hashString(children.map((c) => c.reference).sort().join("\n"))}`
      const run: PlannedRun = {
        reference,
        referenceType: "snakemake_run",
        name: log === undefined ? `snakemake (${path.basename(dir)})` : `snakemake ${log.runId}`,
        transform: pipeline,
        params: { workdir: path.basename(dir), jobs: children.length },
        status,
        startedAt: starts.length > 0 ? new Date(Math.min(...starts)) : log?.stamp,
        finishedAt: ends.length > 0 ? new Date(Math.max(...ends)) : log?.stamp,
        ...(status === RunStatus.errored ? { error: { message: `Snakemake run ${log?.runId ?? "(no log)"} failed: see ${log?.file ?? "the job runs"}.` } } : {}),
        inputs: [],
        outputs: [],
        ...(log === undefined ? {} : { report: { path: log.file, key: file(log.file).key, isFolder: false, description: `Snakemake log ${log.runId}`, kind: "__lamina_run__" } })
      }
      return { source: log?.file ?? metadataDir, run, children }
    }
    const unlogged = jobs.filter((j) => launchOf.get(j) === undefined)
    if (unlogged.length > 0) launches.push(launchFor(undefined, unlogged))
    for (const log of logs) {
      const members = jobs.filter((j) => launchOf.get(j) === log)
      if (members.length > 0 || log.failed.length > 0) launches.push(launchFor(log, members))
    }
    return { tool: "snakemake", launches, warnings } satisfies IngestPlan
  })

/** A job's software environment (conda env file, container image) as a small JSON artifact. */
const environmentBytes = (r: JobRecord): PlannedBytes => ({
  bytes: Buffer.from(
    JSON.stringify({ conda_env: r.condaEnv ?? null, container: r.container ?? null, software_stack_hash: r.softwareStackHash ?? null }, null, 2) + "\n"
  ),
  name: "environment.json",
  description: "Snakemake job environment (conda env, container)"
})
