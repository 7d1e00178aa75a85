/**
 * What a Nextflow launch leaves beside its trace: the DAG (dot, mermaid, Cytoscape — every
 * fixture's), the execution report's embedded task data and the log's publish lines. Parsers on
 * the real fixtures and on edge cases; then, on {SQLite, Postgres}, a project whose trace has no
 * `workdir` column: published files are linked to the task the publish line or the report's
 * work dir names, process transforms get their DAG predecessors, and the report, software
 * versions and DAG are the launch's artifacts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Adapters } from "../../src/adapters/index.js"
import { parseDag, resolveProcess, type ProcessDag } from "../../src/adapters/nextflow/dag.js"
import { hashOfWorkPath, parsePublishLines, publishedFileOf } from "../../src/adapters/nextflow/publish.js"
import { parseExecutionReport, type ExecutionReport } from "../../src/adapters/nextflow/report.js"
import { Artifact, Run, Transform } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { FIXTURES, haveFixtures } from "./fixtures.js"

const temps: Array<string> = []
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})

const dagOf = (relative: string): ProcessDag => {
  const file = path.join(FIXTURES, relative)
  const dag = parseDag(file, readFileSync(file, "utf8"))
  if (!("edges" in dag)) throw new Error(dag.message)
  return dag
}
const has = (dag: ProcessDag, from: string, to: string): boolean => dag.edges.some(([a, b]) => a === from && b === to)

describe.runIf(haveFixtures)("Nextflow DAG files (fixtures)", () => {
  it("Graphviz dot: process edges collapse the operators between them", () => {
    const dsl1 = dagOf("nextflow-hugovaysset-ReproHackaton-dsl1/dag.dot")
    expect(dsl1.processes).toContain("getFASTQ")
    expect(dsl1.processes).not.toContain("collect")
    expect(has(dsl1, "getFASTQ", "mapFASTQ")).toBe(true)
    // getChrSeq → collect → makeGenomeIndex: through an operator.
    expect(has(dsl1, "getChrSeq", "makeGenomeIndex")).toBe(true)
    expect(has(dsl1, "mapFASTQ", "getFASTQ")).toBe(false)
    const chipseq = dagOf("nextflow-jianhong-chipseq-chipseq/pipeline_info/pipeline_dag.dot")
    expect(has(chipseq, "CHIPSEQ:INPUT_CHECK:SAMPLESHEET_CHECK", "CHIPSEQ:JO_CHECKSUMS")).toBe(true)
  })

  it("mermaid: process names qualified by their subgraphs, with and without the init block", () => {
    const frog = dagOf("nextflow-Midnighter-FROG-jeweler/results/pipeline_info/pipeline_dag_2023-11-22_10-33-00.html")
    expect(frog.processes).toContain("OPENCOBRA_JEWELER:JEWELER:FETCH_SBML")
    expect(frog.processes).toContain("OPENCOBRA_JEWELER:MULTIQC")
    expect(has(frog, "OPENCOBRA_JEWELER:JEWELER:FETCH_SBML", "OPENCOBRA_JEWELER:JEWELER:VALIDATE_SBML")).toBe(true)
    const ampliseq = dagOf("nextflow-Bboy010-nf-ampliseq-train-26-ampliseq/results/pipeline_info/pipeline_dag_2026-03-25_09-50-46.html")
    expect(ampliseq.processes).toContain("NFCORE_AMPLISEQ:AMPLISEQ:CUTADAPT_WORKFLOW:CUTADAPT_BASIC")
    expect(ampliseq.edges.length).toBeGreaterThan(10)
    // The launch that failed validation drew an empty flowchart.
    const empty = dagOf("nextflow-Bboy010-nf-ampliseq-train-26-ampliseq/results/pipeline_info/pipeline_dag_2026-03-25_09-16-25.html")
    expect(empty).toMatchObject({ processes: [], edges: [] })
  })

  it("Cytoscape HTML: PROCESS nodes and their edges", () => {
    const sarek = dagOf("nextflow-nextflow-io-nf-quilt-sarek/results/pipeline_info/pipeline_dag_2022-10-12_16-49-10.html")
    expect(sarek.processes).toHaveLength(55)
    expect(sarek.processes).toContain("NFCORE_SAREK:SAREK:PREPARE_GENOME:BWAMEM1_INDEX")
    expect(sarek.edges.length).toBeGreaterThan(0)
    for (const [a, b] of sarek.edges) expect(sarek.processes).toEqual(expect.arrayContaining([a, b]))
    const viralrecon = dagOf("nextflow-TomIbnu-Bioinformatics-nextflow-viralrecon-viralrecon/pipeline_info/pipeline_dag_2023-10-23_16-45-58.html")
    expect(viralrecon.edges.length).toBeGreaterThan(0)
  })
})

describe("Nextflow DAG, report and publish-line parsers (edge cases)", () => {
  it("a file in no DAG form is a ValidationError naming it; DAG names resolve to trace names", () => {
    const bad = parseDag("x/pipeline_dag.html", "<html>nothing</html>")
    expect(bad).toMatchObject({ _tag: "ValidationError" })
    expect((bad as Error).message).toContain("x/pipeline_dag.html")
    const trace = ["WF:A:FASTQC", "WF:B:FASTQC", "WF:MULTIQC"]
    expect(resolveProcess("WF:MULTIQC", trace)).toBe("WF:MULTIQC")
    expect(resolveProcess("MULTIQC", trace)).toBe("WF:MULTIQC")
    expect(resolveProcess("FASTQC", trace)).toBeUndefined() // two candidates: no guess
  })

  it("the report's embedded tasks: workdir and extra fields by hash; bad JSON is an error", () => {
    const html = `<html><script>window.data = { "trace":[{"hash":"ab/cdef01","workdir":"/w/ab/cdef01234","container":"img:1","tag":null,"script":"echo \\"}\\""},{"hash":"-"}], "summary":[] };</script></html>`
    const report = parseExecutionReport("r.html", html) as ExecutionReport
    expect(report.tasks.get("ab/cdef01")).toEqual({ hash: "ab/cdef01", workdir: "/w/ab/cdef01234", extra: { container: "img:1" } })
    expect(report.tasks.size).toBe(1)
    expect(parseExecutionReport("r.html", "<html>window.data = { \"trace\": [ {,] };</html>")).toMatchObject({ _tag: "ValidationError" })
    expect(parseExecutionReport("r.html", "<html></html>")).toMatchObject({ _tag: "ValidationError" })
  })

  it("publish lines: source work dir → task hash, destination → a file of the folder", () => {
    const log = [
      "Jan-01 00:00:01.000 [main] DEBUG nextflow.cli.CmdRun - N E X T F L O W  ~  version 25.10.4",
      "Jan-01 00:00:09.000 [PublishDir-1] TRACE nextflow.processor.PublishDir - publishing file: /old/work/aa/bbbbbb0123456789abcdef0123456789/out dir/x.tsv -[copy]-> /old/results/x.tsv",
      "Jan-01 00:00:09.500 [Actor Thread 14] DEBUG nextflow.util.ThreadPoolBuilder - Creating thread pool 'PublishDir' minSize=10"
    ].join("\n")
    const lines = parsePublishLines(log)
    expect(lines).toEqual([{ line: 2, source: "/old/work/aa/bbbbbb0123456789abcdef0123456789/out dir/x.tsv", mode: "copy", destination: "/old/results/x.tsv" }])
    expect(hashOfWorkPath(lines[0]!.source, new Set(["aa/bbbbbb"]))).toBe("aa/bbbbbb")
    expect(hashOfWorkPath(lines[0]!.source, new Set(["aa/cccccc"]))).toBeUndefined()
    const files = new Map([["results/x.tsv", "/new/results/x.tsv"]])
    expect(publishedFileOf("/old/results/x.tsv", "/new", files)).toBe("/new/results/x.tsv")
    expect(publishedFileOf("/new/results/x.tsv", "/new", files)).toBe("/new/results/x.tsv")
    expect(publishedFileOf("/old/results/y.tsv", "/new", files)).toBeUndefined()
  })
})

const HASH = { split: "aa/bbbbbb", count: "cc/dddddd", merge: "ee/ffffff" } as const

/** A finished launch without a workdir column: the log's publish lines and the report link tasks to files. */
const project = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-nf-dag-"))
  temps.push(dir)
  const info = path.join(dir, "results/pipeline_info")
  mkdirSync(info, { recursive: true })
  const header = "task_id\thash\tnative_id\tname\tstatus\texit\tsubmit\tduration\trealtime\t%cpu\tpeak_rss\tpeak_vmem\trchar\twchar"
  const row = (id: number, hash: string, name: string) => `${id}\t${hash}\t${100 + id}\t${name}\tCOMPLETED\t0\t2026-01-01 00:00:0${id}.000\t1s\t0.5s\t99.0%\t1 MB\t2 MB\t3 KB\t4 KB`
  writeFileSync(path.join(info, "execution_trace_2026-01-01_00-00-00.txt"), [header, row(1, HASH.split, "DEMO:SPLIT (s1)"), row(2, HASH.count, "DEMO:COUNT (s1)"), row(3, HASH.merge, "DEMO:MERGE")].join("\n") + "\n")
  writeFileSync(path.join(info, "software_versions.yml"), "Workflow:\n  Nextflow: 25.10.4\n  demo/pipe: 1.0.0\n")
  writeFileSync(
    path.join(info, "pipeline_dag_2026-01-01_00-00-00.dot"),
    'digraph "dag" {\np0 [shape=point,label="",fixedsize=true,width=0.1,xlabel="Channel.fromPath"];\np1 [label="DEMO:SPLIT"];\np0 -> p1;\np2 [shape=circle,label="",fixedsize=true,width=0.1,xlabel="collect"];\np1 -> p2;\np3 [label="DEMO:COUNT"];\np2 -> p3 [label="parts"];\np4 [label="DEMO:MERGE"];\np3 -> p4;\n}\n'
  )
  const countDir = path.join(dir, "work/cc/dddddd0123456789abcdef0123456789")
  mkdirSync(countDir, { recursive: true })
  writeFileSync(path.join(countDir, "summary.txt"), "counted 3\n")
  writeFileSync(
    path.join(info, "execution_report_2026-01-01_00-00-00.html"),
    `<html><body><script>\nwindow.data = { "trace":[{"task_id":"2","hash":"${HASH.count}","workdir":${JSON.stringify(countDir)},"container":"biocontainers/count:1.0","duration":"1000"}], "summary":[] };\n</script></body></html>\n`
  )
  writeFileSync(
    path.join(dir, ".nextflow.log"),
    [
      "Jan-01 00:00:00.100 [main] DEBUG nextflow.cli.Launcher - $> nextflow run demo/pipe -with-report -with-dag",
      "Jan-01 00:00:09.000 [PublishDir-1] TRACE nextflow.processor.PublishDir - publishing file: /launched/elsewhere/work/aa/bbbbbb0123456789abcdef0123456789/parts.tsv -[copy]-> /launched/elsewhere/results/split/parts.tsv"
    ].join("\n") + "\n"
  )
  mkdirSync(path.join(dir, "results/split"))
  writeFileSync(path.join(dir, "results/split/parts.tsv"), "part\n1\n2\n")
  symlinkSync(path.join(countDir, "summary.txt"), path.join(dir, "results/summary.txt"))
  writeFileSync(path.join(dir, "results/notes.txt"), "no task named\n")
  return dir
}

