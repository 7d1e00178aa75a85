/**
 * A Nextflow folder → an ingest plan. Each trace file is one launch (a pipeline Run); each
 * trace row a task Run of its process's Transform, child of the launch. Logs, history, params
 * and software versions are paired to launches by run name and time; published files are the
 * outputs of the newest launch — of the task that wrote them when its work dir says so: a
 * symlink into the work dir the trace (or the execution report's task data) names, or a
 * `publishing file:` line of the log. The DAG (`pipeline_dag_*`) gives each process transform
 * its upstream processes; the execution report and software versions become the launch's
 * report and environment artifacts.
 *
 * @module
 */
import { readFileSync, realpathSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { ValidationError, StorageError } from "../../errors.js"
import { RunStatus } from "../../registry/Run.js"
import { hashString } from "../../storage/hash.js"
import type { IngestPlan, PlannedFile, PlannedLaunch, PlannedRun, PlannedTransform } from "../plan.js"
import type { IngestWarning } from "../warnings.js"
import { discoverNextflow, isPublished, type PublishFilter } from "./discover.js"
import { parseHistory, pipelineOfCommand, type HistoryEntry } from "./history.js"
import { parseNextflowLog, type NextflowLog } from "./log.js"
import { parseParams, suffixOf, suffixToDate, type ParamsFile } from "./params.js"
import { parseDag, resolveProcess, type ProcessDag } from "./dag.js"
import { hashOfWorkPath, parsePublishLines, publishedFileOf, type PublishEntry } from "./publish.js"
import { parseExecutionReport, type ExecutionReport } from "./report.js"
import { parseTrace, type Trace, type TraceTask } from "./trace.js"
import type { SoftwareVersions } from "./versions.js"

/** Options of a Nextflow ingest. */
export interface NextflowOptions extends PublishFilter {
  /** Prefix of artifact keys (default: none; keys are paths relative to the folder). */
  readonly keyPrefix?: string | undefined
}

const read = (file: string) =>
  Effect.try({ try: () => readFileSync(file, "utf8"), catch: (cause) => new StorageError({ message: `Cannot read '${file}': ${String(cause)}`, path: file, cause }) })

const orFail = <A>(x: A | ValidationError): Effect.Effect<A, ValidationError> => (x instanceof ValidationError ? Effect.fail(x) : Effect.succeed(x))

const STATUS: Readonly<Record<TraceTask["status"], number>> = {
  COMPLETED: RunStatus.completed,
  CACHED: RunStatus.cached,
  FAILED: RunStatus.errored,
  ABORTED: RunStatus.aborted
}

const FIVE_MINUTES = 5 * 60_000

/** The history line of a launch whose trace opened at `opened` (the launch line follows within minutes). */
const historyFor = (history: ReadonlyArray<HistoryEntry>, opened: Date | undefined): HistoryEntry | undefined => {
  if (opened === undefined) return undefined
  const t = opened.getTime()
  return history
    .filter((h) => h.start.getTime() >= t - 1000 && h.start.getTime() - t <= FIVE_MINUTES)
    .sort((a, b) => a.start.getTime() - b.start.getTime())[0]
}

/** The params file of a launch: the first one written after its trace opened and before the next launch. */
const paramsFor = (params: ReadonlyArray<ParamsFile>, opened: Date | undefined, next: Date | undefined): ParamsFile | undefined => {
  if (opened === undefined) return params.length === 1 ? params[0] : undefined
  const byField = params.find((p) => p.params.trace_report_suffix !== undefined && suffixToDate(String(p.params.trace_report_suffix)).getTime() === opened.getTime())
  if (byField !== undefined) return byField
  return params
    .filter((p) => {
      const t = suffixToDate(p.suffix).getTime()
      return t >= opened.getTime() && (next === undefined || t < next.getTime())
    })
    .sort((a, b) => a.suffix.localeCompare(b.suffix))[0]
}

/** Milliseconds since epoch of a task's end, when it ran. */
const endOf = (task: TraceTask): Date | undefined => {
  const d = task.metrics.duration
  return task.submit === undefined || typeof d !== "number" ? undefined : new Date(task.submit.getTime() + d)
}

/** The pipeline's transform: key = repository (or the script), version = revision (nf-lamin's mapping). */
const pipelineTransform = (dir: string, log: NextflowLog | undefined, history: HistoryEntry | undefined, versions: SoftwareVersions | undefined): PlannedTransform => {
  const key = log?.repository ?? (history === undefined ? undefined : pipelineOfCommand(history.command)) ?? versions?.pipeline?.name ?? path.basename(dir)
  const versionTag = log?.revision ?? versions?.pipeline?.version ?? log?.commit ?? history?.revisionId?.slice(0, 10)
  const commit = history?.revisionId ?? log?.commit
  const source = [`repo: ${key}`, ...(versionTag ? [`revision: ${versionTag}`] : []), ...(commit ? [`commit: ${commit}`] : [])].join("\n")
  return {
    key,
    kind: "pipeline",
    source,
    versionTag,
    description: versions?.pipeline ? `${versions.pipeline.name} ${versions.pipeline.version} (Nextflow)` : "Nextflow pipeline",
    reference: /^https?:\/\//.test(key) ? key : undefined,
    referenceType: /^https?:\/\//.test(key) ? "url" : undefined
  }
}

const relKey = (dir: string, file: string, prefix: string | undefined): string =>
  (prefix ? prefix.replace(/\/+$/, "") + "/" : "") + path.relative(dir, file).split(path.sep).join("/")

/** Plan the ingest of one Nextflow folder. */
export const planNextflowDir = (dir: string, options: NextflowOptions = {}) =>
  Effect.gen(function* () {
    const files = discoverNextflow(dir, options)
    const warnings: Array<IngestWarning> = []
    if (files.traces.length === 0)
      return yield* new ValidationError({
        message: `No Nextflow trace found under '${dir}' (trace.txt or pipeline_info/execution_trace_*.txt). Run Nextflow with -with-trace (nf-core pipelines write one by default) and pass the project or results folder.`
      })
    const traces: Array<{ readonly trace: Trace; readonly text: string; readonly suffix: string | undefined }> = []
    for (const file of files.traces) {
      const text = yield* read(file)
      const trace = yield* orFail(parseTrace(file, text))
      warnings.push(...trace.warnings)
      traces.push({ trace, text, suffix: suffixOf(path.basename(file)) })
    }
    traces.sort((a, b) => (a.suffix ?? "").localeCompare(b.suffix ?? "") || a.trace.file.localeCompare(b.trace.file))
    const params: Array<ParamsFile> = []
    for (const file of files.params) params.push(yield* orFail(parseParams(file, suffixOf(path.basename(file)) ?? "", yield* read(file))))
    const logs: Array<NextflowLog> = []
    const publishLines = new Map<NextflowLog, ReadonlyArray<PublishEntry>>()
    for (const file of files.logs) {
      const text = yield* read(file)
      const log = parseNextflowLog(file, text)
      logs.push(log)
      publishLines.set(log, parsePublishLines(text))
    }
    // DAGs and reports are optional: one that cannot be read is a warning, never a failed ingest.
    const dags = new Map<string, ProcessDag>()
    for (const file of files.dags) {
      const dag = parseDag(file, yield* read(file))
      if (dag instanceof ValidationError) warnings.push({ file, message: dag.message })
      else dags.set(file, dag)
    }
    const reports = new Map<string, ExecutionReport>()
    for (const file of files.reports) {
      const report = parseExecutionReport(file, yield* read(file))
      if (report instanceof ValidationError) warnings.push({ file, message: report.message })
      else reports.set(file, report)
    }
    const history = files.history === undefined ? [] : parseHistory(yield* read(files.history))
    const versionsFile = files.versions[0]
    // The YAML parser loads only for a run that has a versions file.
    const versions =
      versionsFile === undefined
        ? undefined
        : yield* orFail((yield* Effect.promise(() => import("./versions.js"))).parseSoftwareVersions(versionsFile, yield* read(versionsFile)))
    const envFile: PlannedFile | undefined =
      versionsFile === undefined ? undefined : { path: versionsFile, key: relKey(dir, versionsFile, options.keyPrefix), isFolder: false, description: "Nextflow software versions", kind: "__lamina_run__" }

    // Files the params name (`--input samplesheet.csv`) are the launches' inputs, not results.
    const inputsOf = new Map<ParamsFile, ReadonlyArray<PlannedFile>>()
    for (const pf of params) inputsOf.set(pf, paramInputs(dir, pf.params, options.keyPrefix))
    const inputPaths = new Set([...inputsOf.values()].flatMap((fs) => fs.map((f) => f.path)))

    // A completed task's run, by task hash, for the cached rows of later launches.
    const computedBy = new Map<string, string>()
    const launches: Array<PlannedLaunch> = []
    traces.forEach(({ trace, text, suffix }, i) => {
      const opened = suffix === undefined ? undefined : suffixToDate(suffix)
      const next = traces[i + 1]?.suffix
      const hist = historyFor(history, opened)
      const log = logs.find((l) => hist !== undefined && l.runName === hist.runName) ?? (traces.length === 1 && logs.length === 1 ? logs[0] : undefined)
      const pf = paramsFor(params, opened, next === undefined ? undefined : suffixToDate(next))
      const pipeline = pipelineTransform(dir, log, hist, versions)
      const launchRef = hashString(text)
      const isLast = i === traces.length - 1
      const report = files.reports.find((r) => suffix !== undefined && r.includes(suffix)) ?? (isLast ? files.reports.find((r) => suffixOf(path.basename(r)) === undefined) : undefined)
      const reportTasks = report === undefined ? undefined : reports.get(report)?.tasks
      const dagFile = files.dags.find((d) => suffix !== undefined && d.includes(suffix)) ?? (isLast ? files.dags.find((d) => suffixOf(path.basename(d)) === undefined) : undefined)
      const upstream = upstreamOf(dagFile === undefined ? undefined : dags.get(dagFile), [...new Set(trace.tasks.map((t) => t.process))])
      const starts = trace.tasks.flatMap((t) => (t.submit && t.status !== "CACHED" ? [t.submit.getTime()] : []))
      const ends = trace.tasks.flatMap((t) => (t.status === "CACHED" ? [] : [endOf(t)?.getTime() ?? 0]))
      const startedAt = starts.length > 0 ? new Date(Math.min(...starts)) : opened ?? hist?.start
      const finishedAt = hist?.durationMs !== undefined && hist.start ? new Date(hist.start.getTime() + hist.durationMs) : ends.length > 0 ? new Date(Math.max(...ends)) : startedAt
      const anyFailed = trace.tasks.some((t) => t.status === "FAILED" || t.status === "ABORTED")
      const status =
        hist?.status === "OK"
          ? RunStatus.completed
          : hist?.status === "ERR" || log?.outcome === "errored"
            ? RunStatus.errored
            : log?.outcome === "completed" && !anyFailed
              ? RunStatus.completed
              : trace.tasks.some((t) => t.status === "ABORTED")
                ? RunStatus.aborted
                : anyFailed || trace.tasks.length === 0
                  ? RunStatus.errored
                  : RunStatus.completed
      const runName = hist?.runName ?? log?.runName ?? path.basename(trace.file, ".txt")
      // A task's work dir: the trace's column, else the execution report's task data.
      const workdirOf = (t: TraceTask): string | undefined => t.workdir ?? (t.hash === undefined ? undefined : reportTasks?.get(t.hash)?.workdir)
      const workdirs = new Map<string, TraceTask>()
      for (const t of trace.tasks) {
        const w = workdirOf(t)
        if (w !== undefined) workdirs.set(w.replace(/\/+$/, ""), t)
      }
      const publishedBy = isLast ? publishingTasks(dir, files.published, trace, [log, ...logs], publishLines) : new Map<string, TraceTask>()
      const children: Array<PlannedRun> = []
      const taskOutputs = new Map<TraceTask, Array<PlannedFile>>()
      const pipelineOutputs: Array<PlannedFile> = []
      if (isLast)
        for (const file of files.published.filter((f) => !inputPaths.has(f))) {
          const planned: PlannedFile = { path: file, key: relKey(dir, file, options.keyPrefix), isFolder: false }
          const task = (workdirs.size === 0 ? undefined : taskOfPublished(file, workdirs)) ?? publishedBy.get(file)
          if (task === undefined) pipelineOutputs.push(planned)
          else taskOutputs.set(task, [...(taskOutputs.get(task) ?? []), planned])
        }
      const seenRefs = new Set<string>()
      for (const t of trace.tasks) {
        let ref = `${launchRef}:${t.hash ?? `line${t.line}`}`
        if (seenRefs.has(ref)) ref = `${ref}:line${t.line}`
        seenRefs.add(ref)
        if (t.status === "COMPLETED" && t.hash !== undefined) computedBy.set(t.hash, ref)
        children.push({
          reference: ref,
          referenceType: "nextflow_task",
          name: t.tag === undefined ? t.process : `${t.process} (${t.tag})`,
          transform: {
            key: `${pipeline.key}:${t.process}`,
            kind: "function",
            source: [`process: ${t.process}`, `pipeline: ${pipeline.key}`, ...(pipeline.versionTag ? [`revision: ${pipeline.versionTag}`] : [])].join("\n"),
            versionTag: pipeline.versionTag,
            description: `Nextflow process ${t.process}`,
            ...(upstream.has(t.process) ? { predecessors: upstream.get(t.process)!.map((p) => `${pipeline.key}:${p}`) } : {})
          },
          params: {
            process: t.process,
            ...(t.tag === undefined ? {} : { tag: t.tag }),
            ...(t.taskId === undefined ? {} : { task_id: t.taskId }),
            ...(t.hash === undefined ? {} : { hash: t.hash }),
            ...(workdirOf(t) === undefined ? {} : { workdir: workdirOf(t)! }),
            ...(t.hash === undefined ? {} : reportTasks?.get(t.hash)?.extra),
            ...t.metrics
          },
          status: STATUS[t.status],
          startedAt: t.submit,
          finishedAt: endOf(t) ?? t.submit,
          ...(t.status === "FAILED" || t.status === "ABORTED"
            ? { error: { message: `${trace.file}:${t.line}: task ${t.status}${t.exit === undefined ? "" : ` with exit status ${t.exit}`}` } }
            : {}),
          ...(t.status === "CACHED" && t.hash !== undefined && computedBy.has(t.hash) ? { reusedReference: computedBy.get(t.hash)! } : {}),
          inputs: [],
          outputs: taskOutputs.get(t) ?? []
        })
      }
      const run: PlannedRun = {
        reference: launchRef,
        referenceType: "nextflow_trace",
        name: runName,
        transform: pipeline,
        params: pf?.params ?? {},
        status,
        startedAt,
        finishedAt,
        cliArgs: hist?.command ?? log?.command,
        ...(status === RunStatus.errored || status === RunStatus.aborted
          ? { error: { message: log?.errorMessage ?? `Nextflow launch ${runName} did not complete (${trace.file}).` } }
          : {}),
        inputs: pf === undefined ? [] : inputsOf.get(pf) ?? [],
        // The DAG file is kept as the launch's record when the include/exclude globs let it through.
        outputs: dagFile === undefined || !isPublished(relKey(dir, dagFile, undefined), options) ? pipelineOutputs : [...pipelineOutputs, { path: dagFile, key: relKey(dir, dagFile, options.keyPrefix), isFolder: false, description: `Nextflow DAG of ${runName}`, kind: "__lamina_run__" }],
        ...(report === undefined ? {} : { report: { path: report, key: relKey(dir, report, options.keyPrefix), isFolder: false, description: `Nextflow execution report of ${runName}`, kind: "__lamina_run__" } }),
        ...(envFile === undefined ? {} : { environment: envFile })
      }
      launches.push({ source: trace.file, run, children })
    })
    return { tool: "nextflow", launches, warnings } satisfies IngestPlan
  })

/** Files inside `dir` that top-level string params name (relative to `dir`, where Nextflow was launched). */
const paramInputs = (dir: string, params: Readonly<Record<string, unknown>>, prefix: string | undefined): ReadonlyArray<PlannedFile> =>
  Object.values(params).flatMap((v) => {
    if (typeof v !== "string" || v === "" || v.includes("*") || /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return []
    const abs = path.resolve(dir, v)
    const rel = path.relative(dir, abs)
    if (rel.startsWith("..") || path.isAbsolute(rel)) return []
    try {
      if (!statSync(abs).isFile()) return []
    } catch {
      return []
    }
    return [{ path: abs, key: relKey(dir, abs, prefix), isFolder: false }]
  })

/** The task whose work dir a published symlink points into. */
const taskOfPublished = (file: string, workdirs: ReadonlyMap<string, TraceTask>): TraceTask | undefined => {
  let target: string
  try {
    target = realpathSync(file)
  } catch {
    return undefined
  }
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const task = workdirs.get(dir)
    if (task !== undefined) return task
  }
  return undefined
}

/** Each traced process's upstream processes (trace names), from a DAG; empty without one. */
const upstreamOf = (dag: ProcessDag | undefined, processes: ReadonlyArray<string>): ReadonlyMap<string, ReadonlyArray<string>> => {
  const out = new Map<string, Array<string>>()
  if (dag === undefined) return out
  for (const [from, to] of dag.edges) {
    const a = resolveProcess(from, processes)
    const b = resolveProcess(to, processes)
    if (a === undefined || b === undefined || a === b) continue
    const list = out.get(b) ?? []
    if (!list.includes(a)) list.push(a)
    out.set(b, list)
  }
  for (const list of out.values()) list.sort()
  return out
}

/**
 * Published files → the task that wrote them, from the logs' publish lines (the launch's own
 * log first: a later launch overwrote earlier copies). Only tasks of this trace, by hash.
 */
const publishingTasks = (
  dir: string,
  published: ReadonlyArray<string>,
  trace: Trace,
  logs: ReadonlyArray<NextflowLog | undefined>,
  lines: ReadonlyMap<NextflowLog, ReadonlyArray<PublishEntry>>
): ReadonlyMap<string, TraceTask> => {
  const out = new Map<string, TraceTask>()
  const byHash = new Map<string, TraceTask>()
  for (const t of trace.tasks) if (t.hash !== undefined) byHash.set(t.hash, t)
  const entries = [...new Set(logs)].flatMap((l) => (l === undefined ? [] : lines.get(l) ?? []))
  if (entries.length === 0 || byHash.size === 0) return out
  const byRelative = new Map(published.map((f) => [path.relative(dir, f).split(path.sep).join("/"), f]))
  const hashes = new Set(byHash.keys())
  for (const e of entries) {
    const hash = hashOfWorkPath(e.source, hashes)
    const file = hash === undefined ? undefined : publishedFileOf(e.destination, dir, byRelative)
    if (file !== undefined && !out.has(file)) out.set(file, byHash.get(hash!)!)
  }
  return out
}

/** Plan several folders (each its own pipeline project). */
export const planNextflow = (dirs: ReadonlyArray<string>, options: NextflowOptions = {}) =>
  Effect.gen(function* () {
    const launches: Array<PlannedLaunch> = []
    const warnings: Array<IngestWarning> = []
    for (const dir of dirs) {
      const plan = yield* planNextflowDir(dir, options)
      launches.push(...plan.launches)
      warnings.push(...plan.warnings)
    }
    return { tool: "nextflow", launches, warnings } satisfies IngestPlan
  })
