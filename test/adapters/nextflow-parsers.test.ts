/** Nextflow file parsers over real fixture files and hand-made edge cases. */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { parseHistory, pipelineOfCommand } from "../../src/adapters/nextflow/history.js"
import { parseNextflowLog } from "../../src/adapters/nextflow/log.js"
import { parseTrace, splitName, type Trace } from "../../src/adapters/nextflow/trace.js"
import { parseDuration, parsePercent, parseSize, parseTimestamp } from "../../src/adapters/nextflow/units.js"
import { parseSoftwareVersions } from "../../src/adapters/nextflow/versions.js"
import { ValidationError } from "../../src/errors.js"
import { FIXTURES } from "./fixtures.js"

const ampliseq = path.join(FIXTURES, "nextflow-Bboy010-nf-ampliseq-train-26-ampliseq")
const trace = (file: string, text: string): Trace => {
  const t = parseTrace(file, text)
  if (t instanceof ValidationError) throw new Error(t.message)
  return t
}

describe("units", () => {
  it("reads Nextflow's human durations, sizes, percentages and times", () => {
    expect(parseDuration("350ms")).toBe(350)
    expect(parseDuration("4.9s")).toBe(4900)
    expect(parseDuration("2m 10s")).toBe(130_000)
    expect(parseDuration("1h 9m 49s")).toBe(4_189_000)
    expect(parseDuration("0ms")).toBe(0)
    expect(parseDuration("350")).toBe(350)
    expect(parseDuration("soon")).toBeUndefined()
    expect(parseSize("894 B")).toBe(894)
    expect(parseSize("105.4 KB")).toBe(Math.round(105.4 * 1024))
    expect(parseSize("1 GB")).toBe(1073741824)
    expect(parseSize("0")).toBe(0)
    expect(parsePercent("1175.9%")).toBe(1175.9)
    expect(parseTimestamp("2026-03-25 09:20:09.023")?.getTime()).toBe(Date.UTC(2026, 2, 25, 9, 20, 9, 23))
    expect(parseTimestamp("1774430409023")?.getTime()).toBe(1774430409023)
  })
})

describe("trace", () => {
  it("maps the 23-column ampliseq trace by header name, CACHED and FAILED rows included", () => {
    const file = path.join(ampliseq, "results/pipeline_info/execution_trace_2026-03-25_09-50-46.txt")
    const t = trace(file, readFileSync(file, "utf8"))
    expect(t.warnings).toEqual([])
    const first = t.tasks[0]!
    expect(first).toMatchObject({ line: 2, taskId: 2, hash: "77/a3995c", process: "NFCORE_AMPLISEQ:AMPLISEQ:RENAME_RAW_DATA_FILES", tag: "SAMPLE1_PE", status: "CACHED", exit: 0 })
    expect(first.metrics).toMatchObject({ duration: 350, realtime: 9, cpu_percent: 120, memory: 1073741824, rchar: Math.round(105.4 * 1024), wchar: 894, cpus: 1 })
    expect(first.metrics.module).toBeUndefined() // `-` placeholders are left out
    expect(new Set(t.tasks.map((x) => x.status))).toEqual(new Set(["CACHED", "COMPLETED"]))
  })

  it("fails on a truncated line, naming file and line; warns on an unknown column", () => {
    const header = "task_id\thash\tname\tstatus\texit\tsurprise"
    const ok = trace("t.txt", `${header}\n1\tab/cdef12\tP (x)\tCOMPLETED\t0\tyes\n`)
    expect(ok.warnings).toEqual([{ file: "t.txt", line: 1, message: expect.stringContaining("unknown trace column 'surprise'") }])
    expect(ok.tasks[0]!.metrics.surprise).toBe("yes")
    const truncated = parseTrace("t.txt", `${header}\n1\tab/cdef12\tP (x)\tCOMPLETED\t0\tyes\n2\tcd/ef`)
    expect(truncated).toBeInstanceOf(ValidationError)
    expect((truncated as ValidationError).message).toMatch(/^t\.txt:3: 2 fields where the header has 6/)
    const status = parseTrace("t.txt", `${header}\n1\tab/cdef12\tP\tRUNNING\t0\tyes\n`)
    expect((status as ValidationError).message).toMatch(/^t\.txt:2: unknown task status 'RUNNING'/)
    expect(parseTrace("t.txt", "")).toBeInstanceOf(ValidationError)
    expect((parseTrace("t.txt", "a\tb\n1\t2\n") as ValidationError).message).toContain("not a Nextflow trace")
  })

  it("splits names with tags holding commas, slashes, (null), and DSL1 names", () => {
    expect(splitName("X:Y:ASSIGN (ASV_seqs.1.fasta,assignTaxonomy.fna)")).toEqual({ process: "X:Y:ASSIGN", tag: "ASV_seqs.1.fasta,assignTaxonomy.fna" })
    expect(splitName("RSEM (rsem/genome.fa)")).toEqual({ process: "RSEM", tag: "rsem/genome.fa" })
    expect(splitName("CHIPSEQ:X (null)")).toEqual({ process: "CHIPSEQ:X", tag: "null" })
    expect(splitName("multi_qc")).toEqual({ process: "multi_qc", tag: undefined })
  })

  it("parses every fixture trace (header-only ones have no tasks)", () => {
    const files = [
      "nextflow-TomIbnu-Bioinformatics-nextflow-viralrecon-viralrecon/pipeline_info/execution_trace_2023-10-11_18-43-08.txt",
      "nextflow-jianhong-chipseq-chipseq/pipeline_info/execution_trace.txt",
      "nextflow-hugovaysset-ReproHackaton-dsl1/reports/trace.txt"
    ]
    const [empty, chip, dsl1] = files.map((f) => trace(f, readFileSync(path.join(FIXTURES, f), "utf8")))
    expect(empty!.tasks).toEqual([])
    expect(chip!.tasks.filter((t) => t.status === "FAILED").map((t) => t.exit).sort()).toEqual([1, 1, 1, 1, 1, ...Array(12).fill(127)])
    expect(dsl1!.tasks).toHaveLength(73)
  })
})

