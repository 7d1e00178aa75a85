/**
 * Snakemake ingest of the real `.snakemake/` fixtures on {SQLite, Postgres}: every generation of
 * record ingests, re-ingests to nothing, and files the records name but the folder lacks become
 * warnings naming the file.
 */
import * as path from "node:path"
import { expect, it } from "vitest"
import { Adapters } from "../../src/adapters/index.js"
import { upstream } from "../../src/lineage/index.js"
import { Run, RunStatus, Transform } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { FIXTURES, fixtureDirs } from "./fixtures.js"

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
})
