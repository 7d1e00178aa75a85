/**
 * Nextflow ingest on {SQLite, Postgres}: every fixture ingests and re-ingests to nothing; the
 * ampliseq project's four resumed launches map to runs, tasks, statuses, params and cached
 * reuse; bad input leaves nothing half-written; include/exclude select published files.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { Adapters } from "../../src/adapters/index.js"
import { Artifact, Run, RunStatus, Transform } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { FIXTURES, fixtureDirs } from "./fixtures.js"

const ampliseq = path.join(FIXTURES, "nextflow-Bboy010-nf-ampliseq-train-26-ampliseq")
const info = path.join(ampliseq, "results/pipeline_info")

const temps: Array<string> = []
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})
const tempDir = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), "lamina-nf-"))
  temps.push(d)
  return d
}

/** A project folder holding some of ampliseq's launches (a run in progress, then resumed). */
const partialProject = (traces: ReadonlyArray<string>): string => {
  const dir = tempDir()
  mkdirSync(path.join(dir, "results/pipeline_info"), { recursive: true })
  mkdirSync(path.join(dir, ".nextflow"))
  copyFileSync(path.join(ampliseq, ".nextflow/history"), path.join(dir, ".nextflow/history"))
  for (const f of readdirSync(info)) if (!f.startsWith("execution_trace") || traces.some((t) => f.includes(t))) copyFileSync(path.join(info, f), path.join(dir, "results/pipeline_info", f))
  return dir
}

