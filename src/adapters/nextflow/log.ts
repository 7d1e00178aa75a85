/**
 * `.nextflow.log` (and its rotated `.nextflow.log.N`): the facts of one launch — command line,
 * Nextflow version, run name, repository and revision, session id, when it started and ended,
 * and whether it completed. Lines start `Mar-25 09:50:38.968 [main] DEBUG …`: no year, no zone.
 *
 * @module
 */

/** What one `.nextflow.log` says about its launch. */
export interface NextflowLog {
  readonly file: string
  readonly command: string | undefined
  readonly nextflowVersion: string | undefined
  readonly runName: string | undefined
  /** `https://github.com/nf-core/ampliseq` or a script path. */
  readonly repository: string | undefined
  /** The short commit id (`7cf7ed2b2a`). */
  readonly commit: string | undefined
  /** The revision asked for (`2.16.1`, a branch or tag), when the log names one. */
  readonly revision: string | undefined
  readonly sessionId: string | undefined
  /** Month-day-time of the first and last line (`Mar-25 09:50:38.968`), in the host's unknown zone. */
  readonly firstStamp: string | undefined
  readonly lastStamp: string | undefined
  /** `completed`, `errored` (an ERROR line, a cancelled execution), or undefined when it just stops. */
  readonly outcome: "completed" | "errored" | undefined
  readonly errorMessage: string | undefined
}

const STAMP = /^([A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) /

/** Parse a `.nextflow.log`'s text. */
export const parseNextflowLog = (file: string, text: string): NextflowLog => {
  let command: string | undefined
  let nextflowVersion: string | undefined
  let runName: string | undefined
  let repository: string | undefined
  let commit: string | undefined
  let revision: string | undefined
  let sessionId: string | undefined
  let firstStamp: string | undefined
  let lastStamp: string | undefined
  let errored = false
  let goodbye = false
  let errorMessage: string | undefined
  for (const line of text.split("\n")) {
    const stamp = STAMP.exec(line)
    if (stamp === null) continue
    firstStamp ??= stamp[1]
    lastStamp = stamp[1]
    let m: RegExpExecArray | null
    if (command === undefined && (m = /nextflow\.cli\.Launcher - \$> (.*)$/.exec(line)) !== null) command = m[1]
    else if (nextflowVersion === undefined && (m = /N E X T F L O W\s+~\s+version (\S+)/.exec(line)) !== null) nextflowVersion = m[1]
    else if (runName === undefined && (m = /Launching `([^`]+)` \[([^\]]+)\](?: DSL\d)?(?: - revision: (\S+)(?: \[([^\]]+)\])?)?/.exec(line)) !== null) {
      repository = m[1]
      runName = m[2]
      commit = m[3]
      revision = m[4]
    } else if (sessionId === undefined && (m = /Session UUID: (\S+)/.exec(line)) !== null) sessionId = m[1]
    else if (/\] ERROR /.test(line) || /Execution cancelled|Session aborted/.test(line)) {
      errored = true
      if (errorMessage === undefined && / ERROR /.test(line)) errorMessage = line.replace(/^.*? ERROR\s+\S+ - /, "")
    } else if (/Execution complete -- Goodbye/.test(line)) goodbye = true
  }
  return {
    file,
    command,
    nextflowVersion,
    runName,
    repository,
    commit,
    revision,
    sessionId,
    firstStamp,
    lastStamp,
    outcome: errored ? "errored" : goodbye ? "completed" : undefined,
    errorMessage
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** A log stamp `Mar-25 09:50:38.968` in `year`, read on the same (unknown) clock as file-name suffixes. */
export const stampToDate = (stamp: string, year: number): Date | undefined => {
  const m = /^([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})$/.exec(stamp)
  if (m === null) return undefined
  const month = MONTHS.indexOf(m[1]!)
  return month < 0 ? undefined : new Date(Date.UTC(year, month, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!))
}
