/**
 * Progress of steps and flows as they run: running / cached / done / failed / aborted.
 * Sinks are plain callbacks; `stderrProgress` prints one line per event for long runs.
 *
 * @module
 */

/** A run's progress event. */
export interface ProgressEvent {
  readonly status: "running" | "cached" | "done" | "failed" | "aborted"
  readonly kind: "step" | "flow" | "script"
  readonly name: string
  readonly run: string
  /** The flow the step belongs to. */
  readonly flow?: string
  /** Wall time of an executed run (not for `running`). */
  readonly durationMs?: number
  /** For `cached`: the run reused. For `failed`: the error message. */
  readonly detail?: string
  /** The runner (`host:port`) executing the step, when it runs on a cluster. */
  readonly runner?: string
}

/** Receives progress events. Must not throw. */
export type ProgressSink = (event: ProgressEvent) => void

const SYMBOL: Record<ProgressEvent["status"], string> = { running: "…", cached: "=", done: "✓", failed: "✗", aborted: "!" }

/** One line per event on stderr: `[lamina] ✓ clean done (12 ms) run Ab12…`. */
export const stderrProgress: ProgressSink = (e) => {
  const time = e.durationMs === undefined ? "" : ` (${e.durationMs < 1000 ? `${e.durationMs.toFixed(0)} ms` : `${(e.durationMs / 1000).toFixed(1)} s`})`
  const detail = e.detail ? ` — ${e.detail.split("\n")[0]}` : ""
  const where = e.runner !== undefined ? ` on ${e.runner}` : ""
  process.stderr.write(`[lamina] ${SYMBOL[e.status]} ${e.kind === "step" ? "" : `${e.kind} `}${e.name} ${e.status}${where}${time} run ${e.run}${detail}\n`)
}

/** A sink that collects events (for tests and summaries). */
export const collectProgress = (): { readonly sink: ProgressSink; readonly events: Array<ProgressEvent> } => {
  const events: Array<ProgressEvent> = []
  return { sink: (e) => void events.push(e), events }
}
