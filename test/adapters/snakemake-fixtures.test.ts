/**
 * Snakemake ingest of the real `.snakemake/` fixtures on {SQLite, Postgres}: every generation of
 * record ingests, re-ingests to nothing, and files the records name but the folder lacks become
 * warnings naming the file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { Adapters } from "../../src/adapters/index.js"
import { upstream } from "../../src/lineage/index.js"
import { Artifact, Run, RunStatus, Transform } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { FIXTURES, fixtureDirs } from "./fixtures.js"
import { encodeRecordPath } from "../../src/adapters/snakemake/metadata.js"

const temps: Array<string> = []
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})

describeBackends("snakemake ingest (fixtures)", ({ instance }) => {
  for (const dir of fixtureDirs("snakemake"))
    it(`ingests ${path.basename(dir)}, and again adds nothing`, async () => {
      const lamina = await instance()
      const first = await lamina.run(Adapters.snakemake.ingest(dir))
      expect(first.runs.new).toBeGreaterThan(first.launches)
      // Fixtures hold only what the repositories committed: inputs like data/genome.fa are absent.
      for (const w of first.warnings) expect(w.message).toContain("missing from the folder")
      const again = await lamina.run(Adapters.snakemake.ingest(dir))
      expect(again).toMatchObject({ runs: { new: 0, existing: first.runs.new }, artifacts: { new: 0 } })
    }, 120_000)

  it("petebachant: jobs per rule, the log as the launch, final outputs with their producing jobs", async () => {
    const lamina = await instance()
    const dir = path.join(FIXTURES, "snakemake-petebachant-snakemake-tutorial-tutorial")
    const s = await lamina.run(Adapters.snakemake.ingest(dir))
    expect(s.warnings.map((w) => path.relative(dir, w.file))).toContain("data/genome.fa")
    const launch = await lamina.run(Run.filter({ reference_type: "snakemake_run" }).one())
    expect(launch).toMatchObject({ reference: "2025-01-30T023813.919482", _status_code: RunStatus.completed })
    const jobs = await lamina.run(Run.filter({ initiated_by_run_id: launch.id }).toArray())
    expect(jobs.map((j) => j.name).sort()).toEqual(["bcftools_call", "bwa_map", "bwa_map", "plot_quals", "samtools_index", "samtools_index", "samtools_sort", "samtools_sort"])
    const call = jobs.find((j) => j.name === "bcftools_call")!
    expect(call.cli_args).toBe("bcftools mpileup -f data/genome.fa sorted_reads/A.bam sorted_reads/B.bam | bcftools call -mv - > calls/all.vcf")
    const rule = await lamina.run(Transform.filter({ id: call.transform_id }).one())
    expect(rule.key).toBe("snakemake-petebachant-snakemake-tutorial-tutorial/Snakefile:bcftools_call")
    expect(rule.source_code).toBe("bcftools mpileup -f {input.fa} {input.bam} | bcftools call -mv - > {output}")
    // plots/quals.svg ← plot_quals ← calls/all.vcf ← bcftools_call (whose own inputs were not committed).
    const graph = await lamina.run(upstream("plots/quals.svg"))
    expect(graph.nodes.filter((n) => n.kind === "run").map((n) => n.label).sort()).toEqual(["bcftools_call", "plot_quals"])
  }, 120_000)

  it("a record of an unknown format version fails the ingest, naming the file, and writes nothing", async () => {
    const lamina = await instance()
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-smk-bad-"))
    temps.push(dir)
    mkdirSync(path.join(dir, ".snakemake/metadata"), { recursive: true })
    writeFileSync(path.join(dir, "a.txt"), "a\n")
    writeFileSync(path.join(dir, "b.txt"), "b\n")
    const good = { record_format_version: 6, rule: "r", input: ["a.txt"], log: [], params: [], shellcmd: "cp a.txt b.txt", code: "cp {input} {output}", incomplete: false, starttime: 1, endtime: 2, job_hash: 1 }
    writeFileSync(path.join(dir, ".snakemake/metadata", encodeRecordPath("b.txt")), JSON.stringify(good))
    const ok = await lamina.run(Adapters.snakemake.ingest(dir))
    expect(ok.runs.new).toBe(2)
    writeFileSync(path.join(dir, "c.txt"), "c\n")
    writeFileSync(path.join(dir, ".snakemake/metadata", encodeRecordPath("c.txt")), JSON.stringify({ ...good, record_format_version: 9, starttime: 5 }))
    const error = await lamina.fail(Adapters.snakemake.ingest(dir))
    expect(error._tag).toBe("ValidationError")
    expect(error.message).toContain(`${encodeRecordPath("c.txt")}:1: record_format_version 9`)
    expect(await lamina.run(Run.filter({}).count())).toBe(2)
  }, 60_000)

  it("a directory() output becomes a folder artifact (md5-d); the conda env becomes the job's environment", async () => {
    const lamina = await instance()
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-smk-dir-"))
    temps.push(dir)
    mkdirSync(path.join(dir, ".snakemake/metadata"), { recursive: true })
    mkdirSync(path.join(dir, "multiqc_data"))
    writeFileSync(path.join(dir, "in.txt"), "in\n")
    writeFileSync(path.join(dir, "multiqc_data/a.txt"), "a\n")
    writeFileSync(path.join(dir, "multiqc_data/b.txt"), "b\n")
    const record = { record_format_version: 6, rule: "multiqc", input: ["in.txt"], log: [], params: [], shellcmd: "multiqc .", code: "multiqc .", incomplete: false, starttime: 1, endtime: 2, job_hash: 7, conda_env: "envs/multiqc.yaml", container_img_url: null }
    writeFileSync(path.join(dir, ".snakemake/metadata", encodeRecordPath("multiqc_data")), JSON.stringify(record))
    await lamina.run(Adapters.snakemake.ingest(dir))
    const job = await lamina.run(Run.filter({ name: "multiqc" }).one())
    const folder = await lamina.run(Artifact.get({ key: "multiqc_data" }))
    expect(folder).toMatchObject({ hash_type: "md5-d", n_files: 2, run_id: job.id })
    expect(job.environment_id).not.toBeNull()
    const env = await lamina.run(Artifact.filter({ id: job.environment_id! }).one())
    expect(JSON.parse(new TextDecoder().decode(await lamina.run(env.load())))).toMatchObject({ conda_env: "envs/multiqc.yaml", container: null })
  }, 60_000)
})
