/**
 * Human-readable presentation helpers shared by commands: sizes, trees, tables.
 *
 * @module
 */

/** Bytes as a short human size. */
export const formatSize = (bytes: number | null): string => {
  if (bytes === null) return "–"
  const units = ["B", "KB", "MB", "GB", "TB"]
  let v = bytes
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

/** A tree: a title line, then `├──`/`└──` rows of aligned `label: value` pairs. */
export const tree = (title: string, rows: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(0, ...rows.map(([k]) => k.length))
  const lines = rows.map(([k, v], i) => `${i === rows.length - 1 ? "└──" : "├──"} ${(k + ":").padEnd(width + 1)} ${v}`)
  return [title, ...lines].join("\n")
}

/** An aligned text table. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)))
  const fmt = (r: ReadonlyArray<string>) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()
  return [fmt(header), fmt(widths.map((w) => "─".repeat(w))), ...rows.map(fmt)].join("\n")
}
