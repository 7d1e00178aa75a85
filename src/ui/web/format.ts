/** Display helpers: sizes, dates, durations, JSON values. */

/** Bytes as a short human size (the CLI's). */
export { formatSize } from "../../cli/present.js"

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SS` (UTC). */
export const formatDate = (iso: string | null): string => (iso === null ? "–" : iso.replace("T", " ").slice(0, 19))

/** Milliseconds as `1.2 s`, `3 min 4 s`, … */
export const formatDuration = (ms: number | null): string => {
  if (ms === null) return "–"
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/** A param or metric value as short text. */
export const formatValue = (v: unknown): string => {
  if (v === null || v === undefined) return "–"
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e6 ? String(Number(v.toPrecision(6))) : v.toExponential(3)
  if (typeof v === "string") return v
  return JSON.stringify(v)
}
