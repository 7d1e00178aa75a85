/**
 * A progress bar with a rate on stderr for long reads (`lamina check --deep`, export, import).
 * On a terminal it redraws one line; otherwise it prints a line every few seconds, so logs of
 * long jobs still show how far they got.
 *
 * @module
 */
import { formatSize } from "./present.js"

/** What a bar shows. */
export interface BarState {
  readonly done: number
  readonly total: number
  readonly elapsedMs: number
  /** Extra text after the rate (e.g. `12/400 artifacts`). */
  readonly detail?: string
}

/** A progress bar writing to `write` (default stderr). */
export const progressBar = (label: string, options: { readonly tty?: boolean; readonly write?: (s: string) => void } = {}) => {
  const tty = options.tty ?? process.stderr.isTTY === true
  const write = options.write ?? ((s: string) => void process.stderr.write(s))
  let lastLine = 0
  let drawn = false
  const text = (s: BarState) => {
    const fraction = s.total > 0 ? Math.min(1, s.done / s.total) : 1
    const width = 24
    const filled = Math.round(fraction * width)
    const rate = s.elapsedMs > 0 ? (s.done / s.elapsedMs) * 1000 : 0
    return `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatSize(s.done)} / ${formatSize(s.total)} ${formatSize(Math.round(rate))}/s${s.detail ? ` ${s.detail}` : ""}`
  }
  return {
    /** Show the state (throttled by the caller). */
    update: (s: BarState): void => {
      if (tty) {
        write(`\r${text(s)}\x1b[K`)
        drawn = true
      } else if (s.elapsedMs - lastLine >= 5000) {
        lastLine = s.elapsedMs
        write(`${text(s)}\n`)
      }
    },
    /** Print the final state on its own line. */
    finish: (s: BarState): void => {
      write(`${tty && drawn ? "\r" : ""}${text(s)}${tty ? "\x1b[K" : ""}\n`)
    }
  }
}
