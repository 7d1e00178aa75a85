/**
 * Doc-test helpers: the fenced code blocks of the repository's markdown files, and a scratch
 * project in a temporary folder where `lamina` resolves to this checkout (its sources for the
 * type checker, its build for node) — so README code is compiled and run exactly as a user
 * would paste it, and nothing it writes lands in the checkout.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { transformSync } from "esbuild"

/** The repository root (tests run from it). */
export const repo = path.resolve(".")

/** A fenced code block of a markdown file. */
export interface CodeBlock {
  /** Path relative to the repository root. */
  readonly file: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly lang: string
  readonly code: string
  /** The nearest heading above the block. */
  readonly heading: string
}

/** Every fenced block of `file` (relative to the repository root). */
export const codeBlocks = (file: string): ReadonlyArray<CodeBlock> => {
  const lines = readFileSync(path.join(repo, file), "utf8").split("\n")
  const blocks: Array<CodeBlock> = []
  let heading = ""
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    if (/^#{1,6} /.test(l)) heading = l.replace(/^#+ /, "")
    const open = /^```(\w*)\s*$/.exec(l)
    if (open === null) continue
    const start = i
    const body: Array<string> = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
    blocks.push({ file, line: start + 1, lang: open[1] ?? "", code: body.join("\n") + "\n", heading })
  }
  return blocks
}

/** The markdown files users read: README.md, docs/*.md and every README under examples/. */
export const markdownFiles = (): ReadonlyArray<string> => {
  const found: Array<string> = ["README.md"]
  for (const f of readdirSync(path.join(repo, "docs"))) if (f.endsWith(".md")) found.push(`docs/${f}`)
  const walk = (dir: string) => {
    for (const d of readdirSync(path.join(repo, dir), { withFileTypes: true })) {
      if (d.isDirectory()) walk(`${dir}/${d.name}`)
      else if (d.name.endsWith(".md")) found.push(`${dir}/${d.name}`)
    }
  }
  walk("examples")
  return found
}

/** TypeScript blocks (```ts / ```typescript). */
export const isTypeScript = (b: CodeBlock): boolean => b.lang === "ts" || b.lang === "typescript"

/** A file name for a block: `README.md-L123.ts`. */
export const blockFileName = (b: CodeBlock): string => `${b.file.replace(/[/\\]/g, "_")}-L${b.line}.ts`

/**
 * Make `dir` a scratch ESM project: `node_modules` holds links to this checkout's packages plus
 * `lamina` itself (its package.json exports point at dist/, built by `npm test`).
 */
export const scratchProject = (dir: string): void => {
  mkdirSync(path.join(dir, "node_modules"), { recursive: true })
  for (const entry of readdirSync(path.join(repo, "node_modules"))) {
    if (entry.startsWith(".")) continue
    symlinkSync(path.join(repo, "node_modules", entry), path.join(dir, "node_modules", entry))
  }
  symlinkSync(repo, path.join(dir, "node_modules", "lamina"))
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "doc-tests", private: true, type: "module" }))
}

/** A strict tsconfig for `dir` that type-checks `lamina` from this checkout's sources. */
export const writeTsconfig = (dir: string, files: ReadonlyArray<string>): void => {
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          paths: { lamina: [path.join(repo, "src/index.ts")], "lamina/formats": [path.join(repo, "src/formats/index.ts")], "lamina/cluster": [path.join(repo, "src/cluster/index.ts")] }
        },
        files
      },
      null,
      2
    )
  )
}

/** Strip a block's types (esbuild) and write it as `name.mjs` in `dir`; returns the path. */
export const writeRunnable = (dir: string, name: string, code: string): string => {
  const js = transformSync(code, { loader: "ts", format: "esm", target: "node20" }).code
  const file = path.join(dir, name.replace(/\.ts$/, ".mjs"))
  writeFileSync(file, js)
  return file
}
