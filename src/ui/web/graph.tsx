/**
 * The interactive lineage graph: laid out by dagre (left to right), drawn as SVG, with pan
 * (drag), zoom (wheel, buttons), click a node to open it, and fan-outs wider than
 * `FANOUT` collapsed into a "+N more" node that expands on click.
 */
import dagre from "@dagrejs/dagre"
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks"
import type { GraphJson, GraphNode } from "../api/types.js"
import { navigate } from "./router.js"

/** More successors (or predecessors) than this and the rest are collapsed. */
const FANOUT = 8
/** How many stay visible of a collapsed fan-out. */
const KEEP = 5
const NODE_H = 40

interface Shown {
  readonly nodes: ReadonlyArray<GraphNode & { readonly more?: { readonly parent: string; readonly count: number } }>
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>
}

/** Collapse wide fan-outs/fan-ins not yet expanded; drop what is then cut off from the root. */
export const collapse = (graph: GraphJson, expanded: ReadonlySet<string>): Shown => {
  const succ = new Map<string, Array<string>>()
  const pred = new Map<string, Array<string>>()
  for (const e of graph.edges) {
    ;(succ.get(e.from) ?? succ.set(e.from, []).get(e.from)!).push(e.to)
    ;(pred.get(e.to) ?? pred.set(e.to, []).get(e.to)!).push(e.from)
  }
  const hidden = new Set<string>()
  const more: Array<Shown["nodes"][number]> = []
  const moreEdges: Array<{ from: string; to: string }> = []
  for (const n of graph.nodes) {
    if (expanded.has(n.id)) continue
    for (const [dir, list] of [["out", succ.get(n.id) ?? []], ["in", pred.get(n.id) ?? []]] as const) {
      if (list.length <= FANOUT) continue
      const extra = list.filter((id) => id !== graph.root).slice(KEEP)
      for (const id of extra) hidden.add(id)
      const id = `more:${dir}:${n.id}`
      more.push({ id, kind: "artifact", uid: "", label: `+${extra.length} more`, detail: "click to expand", more: { parent: n.id, count: extra.length } })
      moreEdges.push(dir === "out" ? { from: n.id, to: id } : { from: id, to: n.id })
    }
  }
  const edges = [...graph.edges.filter((e) => !hidden.has(e.from) && !hidden.has(e.to)), ...moreEdges]
  // keep what is still connected to the root
  const adj = new Map<string, Array<string>>()
  for (const e of edges) {
    ;(adj.get(e.from) ?? adj.set(e.from, []).get(e.from)!).push(e.to)
    ;(adj.get(e.to) ?? adj.set(e.to, []).get(e.to)!).push(e.from)
  }
  const seen = new Set([graph.root])
  const stack = [graph.root]
  while (stack.length > 0) for (const m of adj.get(stack.pop()!) ?? []) if (!seen.has(m)) (seen.add(m), stack.push(m))
  const nodes = [...graph.nodes.filter((n) => !hidden.has(n.id)), ...more].filter((n) => seen.has(n.id))
  return { nodes, edges: edges.filter((e) => seen.has(e.from) && seen.has(e.to)) }
}

const detailText = (n: Shown["nodes"][number]): string => (n.more ? (n.detail ?? "") : `${n.kind}${n.detail ? ` · ${n.detail}` : ""}`)
const widthOf = (n: Shown["nodes"][number]): number => Math.min(260, Math.max(110, Math.max(n.label.length * 7.2, detailText(n).length * 6.2) + 24))
const clip = (s: string, width: number, size: number): string => {
  const max = Math.max(4, Math.floor((width - 14) / size))
  return s.length <= max ? s : s.slice(0, max - 1) + "…"
}

interface Laid {
  readonly nodes: ReadonlyArray<{ readonly node: Shown["nodes"][number]; readonly x: number; readonly y: number; readonly w: number }>
  readonly edges: ReadonlyArray<{ readonly id: string; readonly d: string }>
  readonly width: number
  readonly height: number
}

/** Lay out with dagre. */
export const layoutGraph = (shown: Shown): Laid => {
  const g = new dagre.graphlib.Graph()
  // longest-path ranking: ~8× faster than network simplex at 500 nodes, and lineage is already layered
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 56, marginx: 20, marginy: 20, ranker: "longest-path" })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of shown.nodes) g.setNode(n.id, { width: widthOf(n), height: NODE_H })
  for (const e of shown.edges) g.setEdge(e.from, e.to)
  dagre.layout(g)
  const nodes = shown.nodes.map((node) => {
    const p = g.node(node.id)
    return { node, x: p.x! - p.width! / 2, y: p.y! - p.height! / 2, w: p.width! }
  })
  const edges = g.edges().map((e) => {
    const pts = g.edge(e).points ?? []
    const d = pts.length === 0 ? "" : `M${pts.map((p: { readonly x: number; readonly y: number }) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" L")}`
    return { id: `${e.v}>${e.w}`, d }
  })
  const label = g.graph()
  return { nodes, edges, width: label.width ?? 400, height: label.height ?? 300 }
}

