/**
 * Lineage out: the upstream graph of an artifact or run, and its renderings.
 *
 * @module
 */
import type { LineageGraph } from "./graph.js"
import { renderDot } from "./dot.js"
import { renderHtml } from "./html.js"
import { renderJson } from "./json.js"
import { renderMermaid } from "./mermaid.js"

export { upstream, resolveTarget, type LineageEdge, type LineageGraph, type LineageNode, type LineageTarget, type UpstreamOptions } from "./graph.js"
export { toJson, renderJson, type LineageJson } from "./json.js"
export { renderMermaid } from "./mermaid.js"
export { renderDot } from "./dot.js"
export { renderHtml } from "./html.js"
export { layout, type Layout, type Placed } from "./layout.js"

/** The formats lineage renders to. */
export const FORMATS = ["mermaid", "dot", "json", "html"] as const

/** A lineage format. */
export type LineageFormat = (typeof FORMATS)[number]

/** Render `graph` in `format`. */
export const render = (graph: LineageGraph, format: LineageFormat, title?: string): string => {
  switch (format) {
    case "mermaid":
      return renderMermaid(graph)
    case "dot":
      return renderDot(graph)
    case "json":
      return renderJson(graph) + "\n"
    case "html":
      return renderHtml(graph, title)
  }
}