describeBackends("nextflow ingest: DAG, report, publish lines", ({ instance }) => {
  it("links published files to their tasks, process transforms to their predecessors, and keeps report, environment and DAG", async () => {
    const lamina = await instance()
    const dir = project()
    const s = await lamina.run(Adapters.nextflow.ingest(dir))
    expect(s.warnings).toEqual([])
    expect(s.runs.new).toBe(4)
    const launch = await lamina.run(Run.filter({ reference_type: "nextflow_trace" }).one())
    const task = async (process: string) => lamina.run(Run.filter({ params__process: process }).one())
    const [split, count, merge] = [await task("DEMO:SPLIT"), await task("DEMO:COUNT"), await task("DEMO:MERGE")]
    const byKey = async (key: string) => lamina.run(Artifact.filter({ key }).one())
    // The publish line names SPLIT's work dir; the report names COUNT's, into which the symlink points.
    expect((await byKey("results/split/parts.tsv")).run_id).toBe(split.id)
    expect((await byKey("results/summary.txt")).run_id).toBe(count.id)
    expect((await byKey("results/notes.txt")).run_id).toBe(launch.id)
    // The report's task data fills in what the trace lacks.
    expect(count.params).toMatchObject({ workdir: expect.stringContaining("work/cc/dddddd"), container: "biocontainers/count:1.0", duration: 1000 })
    expect(split.params).not.toHaveProperty("workdir")
    // Report and environment are the launch's; the DAG is kept as its record.
    expect((await lamina.run(Artifact.filter({ id: launch.report_id! }).one())).key).toBe("results/pipeline_info/execution_report_2026-01-01_00-00-00.html")
    expect((await lamina.run(Artifact.filter({ id: launch.environment_id! }).one())).key).toBe("results/pipeline_info/software_versions.yml")
    expect((await byKey("results/pipeline_info/pipeline_dag_2026-01-01_00-00-00.dot")).run_id).toBe(launch.id)
    // Process → process lineage from the DAG (through the `collect` operator).
    const predecessors = async (run: { readonly transform_id: number }) =>
      (await lamina.run(Transform.filter({ successors__id: run.transform_id }).toArray())).map((t) => t.key)
    expect(await predecessors(count)).toEqual([expect.stringMatching(/:DEMO:SPLIT$/)])
    expect(await predecessors(merge)).toEqual([expect.stringMatching(/:DEMO:COUNT$/)])
    expect(await predecessors(split)).toEqual([])
    // Again: nothing new, no duplicate predecessor links.
    const again = await lamina.run(Adapters.nextflow.ingest(dir))
    expect(again).toMatchObject({ runs: { new: 0, existing: 4 }, artifacts: { new: 0 } })
    expect(await predecessors(count)).toHaveLength(1)
  }, 60_000)

  it("an unreadable DAG or report is a warning naming the file; the run is still ingested", async () => {
    const lamina = await instance()
    const dir = project()
    writeFileSync(path.join(dir, "results/pipeline_info/pipeline_dag_2026-01-01_00-00-00.dot"), "not a graph\n")
    writeFileSync(path.join(dir, "results/pipeline_info/execution_report_2026-01-01_00-00-00.html"), "<html>window.data = { \"trace\": [ { ] };</html>")
    const s = await lamina.run(Adapters.nextflow.ingest(dir))
    expect(s.warnings.map((w) => path.basename(w.file)).sort()).toEqual(["execution_report_2026-01-01_00-00-00.html", "pipeline_dag_2026-01-01_00-00-00.dot"])
    expect(s.runs.new).toBe(4)
    // Without the report nothing names COUNT's work dir: the symlinked file is the launch's output.
    const launch = await lamina.run(Run.filter({ reference_type: "nextflow_trace" }).one())
    expect((await lamina.run(Artifact.filter({ key: "results/summary.txt" }).one())).run_id).toBe(launch.id)
    expect(launch.report_id).not.toBeNull()
  }, 60_000)
})