/** Where a click on a node goes; a collection opens the Artifacts page filtered to its members. */
const hrefOf = (n: GraphNode): string =>
  n.kind === "artifact"
    ? `/artifacts/${n.uid}`
    : n.kind === "run"
      ? `/runs/${n.uid}`
      : n.kind === "collection"
        ? `/artifacts?${new URLSearchParams([["filter", `collections__uid=${n.uid}`], ["versions", "all"]]).toString()}`
        : `/sweep?transform=${n.uid}`

/** Timing of the last layout + draw, for the benchmark (ms). */
declare global {
  interface Window {
    __laminaGraphMs?: number
  }
}

export const LineageGraph = (props: { readonly graph: GraphJson; readonly expandAll?: boolean }) => {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set())
  const started = useRef(0)
  const layoutMs = useRef(0)
  const laid = useMemo(() => {
    started.current = performance.now()
    const result = layoutGraph(props.expandAll ? { nodes: props.graph.nodes, edges: props.graph.edges } : collapse(props.graph, expanded))
    layoutMs.current = performance.now() - started.current
    return result
  }, [props.graph, expanded, props.expandAll])
  const [view, setView] = useState({ x: 0, y: 0, k: 1 })
  const svg = useRef<SVGSVGElement>(null)
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null)
  const fit = () => {
    const el = svg.current
    if (el === null) return
    const { width, height } = el.getBoundingClientRect()
    const k = Math.min(1.5, Math.max(0.05, Math.min(width / laid.width, height / laid.height)))
    setView({ k, x: (width - laid.width * k) / 2, y: (height - laid.height * k) / 2 })
  }
  useLayoutEffect(fit, [laid])
  useEffect(() => {
    // drawn once the browser has painted the new SVG
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        window.__laminaGraphMs = performance.now() - started.current
        svg.current?.setAttribute("data-layout-ms", layoutMs.current.toFixed(1))
        svg.current?.setAttribute("data-render-ms", window.__laminaGraphMs.toFixed(1))
      })
    )
  }, [laid])
  const zoom = (factor: number, cx?: number, cy?: number) => {
    const el = svg.current
    if (el === null) return
    const r = el.getBoundingClientRect()
    const px = cx ?? r.width / 2
    const py = cy ?? r.height / 2
    setView((v) => {
      const k = Math.min(4, Math.max(0.03, v.k * factor))
      return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k }
    })
  }
  return (
    <div class="graph">
      <svg
        ref={svg}
        class="lineage-graph"
        data-nodes={String(laid.nodes.length)}
        onWheel={(e) => {
          e.preventDefault()
          const r = svg.current!.getBoundingClientRect()
          zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top)
        }}
        onPointerDown={(e) => {
          drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false }
        }}
        onPointerMove={(e) => {
          const d = drag.current
          if (d === null) return
          if (Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 3) d.moved = true
          if (d.moved) {
            svg.current?.classList.add("dragging")
            setView((v) => ({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }))
          }
        }}
        onPointerUp={() => {
          svg.current?.classList.remove("dragging")
          setTimeout(() => (drag.current = null), 0)
        }}
        onPointerLeave={() => {
          svg.current?.classList.remove("dragging")
          drag.current = null
        }}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#98a2b3" />
          </marker>
        </defs>
        <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
          {laid.edges.map((e) => (
            <path key={e.id} class="edge" d={e.d} marker-end="url(#arrow)" />
          ))}
          {laid.nodes.map(({ node, x, y, w }) => (
            <g
              key={node.id}
              class={`node ${node.more ? "more" : node.kind}${node.id === props.graph.root ? " root" : ""}`}
              data-id={node.id}
              onClick={() => {
                if (drag.current?.moved) return
                if (node.more) setExpanded(new Set([...expanded, node.more.parent]))
                else navigate(hrefOf(node))
              }}
            >
              <title>{node.more ? `${node.more.count} more: click to expand` : `${node.kind} ${node.uid}\n${node.label}${node.detail ? `\n${node.detail}` : ""}`}</title>
              <rect x={x} y={y} width={w} height={NODE_H} rx={node.kind === "run" ? 14 : node.kind === "transform" || node.kind === "collection" ? 2 : 6} />
              <text x={x + w / 2} y={y + 16} text-anchor="middle">
                {clip(node.label, w, 7)}
              </text>
              <text x={x + w / 2} y={y + 31} text-anchor="middle" class="detail">
                {clip(detailText(node), w, 6)}
              </text>
            </g>
          ))}
        </g>
      </svg>
      <div class="controls">
        <button onClick={() => zoom(1.25)} title="zoom in">
          +
        </button>
        <button onClick={() => zoom(0.8)} title="zoom out">
          −
        </button>
        <button onClick={fit} title="fit to view">
          fit
        </button>
      </div>
      <div class="legend">
        {laid.nodes.length} nodes · drag to pan · wheel to zoom · click to open
      </div>
    </div>
  )
}
