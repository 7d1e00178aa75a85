/**
 * A self-contained HTML page drawing a lineage graph: inline SVG laid out in TypeScript, inline
 * CSS, no scripts or fonts from the network. Hovering a node shows its kind, uid and details.
 *
 * @module
 */
import type { LineageGraph } from "./graph.js"
import { layout, NODE_HEIGHT, nodeWidth } from "./layout.js"

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

/** Fit text into a node; `fromStart` keeps the end (a transform key's function name). */
const truncate = (s: string, width: number, charWidth: number, fromStart = false): string => {
  const max = Math.max(4, Math.floor((width - 16) / charWidth))
  if (s.length <= max) return s
  return fromStart ? "…" + s.slice(s.length - max + 1) : s.slice(0, max - 1) + "…"
}

const COLORS = {
  artifact: { fill: "#e8f1ff", stroke: "#3b6fb6" },
  collection: { fill: "#f3ecfb", stroke: "#7a4fb0" },
  run: { fill: "#fff4e0", stroke: "#c98a1b" },
  transform: { fill: "#eef7ee", stroke: "#4a8a4a" }
} as const

/** The graph as one HTML page. */
export const renderHtml = (graph: LineageGraph, title = "Lineage"): string => {
  const detailOf = (n: (typeof graph.nodes)[number]) => (n.detail ? `${n.kind} · ${n.detail}` : n.kind)
  const widths = new Map(graph.nodes.map((n) => [n.id, nodeWidth(n.label, detailOf(n))]))
  const lay = layout(graph, (id) => widths.get(id) ?? 120)
  const edges = graph.edges
    .flatMap((e) => {
      const a = lay.nodes.get(e.from)
      const b = lay.nodes.get(e.to)
      if (a === undefined || b === undefined) return []
      const x1 = a.x + a.width
      const y1 = a.y + NODE_HEIGHT / 2
      const x2 = b.x
      const y2 = b.y + NODE_HEIGHT / 2
      const dx = Math.max(30, (x2 - x1) / 2)
      return [`<path class="edge${e.kind === "recreated" ? " recreated" : ""}" d="M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}" marker-end="url(#arrow)"/>`]
    })
    .join("\n")
  const nodes = graph.nodes
    .map((n) => {
      const p = lay.nodes.get(n.id)!
      const c = COLORS[n.kind]
      const rx = n.kind === "run" ? 16 : n.kind === "transform" || n.kind === "collection" ? 2 : 6
      const root = n.id === graph.root ? ' stroke-width="3"' : ""
      return [
        `<g class="node ${n.kind}">`,
        `<title>${esc(`${n.kind} ${n.uid}\n${n.label}${n.detail ? `\n${n.detail}` : ""}`)}</title>`,
        `<rect x="${p.x}" y="${p.y}" width="${p.width}" height="${p.height}" rx="${rx}" fill="${c.fill}" stroke="${c.stroke}"${root}/>`,
        `<text x="${p.x + p.width / 2}" y="${p.y + 18}" class="label">${esc(truncate(n.label, p.width, 7, n.kind === "transform"))}</text>`,
        `<text x="${p.x + p.width / 2}" y="${p.y + 34}" class="detail">${esc(truncate(detailOf(n), p.width, 6))}</text>`,
        `</g>`
      ].join("")
    })
    .join("\n")
  const counts = (["artifact", "collection", "run", "transform"] as const).flatMap((k) => (k === "collection" && !graph.nodes.some((n) => n.kind === k) ? [] : [`${graph.nodes.filter((n) => n.kind === k).length} ${k}s`])).join(", ")
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
  header { padding: 12px 20px; border-bottom: 1px solid #ddd; background: #fff; }
  h1 { font-size: 16px; margin: 0 0 4px; }
  .meta { font-size: 12px; color: #666; }
  .legend span { display: inline-block; margin-right: 14px; }
  .legend i { display: inline-block; width: 12px; height: 12px; border: 1px solid; vertical-align: -2px; margin-right: 4px; }
  main { overflow: auto; padding: 12px; }
  .edge { fill: none; stroke: #888; stroke-width: 1.3; }
  .edge.recreated { stroke-dasharray: 5 4; }
  .label { font-size: 12px; text-anchor: middle; fill: #222; }
  .detail { font-size: 10px; text-anchor: middle; fill: #666; }
  .node:hover rect { filter: brightness(0.95); }
</style>
</head>
<body>
<header>
  <h1>${esc(title)}</h1>
  <div class="meta">${esc(counts)}, ${graph.edges.length} edges · root ${esc(graph.root)}</div>
  <div class="meta legend">${(Object.keys(COLORS) as Array<keyof typeof COLORS>).map((k) => `<span><i style="background:${COLORS[k].fill};border-color:${COLORS[k].stroke}"></i>${k}</span>`).join("")}</div>
</header>
<main>
<svg xmlns="http://www.w3.org/2000/svg" width="${lay.width}" height="${lay.height}" viewBox="0 0 ${lay.width} ${lay.height}" role="img" aria-label="${esc(title)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>
${edges}
${nodes}
</svg>
</main>
</body>
</html>
`
}
