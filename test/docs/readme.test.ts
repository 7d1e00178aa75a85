/**
 * Doc tests: every TypeScript block of the README, docs/ and examples/ compiles under a strict
 * tsconfig, and the README's runnable examples — the five-minute tour (shell and TypeScript)
 * and the tracked pipeline — run as written, in a scratch folder, with the output the README
 * promises (the pipeline's second run is all cache hits).
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { cliPath, lamina, laminaJson, runNode, type CliResult } from "../support/cli.js"
import { blockFileName, codeBlocks, isTypeScript, markdownFiles, repo, scratchProject, writeRunnable, writeTsconfig, type CodeBlock } from "./markdown.js"

const scratch = mkdtempSync(path.join(os.tmpdir(), "lamina-doctest-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const readme = codeBlocks("README.md")
const blockAfter = (heading: string, lang: (b: CodeBlock) => boolean, nth = 0): CodeBlock => {
  const found = readme.filter((b) => b.heading === heading && lang(b))[nth]
  if (found === undefined) throw new Error(`README has no such block under '${heading}'`)
  return found
}

const run = (cmd: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string>): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.once("error", reject)
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })

const requireBuild = () => {
  if (!existsSync(cliPath) || !existsSync(path.join(repo, "dist/src/index.js")))
    throw new Error("dist/ is missing: run 'npm run build' first ('npm test' does it).")
}

// tsc over the blocks and several node processes per test: generous on a loaded machine.
describe("docs", { timeout: 600_000 }, () => {
  it("every TypeScript block in README.md, docs/ and examples/ compiles (strict)", async () => {
    const dir = path.join(scratch, "compile")
    scratchProject(dir)
    const blocks = markdownFiles().flatMap(codeBlocks).filter(isTypeScript)
    expect(blocks.length).toBeGreaterThanOrEqual(5)
    const names = blocks.map((b) => {
      const name = blockFileName(b)
      // A block is a module of its own (its imports and top-level await), as a user's file would be.
      writeFileSync(path.join(dir, name), b.code.includes("import ") || b.code.includes("export ") ? b.code : `${b.code}\nexport {}\n`)
      return name
    })
    writeTsconfig(dir, names)
    const r = await run(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir, {})
    const errors = (r.stdout + r.stderr).trim()
    // tsc names e.g. README.md-L120.ts(5,3): the README's line 120 block, its line 5.
    expect(errors, `a documented TypeScript block does not compile:\n${errors}`).toBe("")
    expect(r.code).toBe(0)
  })

  it("the five-minute tour runs as written in a scratch folder (shell, then the TypeScript version)", async () => {
    requireBuild()
    const dir = mkdtempSync(path.join(scratch, "tour-"))
    scratchProject(dir)
    const home = path.join(dir, ".home")
    const shell = blockAfter("Five-minute tour", (b) => b.lang === "bash")
    const lines = shell.code.split("\n")
    // The harness does what the tour's first lines do: build (done), alias, scratch folder (this one).
    expect(lines[0]).toMatch(/^npm run build/)
    expect(lines[1]).toMatch(/^alias lamina=/)
    expect(lines[2]).toMatch(/^cd "\$\(mktemp -d\)"/)
    const script = [`set -euo pipefail`, `lamina() { node ${JSON.stringify(cliPath)} "$@"; }`, ...lines.slice(3)].join("\n")
    const r = await run("bash", ["-c", script], dir, { LAMINA_HOME: home })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("raw/m.csv")
    expect(r.stderr).toMatch(/returning artifact with same hash|same content|already saved/i)
    expect(existsSync(path.join(dir, "mydata/.lamina/lamina.db"))).toBe(true)

    const ts = blockAfter("Five-minute tour", isTypeScript)
    const file = writeRunnable(dir, "tour.ts", ts.code)
    const t = await runNode([file], { cwd: dir, env: { LAMINA_HOME: home } })
    expect(t.code, t.stderr).toBe(0)
    const latest = await laminaJson<{ key: string; version: string | null; is_latest: boolean }>(home, ["describe", "raw/m.csv"])
    expect(latest).toMatchObject({ key: "raw/m.csv", is_latest: true })
    // Nothing of the tour landed in the checkout.
    expect(existsSync(path.join(repo, "mydata"))).toBe(false)
    expect(existsSync(path.join(repo, "m.csv"))).toBe(false)
  })

  it("the tracked pipeline example prints its outputs, filters correctly, and is all cache hits the second time", async () => {
    requireBuild()
    const dir = mkdtempSync(path.join(scratch, "pipeline-"))
    scratchProject(dir)
    const home = path.join(dir, ".home")
    expect((await lamina(home, ["init", "--storage", path.join(dir, "data")])).code).toBe(0)
    writeFileSync(path.join(dir, "a.csv"), "sample,value\ns1,0.2\ns2,0.9\n")
    writeFileSync(path.join(dir, "b.csv"), "sample,value\ns3,0.7\ns4,0.1\ns5,0.5\n")
    for (const n of ["a", "b"]) expect((await lamina(home, ["save", path.join(dir, `${n}.csv`), "--key", `raw/${n}.csv`])).code).toBe(0)

    const block = blockAfter("Tracked pipelines", isTypeScript)
    const file = writeRunnable(dir, "pipeline.ts", block.code)
    const first = await runNode([file], { cwd: dir, env: { LAMINA_HOME: home } })
    expect(first.code, first.stderr).toBe(0)
    const printed = first.stdout.trim().split("\n").map((l) => l.split(" "))
    expect(printed.map((l) => l[0])).toEqual(["clean/a.csv", "clean/b.csv"])
    const contents = await Promise.all(
      ["clean/a.csv", "clean/b.csv"].map(async (key) => readFileSync((await lamina(home, ["load", key])).stdout.trim(), "utf8"))
    )
    expect(contents).toEqual(["sample,value\ns2,0.9\n", "sample,value\ns3,0.7\ns5,0.5\n"])

    const second = await runNode([file], { cwd: dir, env: { LAMINA_HOME: home } })
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toBe(first.stdout) // the same artifacts
    const runs = await laminaJson<ReadonlyArray<{ name: string; status: string }>>(home, ["ls", "run", "--filter", "name=clean", "--order", "-id", "--limit", "2"])
    expect(runs.map((r) => r.status)).toEqual(["cached", "cached"])
    const flows = await laminaJson<ReadonlyArray<{ name: string; status: string; initiated_by_run_id: number | null }>>(home, ["ls", "run", "--filter", "name=pipeline"])
    expect(flows.map((r) => [r.status, r.initiated_by_run_id])).toEqual([
      ["completed", null],
      ["completed", null]
    ])
  })
})
