/** Snakemake record, log and Snakefile parsers over fixture files and edge cases. */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { parseSnakemakeLog } from "../../src/adapters/snakemake/log.js"
import { decodeRecord, decodeRecordPath, encodeRecordPath, type JobRecord } from "../../src/adapters/snakemake/metadata.js"
import { unrepr } from "../../src/adapters/snakemake/plan.js"
import { ruleSources } from "../../src/adapters/snakemake/rules.js"
import { ValidationError } from "../../src/errors.js"
import { FIXTURES } from "./fixtures.js"

const record = (dir: string, output: string): JobRecord => {
  const file = path.join(FIXTURES, dir, ".snakemake/metadata", encodeRecordPath(output))
  const r = decodeRecord(file, output, readFileSync(file, "utf8"))
  if (r instanceof ValidationError) throw new Error(r.message)
  return r
}

describe("snakemake metadata records", () => {
  it("decodes urlsafe base64 names, long names split into @ folders", () => {
    expect(decodeRecordPath("Y2FsbHMvYWxsLnZjZg==")).toBe("calls/all.vcf")
    const long = "results/" + "x".repeat(300) + "/out.txt"
    const b64 = encodeRecordPath(long)
    const parts = [b64.slice(0, 254), b64.slice(254, 508), b64.slice(508)]
    expect(decodeRecordPath(`@${parts[0]}/@${parts[1]}/${parts[2]}`)).toBe(long)
    expect(decodeRecordPath(encodeRecordPath("a/b?c>d.txt"))).toBe("a/b?c>d.txt") // '-' and '_' of urlsafe base64
  })

  it("reads every generation: 5.4.2 pickled code, format versions 5 and 6", () => {
    const old = record("snakemake-bmcconeghy-bioinformatics_pipeline_with_snakemake_2019-06-27-tutorial", "calls/all.vcf")
    expect(old).toMatchObject({ rule: "bcftools_call", recordFormatVersion: undefined, incomplete: false })
    expect(old.code).toContain("{input.fa}")
    const v5 = record("snakemake-petebachant-snakemake-tutorial-tutorial", "calls/all.vcf")
    expect(v5).toMatchObject({ recordFormatVersion: 5, code: "bcftools mpileup -f {input.fa} {input.bam} | bcftools call -mv - > {output}" })
    const v6 = record("snakemake-code-tortoise-snakemake-tutorial-tutorial", "mapped_reads/A.bam")
    expect(v6.recordFormatVersion).toBe(6)
    expect(v6.params.map(unrepr)).toEqual(["@RG\\tID:A\\tSM:A"])
    const teaser = record("snakemake-alipirani88-snakemake_teaser-fastqc", "multiqc_data")
    expect(teaser.rule).toBe("run_multiqc") // multiqc_data is a folder output of rule run_multiqc
  })

  it("refuses an unknown record format version and non-records, naming the file", () => {
    const v7 = decodeRecord("meta/X", "out.txt", JSON.stringify({ record_format_version: 7, rule: "r" }))
    expect(v7).toBeInstanceOf(ValidationError)
    expect((v7 as ValidationError).message).toMatch(/^meta\/X:1: record_format_version 7 is not one this reader knows/)
    expect((decodeRecord("meta/Y", "o", "{nope") as ValidationError).message).toMatch(/^meta\/Y:1: not a Snakemake metadata record/)
    expect((decodeRecord("meta/Z", "o", "{}") as ValidationError).message).toContain("names no rule")
  })

  it("unquotes Python reprs of params", () => {
    expect(unrepr("'results/'")).toBe("results/")
    expect(unrepr("'1.1e-2'")).toBe("1.1e-2")
    expect(unrepr("3")).toBe(3)
    expect(unrepr("{'a': 1}")).toBe("{'a': 1}")
  })
})

describe("snakemake logs and Snakefiles", () => {
  it("reads job blocks, finished runs and failed jobs", () => {
    const dir = path.join(FIXTURES, "snakemake-code-tortoise-snakemake-tutorial-tutorial/.snakemake/log")
    const log = parseSnakemakeLog(path.join(dir, "2025-04-14T200234.847139.snakemake.log"), readFileSync(path.join(dir, "2025-04-14T200234.847139.snakemake.log"), "utf8"))
    expect(log.runId).toBe("2025-04-14T200234.847139")
    expect(log.outcome).toBe("completed")
    expect(log.jobs.find((j) => j.output.includes("mapped_reads/B.bam"))).toMatchObject({ rule: "bwa_map", jobid: "6", input: ["data/genome.fa", "data/samples/B.fastq"] })
    const bf = path.join(FIXTURES, "snakemake-BF528-project-1-template-NB-Rao-rnaseq/.snakemake/log/2024-02-27T202247.351237.snakemake.log")
    const failed = parseSnakemakeLog(bf, readFileSync(bf, "utf8"))
    expect(failed.outcome).toBe("errored")
    expect(failed.failed[0]).toMatchObject({ rule: "fastqc", output: expect.arrayContaining([expect.stringMatching(/_fastqc\.html$/)]) })
  })

  it("cuts each rule's text out of a Snakefile", () => {
    const src = ruleSources('X = 1\n\nrule a:\n    input: "x"\n    shell: """\n        cat {input}\n\n    """\n\nrule b:\n    output: "y"\n\nprint(X)\n')
    expect(src.get("a")).toBe('rule a:\n    input: "x"\n    shell: """\n        cat {input}\n\n    """\n')
    expect(src.get("b")).toBe('rule b:\n    output: "y"\n')
  })
})