describe("log, history, software versions", () => {
  it("reads run name, repository, revision, session and outcome from .nextflow.log", () => {
    const log = parseNextflowLog(".nextflow.log", readFileSync(path.join(ampliseq, ".nextflow.log"), "utf8"))
    expect(log).toMatchObject({
      runName: "prickly_swirles",
      repository: "https://github.com/nf-core/ampliseq",
      commit: "7cf7ed2b2a",
      revision: "2.16.1",
      sessionId: "96db9b86-0ec3-4269-a7d5-00a28dcbbcd4",
      nextflowVersion: "25.10.4",
      outcome: "completed"
    })
    expect(log.command).toContain("nextflow run nf-core/ampliseq")
    const failed = parseNextflowLog(".nextflow.log.2", readFileSync(path.join(ampliseq, ".nextflow.log.2"), "utf8"))
    expect(failed.outcome).toBe("errored")
  })

  it("reads .nextflow/history", () => {
    const h = parseHistory(readFileSync(path.join(ampliseq, ".nextflow/history"), "utf8"))
    const last = h.at(-1)!
    expect(last).toMatchObject({ runName: "prickly_swirles", status: "OK", durationMs: 23 * 60_000 + 26_000, sessionId: "96db9b86-0ec3-4269-a7d5-00a28dcbbcd4" })
    expect(h[0]!.status).toBeUndefined()
    expect(pipelineOfCommand(last.command)).toBe("nf-core/ampliseq")
  })

  it("reads software versions in YAML (4-space Workflow block) and the DSL1 tab-separated csv", () => {
    const yml = parseSoftwareVersions("software_versions.yml", readFileSync(path.join(ampliseq, "results/pipeline_info/software_versions.yml"), "utf8"))
    expect(yml).toMatchObject({ pipeline: { name: "nf-core/ampliseq", version: "v2.16.1-g7cf7ed2" }, nextflowVersion: "25.10.4" })
    const csv = parseSoftwareVersions("software_versions.csv", readFileSync(path.join(FIXTURES, "nextflow-jianhong-chipseq-chipseq/pipeline_info/software_versions.csv"), "utf8"))
    expect(csv).toMatchObject({ pipeline: { name: "QiuBio-nextflow/chipseq", version: "1.0.3" }, nextflowVersion: "20.07.1" })
    expect(parseSoftwareVersions("v.yml", "a: [1, 2\n")).toBeInstanceOf(ValidationError)
  })
})
