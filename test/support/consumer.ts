/**
 * A consumer project for tests that run a compiled pipeline as a real subprocess: its own
 * package.json, `lamina` and `effect` linked to this checkout (lamina's dist/ must be built),
 * TypeScript sources compiled to dist/ as tsc emits them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import ts from "typescript"
import { afterAll } from "vitest"
import { runNode } from "./cli.js"

const repo = path.resolve(".")
const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Fail early, and say what to do, when this checkout's build is missing. */
export const requireBuild = (): void => {
  if (!existsSync(path.join(repo, "dist", "src", "index.js"))) throw new Error("dist/ is missing: run 'npm run build' first ('npm test' does it).")
}

/** Write a TypeScript source under src/ and its compiled form under dist/. */
export const source = (root: string, name: string, text: string): void => {
  mkdirSync(path.join(root, "src"), { recursive: true })
  mkdirSync(path.join(root, "dist"), { recursive: true })
  writeFileSync(path.join(root, "src", name), text)
  const out = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: name })
  writeFileSync(path.join(root, "dist", name.replace(/\.ts$/, ".js")), out.outputText)
}

/** A fresh consumer project with `sources` (file name → TypeScript), removed after the test file. */
export const makeProject = (sources: Readonly<Record<string, string>>): string => {
  const root = mkdtempSync(path.join(os.tmpdir(), "lamina-consumer-"))
  dirs.push(root)
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }))
  mkdirSync(path.join(root, "node_modules"))
  symlinkSync(repo, path.join(root, "node_modules", "lamina"), "dir")
  symlinkSync(path.join(repo, "node_modules", "effect"), path.join(root, "node_modules", "effect"), "dir")
  for (const [name, text] of Object.entries(sources)) source(root, name, text)
  return root
}

/** Run the project's dist/main.js with `args`; the JSON its last output line holds. */
export const runMainOf = async (root: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<unknown> => {
  const r = await runNode([path.join(root, "dist", "main.js"), ...args], { cwd: root, env })
  if (r.code !== 0) throw new Error(`pipeline exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "")
}