describeBackends("nextflow ingest", ({ instance }) => {
  for (const dir of fixtureDirs("nextflow"))
    it(`ingests ${path.basename(dir)}, and again adds nothing`, async () => {
      const lamina = await instance()
      const first = await lamina.run(Adapters.nextflow.ingest(dir))
      expect(first.launches).toBeGreaterThan(0)
      expect(first.runs.new).toBeGreaterThan(first.launches)
      expect(first.warnings).toEqual([])
      const runs = await lamina.run(Run.filter({}).count())
      expect(runs).toBe(first.runs.new)
      const again = await lamina.run(Adapters.nextflow.ingest(dir))
      expect(again).toMatchObject({ runs: { new: 0, existing: first.runs.new }, artifacts: { new: 0 } })
      expect(await lamina.run(Run.filter({}).count())).toBe(runs)
    }, 120_000)

  it("maps ampliseq's resumed launches: statuses, params, cached reuse, metrics as queryable params", async () => {
    const lamina = await instance()
    const s = await lamina.run(Adapters.nextflow.ingest(ampliseq))
    expect(s.launches).toBe(4)
    const launches = await lamina.run(Run.filter({ reference_type: "nextflow_trace" }).orderBy("started_at").toArray())
    expect(launches.map((r) => [r.name, r._status_code])).toEqual([
      ["reverent_banach", RunStatus.errored],
      ["tender_kilby", RunStatus.errored],
      ["fervent_hilbert", RunStatus.errored],
      ["prickly_swirles", RunStatus.completed]
    ])
    const ok = launches[3]!
    expect(ok.params).toMatchObject({ FW_primer: "GTGYCAGCMGCCGCGGTAA", trace_report_suffix: "2026-03-25_09-50-46" })
    expect(ok.cli_args).toContain("nextflow run nf-core/ampliseq")
    const pipeline = await lamina.run(Transform.filter({ id: ok.transform_id }).one())
    expect(pipeline).toMatchObject({ key: "https://github.com/nf-core/ampliseq", kind: "pipeline", version_tag: "2.16.1", reference_type: "url" })
    // The params' input file is the launch's input, not a published result.
    const inputs = await lamina.run(Artifact.filter({ input_of_runs__id: ok.id }).toArray())
    expect(inputs.map((a) => a.key)).toEqual(["samplesheet.csv"])
    expect(inputs[0]!.run_id).toBeNull()
    // The environment is the software versions file, the same artifact for every launch.
    expect(new Set(launches.map((l) => l.environment_id))).toEqual(new Set([launches[0]!.environment_id]))
    expect(launches[0]!.environment_id).not.toBeNull()

    const tasks = await lamina.run(Run.filter({ initiated_by_run_id: ok.id }).toArray())
    expect(tasks.filter((t) => t._status_code === RunStatus.cached)).toHaveLength(21)
    expect(tasks.filter((t) => t._status_code === RunStatus.completed)).toHaveLength(19)
    // A cached task points at the earlier launch's task that computed it (same task hash).
    const cached = tasks.find((t) => t._status_code === RunStatus.cached && t.reused_run_id !== null)!
    const computed = await lamina.run(Run.filter({ id: cached.reused_run_id! }).one())
    expect((computed.params as { hash: string }).hash).toBe((cached.params as { hash: string }).hash)
    expect(computed._status_code).toBe(RunStatus.completed)
    expect(computed.initiated_by_run_id).not.toBe(ok.id)
    // Metrics are numbers in params: filterable.
    const heavy = await lamina.run(Run.filter({ initiated_by_run_id: ok.id, params__peak_rss__gt: 500 * 1024 * 1024 }).toArray())
    expect(heavy.length).toBeGreaterThan(0)
    for (const t of heavy) expect((t.params as { peak_rss: number }).peak_rss).toBeGreaterThan(500 * 1024 * 1024)
    const fastqc = await lamina.run(Run.filter({ params__process: "NFCORE_AMPLISEQ:AMPLISEQ:FASTQC" }).count())
    expect(fastqc).toBeGreaterThan(0)
    // A failed task keeps its exit status and says where it was read.
    const failed = await lamina.run(Run.filter({ reference_type: "nextflow_task", _status_code: RunStatus.errored }).first())
    expect((failed!.error as { message: string }).message).toMatch(/execution_trace_.*\.txt:\d+: task FAILED/)
  }, 120_000)

  it("after a resumed launch, adds only the new launch; unchanged files resolve to their artifacts", async () => {
    const lamina = await instance()
    const early = partialProject(["09-16-25", "09-19-43"])
    const a = await lamina.run(Adapters.nextflow.ingest(early))
    expect(a.launches).toBe(2)
    const all = partialProject(["09-16-25", "09-19-43", "09-38-47", "09-50-46"])
    const b = await lamina.run(Adapters.nextflow.ingest(all))
    expect(b.launches).toBe(4)
    const newLaunches = await lamina.run(Run.filter({ reference_type: "nextflow_trace" }).count())
    expect(newLaunches).toBe(4)
    expect(b.runs.existing).toBe(a.runs.new)
    expect(b.artifacts.new).toBe(0) // params files and software versions: same content, same artifacts
  }, 120_000)

  it("a truncated trace line fails the ingest, naming file and line, and writes nothing", async () => {
    const lamina = await instance()
    const dir = partialProject(["09-50-46"])
    const file = path.join(dir, "results/pipeline_info/execution_trace_2026-03-25_09-50-46.txt")
    writeFileSync(path.join(dir, "results/extra.txt"), "published\n")
    writeFileSync(file, readFileSync(file, "utf8").replace(/\n[^\n]+\n$/, "\n3\t97/40dde0\t1479\tNFCORE"))
    const error = await lamina.fail(Adapters.nextflow.ingest(dir))
    expect(error._tag).toBe("ValidationError")
    expect(error.message).toMatch(/execution_trace_2026-03-25_09-50-46\.txt:\d+: 4 fields where the header has 23/)
    expect(await lamina.run(Run.filter({}).count())).toBe(0)
    expect(await lamina.run(Artifact.filter({}).count())).toBe(0)
    expect(await lamina.storedKeys(".lamina")).toEqual([])
  }, 60_000)

  it("records published files as the last launch's outputs, filtered by include/exclude globs", async () => {
    const lamina = await instance()
    const dir = partialProject(["09-38-47", "09-50-46"])
    mkdirSync(path.join(dir, "results/dada2"), { recursive: true })
    writeFileSync(path.join(dir, "results/dada2/ASV_table.tsv"), "id\tcount\nA\t3\n")
    writeFileSync(path.join(dir, "results/dada2/ASV_seqs.fasta"), ">A\nACGT\n")
    writeFileSync(path.join(dir, "results/dada2/big.rds"), "binary")
    const s = await lamina.run(Adapters.nextflow.ingest(dir, { include: ["results/dada2/**"], exclude: ["**/*.rds"] }))
    expect(s.warnings).toEqual([])
    const last = await lamina.run(Run.filter({ reference_type: "nextflow_trace" }).orderBy("-started_at").first())
    const outputs = await lamina.run(Artifact.filter({ run_id: last!.id }).toArray())
    expect(outputs.map((o) => o.key).sort()).toEqual(["results/dada2/ASV_seqs.fasta", "results/dada2/ASV_table.tsv"])
    const bad = await lamina.fail(Adapters.nextflow.ingest(path.join(dir, "missing")))
    expect(bad._tag).toBe("InvalidArgument")
    const empty = tempDir()
    expect((await lamina.fail(Adapters.nextflow.ingest(empty))).message).toContain("No Nextflow trace found")
  }, 60_000)
})
