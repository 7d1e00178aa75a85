/**
 * The README's "Nextflow and Snakemake" example, run as written: the block between
 * `<!-- doc-test: snakemake -->` and `<!-- /doc-test -->`, in bash, in an empty folder, with
 * `lamina` the bundled CLI on a fresh instance.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { cliPath, laminaJson } from "../support/cli.js"
import { requireComponent } from "../support/env.js"

const haveSnakemake = requireComponent(
  await new Promise<boolean>((resolve) => {
    const c = spawn("snakemake", ["--version"], { stdio: "ignore" })
    c.once("error", () => resolve(false))
    c.once("close", (code) => resolve(code === 0))
  }),
  "snakemake is not installed (Debian package 'snakemake'; scripts/setup.mjs installs it as root)"
)

const readme = readFileSync(path.resolve("README.md"), "utf8")
const block = /<!-- doc-test: snakemake -->\n```bash\n([\s\S]*?)```\n<!-- \/doc-test -->/.exec(readme)?.[1]

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-readme-adapters-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it.runIf(haveSnakemake)("the README's Snakemake example runs as written", async () => {
  expect(block, "README lost its doc-test block").toBeDefined()
  const home = path.join(dir, "home")
  await laminaJson(home, ["init", "--storage", path.join(dir, "mydata")])
  const work = path.join(dir, "work")
  const script = `set -euo pipefail\nmkdir -p ${JSON.stringify(work)} && cd ${JSON.stringify(work)}\nlamina() { node ${JSON.stringify(cliPath)} "$@"; }\n${block}`
  const r = await new Promise<{ code: number; out: string; err: string }>((resolve, reject) => {
    const c = spawn("bash", ["-c", script], { env: { ...process.env, LAMINA_HOME: home }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    c.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
    c.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
    c.once("error", reject)
    c.once("close", (code) => resolve({ code: code ?? -1, out, err }))
  })
  expect(r.code, r.err).toBe(0)
  expect(r.out).toMatch(/✓ run \w+ \(exit 0\); snakemake: 1 launch\(es\); runs 3 new/)
  for (const name of ["count", "sort", "sorted/x.txt", "raw/x.txt"]) expect(r.out).toContain(name)
  expect(r.out).toContain("runs 0 new")
  const events = readFileSync(path.join(work, "events.jsonl"), "utf8").trim().split("\n")
  expect(events.length).toBe(8) // the command's run, the launch and two jobs: START + COMPLETE each
  expect(existsSync(path.join(work, "counts/x.tsv"))).toBe(true)
}, 180_000)
