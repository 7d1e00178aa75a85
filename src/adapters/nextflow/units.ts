/**
 * Nextflow's human-readable trace values back to numbers: durations (`350ms`, `1h 9m 49s`),
 * sizes (`105.4 KB`, `1 GB`: binary multiples, as Nextflow's `MemoryUnit` prints them) and
 * percentages (`120.0%`). Raw values (`-with-trace` with `raw` fields) are numbers already.
 *
 * @module
 */

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4, PB: 1024 ** 5 }

/** A trace placeholder: `-` (or empty) means "not measured". */
export const isPlaceholder = (value: string): boolean => value === "-" || value === ""

/** Milliseconds of a duration like `2m 10s`, `4.9s`, `350ms` or a raw `350`; undefined if not one. */
export const parseDuration = (value: string): number | undefined => {
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v)
  const parts = v.split(/\s+/)
  let total = 0
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part)
    if (m === null) return undefined
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!
  }
  return Math.round(total)
}

/** Bytes of a size like `105.4 KB`, `0`, `894 B` or a raw `1073741824`; undefined if not one. */
export const parseSize = (value: string): number | undefined => {
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v)
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|PB)$/.exec(v)
  return m === null ? undefined : Math.round(Number(m[1]) * SIZE_UNITS[m[2]!]!)
}

/** The number of a percentage like `120.0%` (or a raw `120.0`); undefined if not one. */
export const parsePercent = (value: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim())
  return m === null ? undefined : Number(m[1])
}

/**
 * A trace timestamp `YYYY-MM-DD HH:MM:SS.mmm` (or raw epoch ms). Nextflow renders it in the
 * host's zone without saying which; the fixtures' raw data shows UTC, so it is read as UTC.
 */
export const parseTimestamp = (value: string): Date | undefined => {
  const v = value.trim()
  if (/^\d{12,}$/.test(v)) return new Date(Number(v))
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(v)
  if (m === null) return undefined
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] === undefined ? 0 : +m[7].padEnd(3, "0")))
  return Number.isNaN(d.getTime()) ? undefined : d
}
