/**
 * JSON rendering of a lineage graph:
 * `{ "nodes": [{ "id", "kind", "uid", "label" }], "edges": [{ "from", "to", "kind"? }] }`
 * (`kind: "recreated"` for a run that saved an existing artifact's bytes again). Node kinds:
 * `artifact`, `collection`, `run`, `transform`.
 *
 * @module
 */
import type { LineageGraph, LineageNodeKind } from "./graph.js"

/** The JSON value of a lineage graph. */
export interface LineageJson {
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly kind: LineageNodeKind; readonly uid: string; readonly label: string }>
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly kind?: "recreated" }>
}

/** The graph as plain JSON data. */
export const toJson = (graph: LineageGraph): LineageJson => ({
  nodes: graph.nodes.map((n) => ({ id: n.id, kind: n.kind, uid: n.uid, label: n.label })),
  edges: graph.edges.map((e) => ({ from: e.from, to: e.to, ...(e.kind !== undefined ? { kind: e.kind } : {}) }))
})

/** The graph as JSON text. */
export const renderJson = (graph: LineageGraph): string => JSON.stringify(toJson(graph), null, 2)
