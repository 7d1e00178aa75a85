/**
 * The params a launch ran with: nf-core's `pipeline_info/params_<suffix>.json` (one per launch,
 * written a few seconds to minutes after the trace of the same launch opened).
 *
 * @module
 */
import { ValidationError } from "../../errors.js"

/** A params file and its parsed content. */
export interface ParamsFile {
  readonly file: string
  /** The `YYYY-MM-DD_HH-MM-SS` suffix of its name. */
  readonly suffix: string
  readonly params: Readonly<Record<string, unknown>>
}

/** Parse a params JSON; anything but a JSON object is a `ValidationError` naming the file. */
export const parseParams = (file: string, suffix: string, text: string): ParamsFile | ValidationError => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return new ValidationError({ message: `${file}: not valid JSON (${e instanceof Error ? e.message : String(e)}); re-copy the params file from the run or remove it.` })
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return new ValidationError({ message: `${file}: expected a JSON object of params, found ${Array.isArray(value) ? "an array" : typeof value}.` })
  return { file, suffix, params: value as Record<string, unknown> }
}

/** `execution_trace_2026-03-25_09-50-46.txt` → `2026-03-25_09-50-46`. */
export const suffixOf = (name: string): string | undefined => /(\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2})/.exec(name)?.[1]

/** A `YYYY-MM-DD_HH-MM-SS` suffix as a date on the host's (unknown) clock, read as UTC. */
export const suffixToDate = (suffix: string): Date => {
  const [d, t] = suffix.split("_") as [string, string]
  return new Date(`${d}T${t.replace(/-/g, ":")}Z`)
}
