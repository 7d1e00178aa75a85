/**
 * The CLI: the README's "Operations" block runs as written (bash, the bundled CLI, an instance
 * with data), and `lamina check` exits 1 naming the problem when something is wrong, 0 after the
 * repair.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { cliPath, lamina, laminaJson } from "../support/cli.js"

const readme = readFileSync(path.resolve("README.md"), "utf8")
const block = /<!-- doc-test: operations -->\n```bash\n([\s\S]*?)```\n<!-- \/doc-test -->/.exec(readme)?.[1]

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cli-integrity-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const bash = (script: string, env: Record<string, string>) =>
  new Promise<{ code: number; out: string; err: string }>((resolve, reject) => {
    const c = spawn("bash", ["-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    c.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
    c.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
    c.once("error", reject)
    c.once("close", (code) => resolve({ code: code ?? -1, out, err }))
  })

it("the README's Operations block runs as written", async () => {
  expect(block, "README lost its doc-test block").toBeDefined()
  const home = path.join(dir, "home")
  const storage = path.join(dir, "mydata")
  await laminaJson(home, ["init", "--storage", storage])
  writeFileSync(path.join(dir, "m.csv"), "sample,value\ns1,0.5\n")
  await laminaJson(home, ["save", path.join(dir, "m.csv"), "--key", "raw/m.csv"])
  const work = path.join(dir, "work")
  const script = `set -euo pipefail\nmkdir -p ${JSON.stringify(work)} && cd ${JSON.stringify(work)}\nlamina() { node ${JSON.stringify(cliPath)} "$@"; }\n${block}`
  const r = await bash(script, { LAMINA_HOME: home })
  expect(r.code, r.err).toBe(0)
  expect(r.out).toContain("✓ no problems found")
  expect(r.out).toContain("nothing to import")
  expect(r.err).toMatch(/verifying \[#+\] 100% .*\/s/)
})

it("lamina check exits 1 and names a missing object; --json gives the report", async () => {
  const home = path.join(dir, "home2")
  const storage = path.join(dir, "data2")
  await laminaJson(home, ["init", "--storage", storage])
  writeFileSync(path.join(dir, "x.txt"), "x")
  const saved = await laminaJson<{ uid: string }>(home, ["save", path.join(dir, "x.txt"), "--key", "x.txt"])
  unlinkSync(path.join(storage, ".lamina", `${saved.uid}.txt`))
  const r = await lamina(home, ["check"])
  expect(r.code).toBe(1)
  expect(r.stdout).toContain(`✗ [missing-object] artifact 'x.txt' (${saved.uid})`)
  expect(r.stdout).toContain("1 problem(s): 1 missing-object")
  const j = await lamina(home, ["check", "--json"])
  expect(j.code).toBe(1)
  expect((JSON.parse(j.stdout) as { problems: Array<{ kind: string }> }).problems.map((p) => p.kind)).toEqual(["missing-object"])
  expect((await lamina(home, ["check", "--min-age", "-1"])).code).toBe(2)
})
