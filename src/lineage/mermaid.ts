/**
 * Mermaid rendering (`flowchart LR`): artifacts as cylinders, collections as
 * subroutine boxes, runs as rounded boxes, transforms as hexagons.
 *
 * @module
 */
import type { LineageGraph, LineageNode } from "./graph.js"

/** A Mermaid-safe node id (uids are base62; the kind prefix keeps kinds apart). */
const mid = (id: string): string => id.replace(/[^A-Za-z0-9]/g, "_")

/** Text inside a quoted Mermaid label. */
const text = (s: string): string => s.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"))

const shape = (n: LineageNode): string => {
  const label = `"${text(n.label)}${n.detail ? `<br/><small>${text(n.detail)}</small>` : ""}"`
  switch (n.kind) {
    case "artifact":
      return `[(${label})]`
    case "collection":
      return `[[${label}]]`
    case "run":
      return `(${label})`
    case "transform":
      return `{{${label}}}`
  }
}

/** The graph as a Mermaid flowchart. */
export const renderMermaid = (graph: LineageGraph): string => {
  const lines = ["flowchart LR"]
  for (const n of graph.nodes) lines.push(`  ${mid(n.id)}${shape(n)}`)
  for (const e of graph.edges) lines.push(e.kind === "recreated" ? `  ${mid(e.from)} -. recreated .-> ${mid(e.to)}` : `  ${mid(e.from)} --> ${mid(e.to)}`)
  lines.push("  classDef artifact fill:#e8f1ff,stroke:#3b6fb6", "  classDef collection fill:#f3ecfb,stroke:#7a4fb0", "  classDef run fill:#fff4e0,stroke:#c98a1b", "  classDef transform fill:#eef7ee,stroke:#4a8a4a")
  for (const kind of ["artifact", "collection", "run", "transform"] as const) {
    const ids = graph.nodes.filter((n) => n.kind === kind).map((n) => mid(n.id))
    if (ids.length > 0) lines.push(`  class ${ids.join(",")} ${kind}`)
  }
  lines.push(`  style ${mid(graph.root)} stroke-width:3px`)
  return lines.join("\n") + "\n"
}
