/**
 * `.nextflow/history`: one tab-separated line per launch in the project folder — start, duration,
 * run name, status (`OK`, `ERR`, `-`), revision id, session id, command line.
 *
 * @module
 */
import { parseDuration } from "./units.js"

/** One launch in `.nextflow/history`. */
export interface HistoryEntry {
  readonly line: number
  /** `YYYY-MM-DD HH:MM:SS` on the host's (unknown) clock, read as if UTC. */
  readonly start: Date
  readonly durationMs: number | undefined
  readonly runName: string
  readonly status: "OK" | "ERR" | undefined
  readonly revisionId: string | undefined
  readonly sessionId: string | undefined
  readonly command: string
}

/** Parse `.nextflow/history`; lines that do not fit the 7-column layout are skipped. */
export const parseHistory = (text: string): ReadonlyArray<HistoryEntry> =>
  text.split("\n").flatMap((line, i) => {
    const f = line.replace(/\r$/, "").split("\t")
    if (f.length < 7) return []
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(f[0]!)
    if (m === null) return []
    return [
      {
        line: i + 1,
        start: new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)),
        durationMs: f[1] === "-" ? undefined : parseDuration(f[1]!),
        runName: f[2]!,
        status: f[3] === "OK" || f[3] === "ERR" ? f[3] : undefined,
        revisionId: f[4] === "-" || f[4] === "" ? undefined : f[4],
        sessionId: f[5] === "-" || f[5] === "" ? undefined : f[5],
        command: f.slice(6).join("\t")
      }
    ]
  })

/** The pipeline a `nextflow run X …` command names (`nf-core/ampliseq`, `main.nf`), if any. */
export const pipelineOfCommand = (command: string): string | undefined => {
  const words = command.trim().split(/\s+/)
  const i = words.indexOf("run")
  const target = i >= 0 ? words[i + 1] : undefined
  return target === undefined || target.startsWith("-") ? undefined : target
}
