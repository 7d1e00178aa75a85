/**
 * The execution report (`execution_report_*.html`, `-with-report`) embeds every task of its
 * launch as JSON — `window.data = { "trace": [ … ] }`, each value a JSON string of the raw
 * value (`"duration":"350"`, epoch-ms `"submit"`) — with fields the TSV trace often lacks:
 * `workdir`, `container`, `hostname`, `cpu_model`. The ingest uses them to fill in what the
 * trace does not say, matched by task hash.
 *
 * @module
 */
import { ValidationError } from "../../errors.js"

/** What the report adds to one task (raw values as Nextflow wrote them). */
export interface ReportTask {
  readonly hash: string
  readonly workdir: string | undefined
  /** Extra fields kept on the task run when the trace lacks them. */
  readonly extra: Readonly<Record<string, string>>
}

/** A parsed execution report. */
export interface ExecutionReport {
  readonly file: string
  /** By task hash (`77/a3995c`). */
  readonly tasks: ReadonlyMap<string, ReportTask>
}

/** Report fields copied onto a task run when its trace has no such column. */
const EXTRA = ["container", "hostname", "cpu_model", "cpus", "memory", "attempt", "queue", "scratch", "error_action", "native_id"] as const

/** The JSON object literal starting at `start` (`{`): its end, skipping strings. */
const objectEnd = (text: string, start: number): number | undefined => {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === "{" || c === "[") depth++
    else if (c === "}" || c === "]") {
      depth--
      if (depth === 0) return i + 1
    }
  }
  return undefined
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" && v !== "-" ? v : typeof v === "number" ? String(v) : undefined)

/**
 * Parse a report's embedded task data. A report without it, or with JSON that does not parse,
 * is a `ValidationError` naming the file (the ingest keeps the report as an artifact and warns).
 */
export const parseExecutionReport = (file: string, text: string): ExecutionReport | ValidationError => {
  const at = /window\.data\s*=\s*\{/.exec(text)
  if (at === null) return new ValidationError({ message: `${file}: no embedded task data ('window.data = {…}'); the report is kept, its tasks are not read.` })
  const start = at.index + at[0].length - 1
  const end = objectEnd(text, start)
  let data: unknown
  try {
    if (end === undefined) throw new Error("the object does not end")
    data = JSON.parse(text.slice(start, end))
  } catch (cause) {
    return new ValidationError({ message: `${file}: the embedded task data is not valid JSON (${String(cause)}); the report is kept, its tasks are not read.` })
  }
  const trace = typeof data === "object" && data !== null && "trace" in data ? (data as { readonly trace: unknown }).trace : undefined
  if (!Array.isArray(trace)) return new ValidationError({ message: `${file}: the embedded data has no 'trace' list; the report is kept, its tasks are not read.` })
  const tasks = new Map<string, ReportTask>()
  for (const t of trace as ReadonlyArray<unknown>) {
    if (typeof t !== "object" || t === null) continue
    const row = t as Readonly<Record<string, unknown>>
    const hash = str(row.hash)
    if (hash === undefined) continue
    const extra: Record<string, string> = {}
    for (const k of EXTRA) {
      const v = str(row[k])
      if (v !== undefined) extra[k] = v
    }
    tasks.set(hash, { hash, workdir: str(row.workdir), extra })
  }
  return { file, tasks }
}
