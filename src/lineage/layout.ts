/**
 * A layered left-to-right layout for lineage graphs (a small Sugiyama): layers by longest
 * path from the sources, order within a layer by repeated barycenter sweeps, then positions.
 * Enough for the few hundred nodes a lineage view shows; no dependencies.
 *
 * @module
 */
import type { LineageGraph } from "./graph.js"

/** A placed node. */
export interface Placed {
  readonly id: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
  readonly layer: number
}

/** A computed layout. */
export interface Layout {
  readonly nodes: ReadonlyMap<string, Placed>
  readonly width: number
  readonly height: number
}

/** Layout constants (px). */
export const NODE_HEIGHT = 44
const LAYER_GAP = 80
const ROW_GAP = 18
const MARGIN = 24
const CHAR_WIDTH = 7
const MIN_WIDTH = 90
const MAX_WIDTH = 260

/** The width a node needs for its (truncated) label and detail lines. */
export const nodeWidth = (label: string, detail = ""): number =>
  Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, label.length * CHAR_WIDTH + 24, detail.length * 6 + 24))

/** Lay out `graph` left to right. */
export const layout = (graph: LineageGraph, width: (id: string) => number): Layout => {
  const ids = graph.nodes.map((n) => n.id)
  const preds = new Map<string, Array<string>>(ids.map((id) => [id, []]))
  const succs = new Map<string, Array<string>>(ids.map((id) => [id, []]))
  for (const e of graph.edges) {
    if (!preds.has(e.to) || !succs.has(e.from)) continue
    preds.get(e.to)!.push(e.from)
    succs.get(e.from)!.push(e.to)
  }
  // Longest path from sources; a cycle (not expected in lineage) is cut at the visit in progress.
  const layerOf = new Map<string, number>()
  const visiting = new Set<string>()
  const depth = (id: string): number => {
    const known = layerOf.get(id)
    if (known !== undefined) return known
    if (visiting.has(id)) return 0
    visiting.add(id)
    const l = Math.max(-1, ...preds.get(id)!.map(depth)) + 1
    visiting.delete(id)
    layerOf.set(id, l)
    return l
  }
  ids.forEach(depth)
  // Pull sources (transforms, raw inputs) right, next to their first consumer, so their edges
  // stay short instead of all starting from the first column.
  for (const id of ids) {
    if (preds.get(id)!.length > 0) continue
    const next = succs.get(id)!.map((n) => layerOf.get(n)!)
    if (next.length > 0) layerOf.set(id, Math.max(0, Math.min(...next) - 1))
  }
  const layers: Array<Array<string>> = []
  for (const id of ids) (layers[layerOf.get(id)!] ??= []).push(id)
  for (let l = 0; l < layers.length; l++) layers[l] ??= []
  // Barycenter sweeps: order each layer by the mean position of its neighbours in the previous one.
  const pos = new Map<string, number>()
  const index = () => layers.forEach((layer) => layer.forEach((id, i) => pos.set(id, i)))
  index()
  const bary = (id: string, neighbours: ReadonlyArray<string>): number =>
    neighbours.length === 0 ? pos.get(id)! : neighbours.reduce((s, n) => s + pos.get(n)!, 0) / neighbours.length
  for (let sweep = 0; sweep < 8; sweep++) {
    const down = sweep % 2 === 0
    const order = down ? layers.keys() : [...layers.keys()].reverse()
    for (const l of order) {
      const layer = layers[l]
      if (layer === undefined) continue
      const keyed = layer.map((id) => [id, bary(id, down ? preds.get(id)! : succs.get(id)!)] as const)
      keyed.sort((a, b) => a[1] - b[1])
      layers[l] = keyed.map(([id]) => id)
      layers[l]!.forEach((id, i) => pos.set(id, i))
    }
  }
  const layerWidths = layers.map((layer) => Math.max(MIN_WIDTH, ...(layer ?? []).map(width)))
  const tallest = Math.max(1, ...layers.map((l) => (l ?? []).length))
  const height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
  const placed = new Map<string, Placed>()
  let x = MARGIN
  layers.forEach((layer, l) => {
    const colHeight = layer.length * NODE_HEIGHT + (layer.length - 1) * ROW_GAP
    let y = (height - colHeight) / 2
    for (const id of layer) {
      const w = width(id)
      placed.set(id, { id, x: x + (layerWidths[l]! - w) / 2, y, width: w, height: NODE_HEIGHT, layer: l })
      y += NODE_HEIGHT + ROW_GAP
    }
    x += layerWidths[l]! + LAYER_GAP
  })
  return { nodes: placed, width: Math.max(x - LAYER_GAP + MARGIN, 200), height }
}
