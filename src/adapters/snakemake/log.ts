/**
 * A Snakemake run log (`.snakemake/log/2025-01-30T023813.919482.snakemake.log`): one per
 * invocation. Its name is the run id (LaminDB's `snakemake_id`); its job blocks say which rule
 * wrote which outputs in this invocation, which jobs failed, and whether the run finished.
 *
 * @module
 */

/** A job as the log announces it. */
export interface LoggedJob {
  readonly rule: string
  readonly jobid: string | undefined
  readonly input: ReadonlyArray<string>
  readonly output: ReadonlyArray<string>
  /** 1-based line of the `rule X:` or `Error in rule X:` header. */
  readonly line: number
}

/** What one log says. */
export interface SnakemakeLog {
  readonly file: string
  /** The file name without `.snakemake.log`: `2025-01-30T023813.919482`. */
  readonly runId: string
  /** The file-name timestamp on the host's (unknown) clock, read as UTC. */
  readonly stamp: Date | undefined
  readonly jobs: ReadonlyArray<LoggedJob>
  readonly failed: ReadonlyArray<LoggedJob>
  /** `completed` (all steps done, or nothing to do), `errored`, or undefined (stopped or still running). */
  readonly outcome: "completed" | "errored" | undefined
}

const list = (s: string): ReadonlyArray<string> =>
  s
    .split(", ")
    .map((x) => x.trim())
    .filter((x) => x !== "")

/** Parse a log's text. */
export const parseSnakemakeLog = (file: string, text: string): SnakemakeLog => {
  const name = file.split(/[\\/]/).pop() ?? file
  const runId = name.replace(/\.snakemake\.log$/, "")
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d+))?/.exec(runId)
  const stamp = m === null ? undefined : new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] === undefined ? 0 : Math.floor(+m[7].padEnd(6, "0") / 1000)))
  const lines = text.split("\n")
  const jobs: Array<LoggedJob> = []
  const failed: Array<LoggedJob> = []
  let errored = false
  let done = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "")
    const header = /^(?:local)?(?:rule|checkpoint) (\S+):$/.exec(line) ?? /^Error in rule (\S+):$/.exec(line)
    if (header !== null) {
      let jobid: string | undefined
      let input: ReadonlyArray<string> = []
      let output: ReadonlyArray<string> = []
      let j = i + 1
      for (; j < lines.length && /^\s+\S/.test(lines[j]!); j++) {
        const f = /^\s+(\w+): (.*)$/.exec(lines[j]!.replace(/\r$/, ""))
        if (f === null) continue
        if (f[1] === "jobid") jobid = f[2]
        else if (f[1] === "input") input = list(f[2]!)
        else if (f[1] === "output") output = list(f[2]!)
      }
      const job = { rule: header[1]!, jobid, input, output, line: i + 1 }
      if (line.startsWith("Error in rule")) {
        failed.push(job)
        errored = true
      } else jobs.push(job)
      continue
    }
    if (/^\d+ of \d+ steps \(100%\) done/.test(line) || /^Nothing to be done/.test(line)) done = true
    if (/Exiting because a job execution failed|^WorkflowError|^MissingInputException|^RuleException|^SyntaxError|^IncompleteFilesException/.test(line)) errored = true
  }
  return { file, runId, stamp, jobs, failed, outcome: errored ? "errored" : done ? "completed" : undefined }
}
