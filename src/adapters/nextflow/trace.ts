/**
 * The Nextflow trace file (`trace.txt`, `pipeline_info/execution_trace_*.txt`): tab-separated,
 * one header line naming the columns (their set and order vary by Nextflow version and config,
 * so columns are mapped by name), then one line per task, values human-formatted or raw.
 *
 * @module
 */
import { ValidationError } from "../../errors.js"
import type { IngestWarning } from "../warnings.js"
import { isPlaceholder, parseDuration, parsePercent, parseSize, parseTimestamp } from "./units.js"

/** Every column Nextflow's trace can carry (nextflow.trace.TraceRecord.FIELDS). */
const KNOWN_COLUMNS = new Set([
  "task_id", "hash", "native_id", "process", "tag", "name", "status", "exit", "module", "container", "cpus", "time",
  "disk", "memory", "attempt", "submit", "start", "complete", "duration", "realtime", "queue", "%cpu", "%mem", "rss",
  "vmem", "peak_rss", "peak_vmem", "rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes", "vol_ctxt",
  "inv_ctxt", "env", "workdir", "script", "scratch", "error_action", "hostname", "cpu_model", "accelerator",
  "accelerator_type", "native_id", "log", "stdout", "stderr"
])
const DURATIONS = new Set(["duration", "realtime", "time"])
const SIZES = new Set(["memory", "disk", "rss", "vmem", "peak_rss", "peak_vmem", "rchar", "wchar", "read_bytes", "write_bytes"])
const PERCENTS = new Set(["%cpu", "%mem"])
const INTEGERS = new Set(["cpus", "attempt", "syscr", "syscw", "vol_ctxt", "inv_ctxt", "exit"])
const TIMES = new Set(["submit", "start", "complete"])

/** Task statuses a trace records. */
export type TaskStatus = "COMPLETED" | "CACHED" | "FAILED" | "ABORTED"
const STATUSES: ReadonlySet<string> = new Set<TaskStatus>(["COMPLETED", "CACHED", "FAILED", "ABORTED"])

/** One task of a trace, values decoded. */
export interface TraceTask {
  /** 1-based line in the trace file. */
  readonly line: number
  readonly taskId: number | undefined
  /** `77/a3995c`: the prefix of the task's work directory; stable across resumed launches. */
  readonly hash: string | undefined
  /** The fully qualified process name, without the tag. */
  readonly process: string
  readonly tag: string | undefined
  readonly status: TaskStatus
  readonly exit: number | undefined
  readonly submit: Date | undefined
  readonly workdir: string | undefined
  /** Every measured value by column name (durations in ms, sizes in bytes, `%` as numbers); `-` left out. */
  readonly metrics: Readonly<Record<string, number | string>>
}

/** A parsed trace. */
export interface Trace {
  readonly file: string
  readonly columns: ReadonlyArray<string>
  readonly tasks: ReadonlyArray<TraceTask>
  readonly warnings: ReadonlyArray<IngestWarning>
}

/** `NAME (tag)` → process and tag; DSL1 names have no `:`, tags may hold commas and slashes. */
export const splitName = (name: string): { readonly process: string; readonly tag: string | undefined } => {
  const m = /^(.*?) \((.*)\)$/.exec(name)
  return m === null ? { process: name, tag: undefined } : { process: m[1]!, tag: m[2]! }
}

const decodeValue = (column: string, raw: string): number | string | undefined => {
  if (isPlaceholder(raw)) return undefined
  const parsed = DURATIONS.has(column)
    ? parseDuration(raw)
    : SIZES.has(column)
      ? parseSize(raw)
      : PERCENTS.has(column)
        ? parsePercent(raw)
        : INTEGERS.has(column)
          ? /^-?\d+$/.test(raw) ? Number(raw) : undefined
          : TIMES.has(column)
            ? parseTimestamp(raw)?.getTime()
            : raw
  return parsed ?? raw
}

/** The metric name stored on the run: `%cpu` → `cpu_percent`, `%mem` → `mem_percent`. */
const metricName = (column: string): string => (column.startsWith("%") ? `${column.slice(1)}_percent` : column)

/**
 * Parse a trace's text. A line with a different number of fields than the header (a truncated
 * write) or an unknown status fails with a `ValidationError` naming file and line; an unknown
 * column is a warning (its values are kept as text).
 */
export const parseTrace = (file: string, text: string): Trace | ValidationError => {
  const lines = text.split("\n")
  if (lines.at(-1) === "") lines.pop()
  const fail = (line: number, message: string) => new ValidationError({ message: `${file}:${line}: ${message}` })
  if (lines.length === 0) return fail(1, "the trace file is empty; expected a tab-separated header line (task_id, hash, name, status, …).")
  const columns = lines[0]!.replace(/\r$/, "").split("\t")
  const warnings: Array<IngestWarning> = []
  for (const c of columns)
    if (!KNOWN_COLUMNS.has(c)) warnings.push({ file, line: 1, message: `unknown trace column '${c}': kept as text on each task run.` })
  if (!columns.includes("status") || !(columns.includes("name") || columns.includes("process")))
    return fail(1, `the header lacks 'status' or 'name': this is not a Nextflow trace (columns: ${columns.join(", ")}).`)
  const tasks: Array<TraceTask> = []
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1
    const line = lines[i]!.replace(/\r$/, "")
    if (line === "") continue
    const fields = line.split("\t")
    if (fields.length !== columns.length)
      return fail(lineNo, `${fields.length} fields where the header has ${columns.length}: the line is truncated or damaged. Re-copy the trace from the run, or remove the line to ingest the rest.`)
    const row: Record<string, string> = {}
    columns.forEach((c, j) => (row[c] = fields[j]!))
    const status = row.status!
    if (!STATUSES.has(status)) return fail(lineNo, `unknown task status '${status}' (expected COMPLETED, CACHED, FAILED or ABORTED).`)
    const split = splitName(row.name ?? row.process ?? "")
    const process = row.process !== undefined && !isPlaceholder(row.process) ? row.process : split.process
    if (process === "") return fail(lineNo, "the task has no process name.")
    const tag = row.tag !== undefined && !isPlaceholder(row.tag) ? row.tag : split.tag
    const metrics: Record<string, number | string> = {}
    for (const c of columns) {
      if (c === "name" || c === "process" || c === "tag" || c === "status" || c === "hash" || c === "task_id" || c === "workdir") continue
      const v = decodeValue(c, row[c]!)
      if (v !== undefined) metrics[metricName(c)] = v
    }
    const exit = typeof metrics.exit === "number" ? metrics.exit : undefined
    const submit = row.submit === undefined ? undefined : parseTimestamp(row.submit)
    tasks.push({
      line: lineNo,
      taskId: row.task_id !== undefined && /^\d+$/.test(row.task_id) ? Number(row.task_id) : undefined,
      hash: row.hash === undefined || isPlaceholder(row.hash) ? undefined : row.hash,
      process,
      tag,
      status: status as TaskStatus,
      exit,
      submit,
      workdir: row.workdir === undefined || isPlaceholder(row.workdir) ? undefined : row.workdir,
      metrics
    })
  }
  return { file, columns, tasks, warnings }
}
