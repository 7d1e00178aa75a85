/**
 * The adapters' CLI commands through the bundled `lamina` (dist/lamina.mjs): ingest, run and
 * export, on {SQLite, Postgres}.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lamina, laminaJson } from "../support/cli.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, createSchema, postgresAvailable } from "../support/postgres.js"
import { FIXTURES } from "./fixtures.js"

const pgUp = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")
const haveSnakemake = requireComponent(
  await new Promise<boolean>((resolve) => {
    const c = spawn("snakemake", ["--version"], { stdio: "ignore" })
    c.once("error", () => resolve(false))
    c.once("close", (code) => resolve(code === 0))
  }),
  "snakemake is not installed (Debian package 'snakemake'; scripts/setup.mjs installs it as root)"
)

for (const backend of ["sqlite", "pg"] as const) {
  ;(backend === "sqlite" || pgUp ? describe : describe.skip)(`lamina ingest / run / export [${backend}]`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cli-adapters-"))
    const home = path.join(dir, "home")
    let drop: (() => Promise<void>) | undefined
    beforeAll(async () => {
      const db: Array<string> = []
      if (backend === "pg") {
        const database = await createDatabase()
        drop = database.drop
        db.push("--db", await createSchema(database.url))
      }
      await laminaJson(home, ["init", "--storage", path.join(dir, "storage"), ...db, "--name", "adapters"])
    })
    afterAll(async () => {
      await drop?.()
      rmSync(dir, { recursive: true, force: true })
    })

    it("ingest nextflow prints a summary; again adds nothing; --json; bad input exits non-zero", async () => {
      const sarek = path.join(FIXTURES, "nextflow-nextflow-io-nf-quilt-sarek")
      const first = await lamina(home, ["ingest", "nextflow", sarek])
      expect(first.code, first.stderr).toBe(0)
      expect(first.stdout).toMatch(/✓ nextflow: 2 launch\(es\); runs 38 new, 0 already ingested \(0 cached, 2 failed\)/)
      const again = await laminaJson<{ runs: { new: number; existing: number } }>(home, ["ingest", "nextflow", sarek])
      expect(again.runs).toEqual({ new: 0, existing: 38 })
      const bad = await lamina(home, ["ingest", "nextflow", path.join(dir, "nope")])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain("is not a folder")
      const tool = await lamina(home, ["ingest", "airflow", sarek])
      expect(tool.stderr).toContain("Unknown workflow tool 'airflow'")
    }, 120_000)

    it("ingest snakemake warns about files its metadata names but the folder lacks", async () => {
      const r = await lamina(home, ["ingest", "snakemake", path.join(FIXTURES, "snakemake-petebachant-snakemake-tutorial-tutorial")])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/warning: .*data\/genome\.fa: named by the workflow's records but missing/)
    }, 120_000)

    it.runIf(haveSnakemake)("run -- snakemake tracks the command and ingests its jobs; exit status passed on", async () => {
      const work = path.join(dir, "wf")
      mkdirSync(path.join(work, "raw"), { recursive: true })
      writeFileSync(path.join(work, "raw", "x.txt"), "x\n")
      writeFileSync(path.join(work, "Snakefile"), 'rule up:\n    input: "raw/x.txt"\n    output: "out/X.txt"\n    shell: "tr a-z A-Z < {input} > {output}"\n')
      const r = await lamina(home, ["run", "--json", "--", "snakemake", "--cores", "1", "-d", work, "-s", path.join(work, "Snakefile")])
      expect(r.code, r.stderr).toBe(0)
      const tracked = JSON.parse(r.stdout) as { exitCode: number; run: string; summary: { runs: { new: number } } }
      expect(tracked.exitCode).toBe(0)
      expect(tracked.summary.runs.new).toBe(2)
      const lineage = await lamina(home, ["lineage", "out/X.txt"])
      expect(lineage.stdout).toContain("up")
      expect(lineage.stdout).toContain("raw/x.txt")
      writeFileSync(path.join(work, "Snakefile"), 'rule bad:\n    output: "out/bad.txt"\n    shell: "exit 4"\n')
      const failed = await lamina(home, ["run", "--", "snakemake", "--cores", "1", "-d", work, "-s", path.join(work, "Snakefile")])
      expect(failed.code).not.toBe(0)
      expect(failed.stdout).toMatch(/✗ run \w+ \(exit \d+\)/)

      // Export the first command's run and everything it started.
      const file = path.join(dir, "ol", "events.jsonl")
      const exported = await laminaJson<{ events: number }>(home, ["export", "openlineage", tracked.run, "--output", file])
      const events = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { eventType: string; job: { name: string } })
      expect(events).toHaveLength(exported.events)
      expect(events.map((e) => e.eventType).sort()).toEqual(["COMPLETE", "COMPLETE", "COMPLETE", "START", "START", "START"])
      const bad = await lamina(home, ["export", "openlineage", "--since", "yesterday-ish"])
      expect(bad.code).toBe(2)
    }, 180_000)
  })
}
