/**
 * Graphviz DOT rendering: `dot -Tsvg lineage.dot > lineage.svg`.
 *
 * @module
 */
import type { LineageGraph, LineageNode } from "./graph.js"

const q = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`

const attrs = (n: LineageNode, root: boolean): string => {
  const style = {
    artifact: 'shape=note, style=filled, fillcolor="#e8f1ff", color="#3b6fb6"',
    collection: 'shape=folder, style=filled, fillcolor="#f3ecfb", color="#7a4fb0"',
    run: 'shape=box, style="rounded,filled", fillcolor="#fff4e0", color="#c98a1b"',
    transform: 'shape=hexagon, style=filled, fillcolor="#eef7ee", color="#4a8a4a"'
  }[n.kind]
  return `label=${q(n.detail ? `${n.label}\n${n.detail}` : n.label)}, tooltip=${q(`${n.kind} ${n.uid}`)}, ${style}${root ? ", penwidth=3" : ""}`
}

/** The graph as a DOT digraph. */
export const renderDot = (graph: LineageGraph): string => {
  const lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];', '  edge [color="#777777"];']
  for (const n of graph.nodes) lines.push(`  ${q(n.id)} [${attrs(n, n.id === graph.root)}];`)
  for (const e of graph.edges) lines.push(e.kind === "recreated" ? `  ${q(e.from)} -> ${q(e.to)} [style=dashed, label="recreated"];` : `  ${q(e.from)} -> ${q(e.to)};`)
  lines.push("}")
  return lines.join("\n") + "\n"
}
