/**
 * Real Snakemake (Debian's /usr/bin/snakemake) runs small workflows in a temporary folder —
 * several rules, a failing rule, a rerun after touching one input — and the ingest records
 * them: one run per job, lineage from the final output back through every rule.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, expect, it } from "vitest"
import { Adapters } from "../../src/adapters/index.js"
import { upstream } from "../../src/lineage/index.js"
import { Artifact, Run, RunStatus, Transform } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { requireComponent } from "../support/env.js"

const SNAKEMAKE = "/usr/bin/snakemake"
const haveSnakemake = requireComponent(
  await new Promise<boolean>((resolve) => {
    const c = spawn(SNAKEMAKE, ["--version"], { stdio: "ignore" })
    c.once("error", () => resolve(false))
    c.once("close", (code) => resolve(code === 0))
  }),
  "snakemake is not installed (Debian package 'snakemake'; scripts/setup.mjs installs it as root)"
)

const SNAKEFILE = `
SAMPLES = ["a", "b"]

rule all:
    input: "report/summary.txt"

rule clean:
    input: "raw/{sample}.txt"
    output: "clean/{sample}.txt"
    params: keep="x"
    shell: "grep -v '#' {input} > {output}"

rule count:
    input: "clean/{sample}.txt"
    output: "counts/{sample}.tsv"
    shell: "printf '%s\\\\t%s\\\\n' {wildcards.sample} $(wc -l < {input}) > {output}"

rule summarize:
    input: expand("counts/{sample}.tsv", sample=SAMPLES)
    output: "report/summary.txt"
    shell: "cat {input} > {output}"

rule broken:
    input: "raw/a.txt"
    output: "broken/out.txt"
    shell: "echo failing >&2; exit 3"
`

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A fresh workflow folder with raw inputs. */
const workflow = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-smk-"))
  dirs.push(dir)
  writeFileSync(path.join(dir, "Snakefile"), SNAKEFILE)
  for (const s of ["a", "b"]) {
    const raw = path.join(dir, "raw")
    mkdirSync(raw, { recursive: true })
    writeFileSync(path.join(raw, `${s}.txt`), `# header\n${s}1\n${s}2\n`)
  }
  return dir
}

const snakemake = (dir: string, ...args: ReadonlyArray<string>) =>
  new Promise<number>((resolve, reject) => {
    const c = spawn(SNAKEMAKE, ["--cores", "1", ...args], { cwd: dir, stdio: "ignore" })
    c.once("error", reject)
    c.once("close", (code) => resolve(code ?? -1))
  })

describeBackends("snakemake ingest (real runs)", ({ instance }) => {
  it.runIf(haveSnakemake)("records every job and walks lineage from the final output back to the raw inputs", async () => {
    const lamina = await instance()
    const dir = workflow()
    expect(await snakemake(dir)).toBe(0)
    const first = await lamina.run(Adapters.snakemake.ingest(dir))
    // 2 clean + 2 count + 1 summarize (the `all` rule has no output, hence no record) + the launch.
    expect(first.runs.new).toBe(6)
    expect(first.failed).toBe(0)
    const jobs = await lamina.run(Run.filter({ reference_type: "snakemake_job" }).toArray())
    expect(jobs.map((r) => r.name).sort()).toEqual(["clean", "clean", "count", "count", "summarize"])
    const clean = jobs.find((r) => r.name === "clean")!
    expect((clean.params as { params: ReadonlyArray<unknown> }).params).toEqual(["x"])
    // The rule's transform carries the rule's own code.
    const t = await lamina.run(Transform.filter({ key__endswith: ":count" }).one())
    expect(t.source_code).toContain("rule count:")
    expect(t.source_code).not.toContain("rule summarize")

    const graph = await lamina.run(upstream("report/summary.txt"))
    const runs = graph.nodes.filter((n) => n.kind === "run").map((n) => n.label).sort()
    expect(runs).toEqual(["clean", "clean", "count", "count", "summarize"])
    const artifacts = graph.nodes.filter((n) => n.kind === "artifact").map((n) => n.label).sort()
    expect(artifacts).toEqual(["clean/a.txt", "clean/b.txt", "counts/a.tsv", "counts/b.tsv", "raw/a.txt", "raw/b.txt", "report/summary.txt"])

    // Idempotent.
    const again = await lamina.run(Adapters.snakemake.ingest(dir))
    expect(again.runs.new).toBe(0)
    expect(again.artifacts.new).toBe(0)

    // Touch one input with new content: only its chain reruns; the rest resolves to existing artifacts.
    writeFileSync(path.join(dir, "raw", "b.txt"), "# header\nb1\nb2\nb3\n")
    const later = new Date(Date.now() + 2000)
    utimesSync(path.join(dir, "raw", "b.txt"), later, later)
    expect(await snakemake(dir)).toBe(0)
    const rerun = await lamina.run(Adapters.snakemake.ingest(dir))
    expect(rerun.runs.new).toBe(4) // clean b, count b, summarize, and the new launch
    const versions = await lamina.run(Artifact.filter({ key: "counts/b.tsv" }).toArray())
    expect(versions).toHaveLength(2)
    const latest = await lamina.run(Artifact.get({ key: "report/summary.txt" }))
    const bytes = new TextDecoder().decode(await lamina.run(latest.load()))
    expect(bytes).toBe("a\t2\nb\t3\n")
    const graph2 = await lamina.run(upstream("report/summary.txt"))
    // The unchanged branch is the artifact the first run made; raw/b.txt is its new version.
    expect(graph2.nodes.filter((n) => n.kind === "artifact").map((n) => n.label).sort()).toEqual([
      "clean/a.txt", "clean/b.txt", "counts/a.tsv", "counts/b.tsv", "raw/a.txt", "raw/b.txt", "report/summary.txt"
    ])
  }, 120_000)

  it.runIf(haveSnakemake)("records a failing rule as an errored run of a failed launch", async () => {
    const lamina = await instance()
    const dir = workflow()
    expect(await snakemake(dir, "broken/out.txt")).not.toBe(0)
    const summary = await lamina.run(Adapters.snakemake.ingest(dir).pipe(Effect.either))
    // Nothing succeeded, so there is no metadata record: the log alone tells the failure.
    if (summary._tag === "Left") throw new Error(summary.left.message)
    expect(summary.right.failed).toBeGreaterThanOrEqual(2)
    const failed = await lamina.run(Run.filter({ name: "broken" }).one())
    expect(failed._status_code).toBe(RunStatus.errored)
    const launch = await lamina.run(Run.filter({ reference_type: "snakemake_run" }).one())
    expect(launch._status_code).toBe(RunStatus.errored)
  }, 120_000)
})
