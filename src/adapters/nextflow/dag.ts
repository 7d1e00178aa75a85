/**
 * `pipeline_dag_*` / `dag.*` (`-with-dag`): which process feeds which. Nextflow writes the
 * channel graph in one of three forms — Graphviz dot (`p4 [label="NAME"]`, operators and
 * sources carry a `shape`), mermaid HTML or `.mmd` (`v7([NAME])` inside `subgraph` blocks naming
 * the enclosing workflows) and Cytoscape.js HTML (`{ data: { id, label }, classes: 'PROCESS' }`).
 * Operators and channels between processes are collapsed: the result is process → process.
 *
 * @module
 */
import { ValidationError } from "../../errors.js"

/** Process → process edges of a launch's DAG (names as the DAG writes them). */
export interface ProcessDag {
  readonly file: string
  readonly processes: ReadonlyArray<string>
  /** `[upstream, downstream]`, each pair once. */
  readonly edges: ReadonlyArray<readonly [string, string]>
}

interface Graph {
  /** Node id → process name, for process nodes only. */
  readonly processes: Map<string, string>
  readonly edges: Array<readonly [string, string]>
}

const unquote = (s: string): string => s.replace(/^"(.*)"$/, "$1").replace(/\\"/g, '"')

const fromDot = (text: string): Graph => {
  const processes = new Map<string, string>()
  const edges: Array<readonly [string, string]> = []
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    const edge = /^(\w+)\s*->\s*(\w+)/.exec(line)
    if (edge !== null) {
      edges.push([edge[1]!, edge[2]!])
      continue
    }
    const node = /^(\w+)\s*\[(.*)\];?$/.exec(line)
    if (node === null) continue
    const attrs = node[2]!
    const label = /(?:^|,)\s*label="((?:[^"\\]|\\.)*)"/.exec(attrs)?.[1]
    // Sources are points and operators circles; a process is a plain labelled box.
    if (label !== undefined && label !== "" && !/(?:^|,)\s*shape=/.test(attrs)) processes.set(node[1]!, label.replace(/\\"/g, '"'))
  }
  return { processes, edges }
}

const fromMermaid = (text: string): Graph => {
  const processes = new Map<string, string>()
  const edges: Array<readonly [string, string]> = []
  const scopes: Array<string | undefined> = []
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    const sub = /^subgraph\s+(.*)$/.exec(line)
    if (sub !== null) {
      // `"NFCORE_X:X:SUB [SUB]"` names the full path; `OPENCOBRA_JEWELER` one level; `" "` none.
      const name = unquote(sub[1]!.trim())
      const full = /^(\S+) \[[^\]]*\]$/.exec(name)
      scopes.push(full !== null ? `=${full[1]!}` : name.trim() === "" ? undefined : name.trim())
      continue
    }
    if (line === "end") {
      scopes.pop()
      continue
    }
    const edge = /^(\w+)\s*-->\s*(?:\|[^|]*\|\s*)?(\w+)/.exec(line)
    if (edge !== null) {
      edges.push([edge[1]!, edge[2]!])
      continue
    }
    const node = /^(\w+)\(\[\s*"?(.*?)"?\s*\]\)$/.exec(line)
    if (node === null) continue
    const path: Array<string> = []
    for (const s of scopes) {
      if (s === undefined) continue
      if (s.startsWith("=")) path.splice(0, path.length, ...s.slice(1).split(":"))
      else path.push(s)
    }
    processes.set(node[1]!, [...path, node[2]!].join(":"))
  }
  return { processes, edges }
}

const fromCytoscape = (text: string): Graph => {
  const processes = new Map<string, string>()
  const edges: Array<readonly [string, string]> = []
  for (const m of text.matchAll(/\{\s*data:\s*\{\s*id:\s*'([^']*)'\s*,\s*label:\s*'((?:[^'\\]|\\.)*)'\s*\}\s*,\s*classes:\s*'PROCESS'\s*\}/g)) processes.set(m[1]!, m[2]!)
  for (const m of text.matchAll(/\{\s*data:\s*\{\s*source:\s*'([^']*)'\s*,\s*target:\s*'([^']*)'/g)) edges.push([m[1]!, m[2]!])
  return { processes, edges }
}

/** Collapse non-process nodes: an edge from each process to every process reachable through them. */
const collapse = (g: Graph): ReadonlyArray<readonly [string, string]> => {
  const next = new Map<string, Array<string>>()
  for (const [a, b] of g.edges) next.set(a, [...(next.get(a) ?? []), b])
  const out = new Map<string, readonly [string, string]>()
  for (const [id, name] of g.processes) {
    const seen = new Set<string>()
    const stack = [...(next.get(id) ?? [])]
    while (stack.length > 0) {
      const n = stack.pop()!
      if (seen.has(n)) continue
      seen.add(n)
      const target = g.processes.get(n)
      if (target !== undefined) {
        if (target !== name) out.set(`${name}\u0000${target}`, [name, target])
      } else stack.push(...(next.get(n) ?? []))
    }
  }
  return [...out.values()]
}

/**
 * Parse a DAG file by its form (dot, mermaid, Cytoscape). A file in none of them is a
 * `ValidationError` naming it (the ingest turns it into a warning: the DAG is optional).
 */
export const parseDag = (file: string, text: string): ProcessDag | ValidationError => {
  const graph = /^\s*digraph\b/m.test(text)
    ? fromDot(text)
    : /^\s*flowchart\s/m.test(text)
      ? fromMermaid(text)
      : /cytoscape|classes:\s*'PROCESS'/.test(text)
        ? fromCytoscape(text)
        : undefined
  if (graph === undefined) return new ValidationError({ message: `${file}: not a Nextflow DAG in a known form (Graphviz dot, mermaid or Cytoscape HTML); left out.` })
  return { file, processes: [...new Set(graph.processes.values())], edges: collapse(graph) }
}

/**
 * The trace's name for a DAG's process: the same name, or the one trace process whose fully
 * qualified name ends with it (mermaid DAGs of older versions name only the enclosing workflows
 * they draw). Undefined when none or several match.
 */
export const resolveProcess = (dagName: string, traceProcesses: ReadonlyArray<string>): string | undefined => {
  if (traceProcesses.includes(dagName)) return dagName
  const matches = traceProcesses.filter((p) => p.endsWith(`:${dagName}`) || dagName.endsWith(`:${p}`))
  return matches.length === 1 ? matches[0] : undefined
}
