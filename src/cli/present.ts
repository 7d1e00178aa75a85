/**
 * Human-readable presentation helpers shared by commands: sizes, trees (from the registry's
 * describe, which prints the same trees), tables.
 *
 * @module
 */

export { formatSize, tree, type TreeRow } from "../registry/describe/tree.js"

/** An aligned text table. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)))
  const fmt = (r: ReadonlyArray<string>) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()
  return [fmt(header), fmt(widths.map((w) => "─".repeat(w))), ...rows.map(fmt)].join("\n")
}
