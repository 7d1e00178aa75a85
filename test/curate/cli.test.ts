/**
 * The curation commands, run in-process through the CLI's `main` on a fresh SQLite instance:
 * `schema create`, `ls schema`, `validate` (exit 0 valid, 1 with the problems, `--json`), and
 * usage errors (exit 2).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest"
import { main } from "../../src/cli/main.js"

const run = async (args: ReadonlyArray<string>) => {
  let stdout = ""
  let stderr = ""
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true))
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true))
  try {
    const code = await main(args)
    return { code, stdout, stderr }
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
}

let dir: string
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "lamina-curate-cli-"))
  process.env.LAMINA_HOME = path.join(dir, "home")
  expect((await run(["init", "--storage", path.join(dir, "storage")])).code).toBe(0)
})
afterEach(() => vi.restoreAllMocks())
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it("creates a schema, lists it, and validates files against it (exit codes, --json, --standardize)", async () => {
  expect((await run(["ulabel", "create", "DMSO"])).code).toBe(0)
  const created = await run(["schema", "create", "screen", "--feature", "perturbation:cat[ULabel]", "--feature", "score:float", "--maximal"])
  expect(created.code).toBe(0)
  expect(created.stdout).toContain("Schema 'screen'")
  const again = await run(["schema", "create", "screen", "--feature", "perturbation:cat[ULabel]", "--feature", "score:float", "--maximal"])
  expect(again.stderr).toContain("returning existing schema with same hash")
  const ls = await run(["ls", "schema", "--json"])
  expect(JSON.parse(ls.stdout).map((s: { readonly name: string }) => s.name)).toEqual(["screen"])

  const good = path.join(dir, "good.csv")
  writeFileSync(good, "perturbation,score\nDMSO,0.5\nDMSO,1.5\n")
  const ok = await run(["validate", good, "--schema", "screen"])
  expect(ok.code).toBe(0)
  expect(ok.stdout).toContain("is valid against schema 'screen'")

  const bad = path.join(dir, "bad.csv")
  writeFileSync(bad, "perturbation,score,extra\nIFNJ,0.5,x\n")
  const failed = await run(["validate", bad, "--schema", "screen"])
  expect(failed.code).toBe(1)
  expect(failed.stderr).toContain("1 term is not validated: 'IFNJ'")
  expect(failed.stderr).toContain("column 'extra' not in schema 'screen'")
  const json = await run(["validate", bad, "--schema", "screen", "--json"])
  expect(json.code).toBe(1)
  expect(JSON.parse(json.stdout).problems.map((p: { readonly kind: string }) => p.kind).sort()).toEqual(["extra_column", "not_validated"])

  const lower = path.join(dir, "lower.csv")
  writeFileSync(lower, "Perturbation,score\ndmso,0.5\n")
  expect((await run(["validate", lower, "--schema", "screen"])).code).toBe(1)
  expect((await run(["validate", lower, "--schema", "screen", "--standardize"])).code).toBe(0)
  expect((await run(["validate", good])).code).toBe(2)
})
