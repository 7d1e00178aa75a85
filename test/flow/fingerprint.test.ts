/**
 * Code fingerprints: which files and packages a step's module reaches, and that an edit to a
 * reached file changes the fingerprint while an unrelated file does not.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { computeFingerprint, diffFingerprints, runtimeSpecifiers } from "../../src/flow/codeFingerprint.js"
import { pathsReadBy } from "../../src/flow/readPaths.js"
import { captureSource, envVarsReadBy } from "../../src/flow/source.js"
import { schemaFingerprint } from "../../src/flow/schemaFingerprint.js"

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A project folder with `files` (path → content). */
const project = (files: Record<string, string>): string => {
  const root = mkdtempSync(path.join(os.tmpdir(), "lamina-fp-"))
  dirs.push(root)
  for (const [name, content] of Object.entries(files)) write(root, name, content)
  return root
}

let tick = 0
/** Write a file with an mtime no earlier write had (the scan cache keys on mtime and size). */
const write = (root: string, name: string, content: string): void => {
  const p = path.join(root, name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  const t = new Date(Date.UTC(2020, 0, 1) + ++tick * 1000)
  utimesSync(p, t, t)
}

const lock = (packages: Record<string, { version: string; dependencies?: Record<string, string> }>) =>
  JSON.stringify({ name: "p", lockfileVersion: 3, packages: { "": { name: "p" }, ...packages } })

describe("code fingerprints", () => {
  it("follows static, dynamic, re-export and require imports of project files; skips type-only imports", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "src/main.ts": [
        `import { Effect } from "effect"`,
        `import type { Shape } from "./types.js"`,
        `import { clean } from "./helpers/clean.js"`,
        `export * from "./reexported.js"`,
        `import * as fs from "node:fs"`,
        `const lazy = () => import("./lazy.js")`,
        `const cjs = require("./legacy.cjs")`,
        `import data from "./data.json" with { type: "json" }`,
        `export const step = (s: Shape) => Effect.succeed(clean(s.x))`
      ].join("\n"),
      "src/types.ts": `export interface Shape { readonly x: string }`,
      "src/helpers/clean.ts": `import { trim } from "../util"\nexport const clean = (s: string) => trim(s)`,
      "src/util/index.ts": `import { z } from "zod/v4"\nexport const trim = (s: string) => s.trim()`,
      "src/reexported.ts": `export const r = 1`,
      "src/lazy.ts": `export const l = 1`,
      "src/legacy.cjs": `module.exports = 1`,
      "src/data.json": `{"a":1}`,
      "src/unrelated.ts": `export const u = 1`,
      "package-lock.json": lock({
        "node_modules/effect": { version: "3.22.4", dependencies: { "fast-check": "^3" } },
        "node_modules/fast-check": { version: "3.23.2", dependencies: { "pure-rand": "^6" } },
        "node_modules/pure-rand": { version: "6.1.0" },
        "node_modules/zod": { version: "4.1.0" },
        "node_modules/unused": { version: "1.0.0" }
      })
    })
    const fp = computeFingerprint(path.join(root, "src/main.ts"))
    expect(Object.keys(fp.files)).toEqual([
      "src/data.json",
      "src/helpers/clean.ts",
      "src/lazy.ts",
      "src/legacy.cjs",
      "src/main.ts",
      "src/reexported.ts",
      "src/util/index.ts"
    ])
    expect(fp.packages).toEqual({ effect: "3.22.4", "fast-check": "3.23.2", "pure-rand": "6.1.0", zod: "4.1.0" })
  })

  it("changes when a reached helper changes, not when an unrelated file does; the diff names the file", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "main.js": `import { helper } from "./lib/helper.js"\nexport const f = () => helper()`,
      "lib/helper.js": `import { deep } from "./deep.js"\nexport const helper = () => deep() + 1`,
      "lib/deep.js": `export const deep = () => 1`,
      "other.js": `export const o = 1`
    })
    const entry = path.join(root, "main.js")
    const before = computeFingerprint(entry)
    write(root, "other.js", `export const o = 2`)
    expect(computeFingerprint(entry).hash).toBe(before.hash)
    write(root, "lib/deep.js", `export const deep = () => 2`)
    const after = computeFingerprint(entry)
    expect(after.hash).not.toBe(before.hash)
    expect(diffFingerprints(before, after)).toEqual([{ kind: "file", name: "lib/deep.js", before: before.files["lib/deep.js"], after: after.files["lib/deep.js"] }])
    // A new import is a newly reached file.
    write(root, "lib/helper.js", `import { deep } from "./deep.js"\nimport "../other.js"\nexport const helper = () => deep() + 1`)
    const third = computeFingerprint(entry)
    expect(diffFingerprints(after, third).map((d) => [d.kind, d.name, d.before === undefined])).toEqual([
      ["file", "lib/helper.js", false],
      ["file", "other.js", true]
    ])
  })

  it("records a package version change from the lockfile, and a missing import as missing", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "main.js": `import "left-pad"\nimport "./gone.js"`,
      "package-lock.json": lock({ "node_modules/left-pad": { version: "1.0.0" } })
    })
    const entry = path.join(root, "main.js")
    const before = computeFingerprint(entry)
    expect(before.packages).toEqual({ "left-pad": "1.0.0" })
    expect(Object.values(before.files)).toContain("missing")
    // The lockfile is read once per process per project: a new process sees the new version.
    const other = project({
      "package.json": `{"name":"p","type":"module"}`,
      "main.js": `import "left-pad"\nimport "./gone.js"`,
      "package-lock.json": lock({ "node_modules/left-pad": { version: "1.3.0" } })
    })
    const after = computeFingerprint(path.join(other, "main.js"))
    expect(diffFingerprints(before, after)).toEqual([{ kind: "package", name: "left-pad", before: "1.0.0", after: "1.3.0" }])
  })

  it("follows linked packages (workspaces, npm link, file:) as project code from their entry points: main, exports patterns, a linked package's own linked imports; not installed ones", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "main.js": `import "@w/shapes"\nimport "@w/colors/red"\nimport "installed"`,
      "packages/shapes/package.json": `{"name":"@w/shapes","main":"lib/index.js"}`,
      "packages/shapes/lib/index.js": `import "@w/colors/blue"\nexport * from "./square.js"`,
      "packages/shapes/lib/square.js": `export const square = 1`,
      "packages/shapes/lib/unused.js": `export const unused = 1`,
      "packages/colors/package.json": `{"name":"@w/colors","exports":{"./*":"./src/*.js"}}`,
      "packages/colors/src/red.js": `export const red = 1`,
      "packages/colors/src/blue.js": `export const blue = 1`,
      "node_modules/installed/package.json": `{"name":"installed","version":"2.0.0","main":"index.js"}`,
      "node_modules/installed/index.js": `export const x = 1`
    })
    mkdirSync(path.join(root, "node_modules", "@w"))
    symlinkSync(path.join(root, "packages", "shapes"), path.join(root, "node_modules", "@w", "shapes"), "dir")
    symlinkSync(path.join(root, "packages", "colors"), path.join(root, "node_modules", "@w", "colors"), "dir")
    const fp = computeFingerprint(path.join(root, "main.js"))
    expect(Object.keys(fp.files)).toEqual(["main.js", "packages/colors/src/blue.js", "packages/colors/src/red.js", "packages/shapes/lib/index.js", "packages/shapes/lib/square.js"])
    expect(fp.packages.installed).toBe("2.0.0")
  })

  it("keys a git or tarball dependency by where it came from too: a new commit keeps its version number", () => {
    const withLib = (resolved: string, integrity?: string) =>
      computeFingerprint(
        path.join(
          project({
            "package.json": `{"name":"p","type":"module"}`,
            "main.js": `import "lib"\nimport "left-pad"`,
            "package-lock.json": JSON.stringify({
              name: "p",
              lockfileVersion: 3,
              packages: {
                "": { name: "p" },
                "node_modules/lib": { version: "1.0.0", resolved, ...(integrity !== undefined ? { integrity } : {}) },
                "node_modules/left-pad": { version: "1.3.0", resolved: "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", integrity: "sha512-x" }
              }
            })
          }),
          "main.js"
        )
      ).packages
    const before = withLib("git+ssh://git@github.com/lab/lib.git#1111111")
    expect(before).toEqual({ lib: "1.0.0 (git+ssh://git@github.com/lab/lib.git#1111111)", "left-pad": "1.3.0" })
    expect(withLib("git+ssh://git@github.com/lab/lib.git#2222222").lib).not.toBe(before.lib)
    expect(withLib("file:../lib-1.0.0.tgz", "sha512-a").lib).not.toBe(withLib("file:../lib-1.0.0.tgz", "sha512-b").lib)
  })

  it("keys patch-package's patches of the packages reached by content (npm install applies them; the lockfile stays as it was)", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "main.js": `import "left-pad"\nimport "@lab/plot"`,
      "package-lock.json": lock({ "node_modules/left-pad": { version: "1.3.0" }, "node_modules/@lab/plot": { version: "2.0.0" }, "node_modules/other": { version: "1.0.0" } }),
      "patches/left-pad+1.3.0.patch": "-a\n+b\n",
      "patches/@lab+plot+2.0.0.patch": "-c\n+d\n",
      "patches/other+1.0.0.patch": "-e\n+f\n"
    })
    const entry = path.join(root, "main.js")
    const before = computeFingerprint(entry)
    expect(Object.keys(before.packages)).toEqual(["@lab/plot", "left-pad", "patches/@lab+plot+2.0.0.patch", "patches/left-pad+1.3.0.patch"])
    write(root, "patches/left-pad+1.3.0.patch", "-a\n+c\n")
    expect(diffFingerprints(before, computeFingerprint(entry)).map((c) => c.name)).toEqual(["patches/left-pad+1.3.0.patch"])
  })

  it("follows subpath imports (#lib/helper.js) through the package.json's imports: patterns, every condition's target, a package target", () => {
    const root = project({
      "package.json": JSON.stringify({ name: "p", type: "module", imports: { "#lib/*": "./lib/*", "#config": { node: "./config.node.js", default: "./config.js" }, "#pad": "left-pad" } }),
      "main.js": `import { scale } from "#lib/helper.js"\nimport "#config"\nimport "#pad"`,
      "lib/helper.js": `export const scale = (x) => 2 * x`,
      "config.node.js": `export default 1`,
      "config.js": `export default 2`,
      "package-lock.json": lock({ "node_modules/left-pad": { version: "1.3.0" } })
    })
    const entry = path.join(root, "main.js")
    const before = computeFingerprint(entry)
    expect(Object.keys(before.files)).toEqual(["config.js", "config.node.js", "lib/helper.js", "main.js"])
    expect(before.packages).toEqual({ "left-pad": "1.3.0" })
    write(root, "lib/helper.js", `export const scale = (x) => 5 * x`)
    expect(diffFingerprints(before, computeFingerprint(entry)).map((c) => c.name)).toEqual(["lib/helper.js"])
  })

  it("follows tsconfig.json's path aliases (@/helper) as tsx resolves them: patterns, exact names, an extended config's, comments and trailing commas", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "tsconfig.base.json": `{\n  // shared\n  "compilerOptions": {\n    "baseUrl": ".",\n    "paths": { "@/*": ["src/*"], "~config": ["config/index.ts"], },\n  },\n}`,
      "tsconfig.json": `{ "extends": "./tsconfig.base.json" /* the app's */ }`,
      "main.ts": `import { scale } from "@/math/scale"\nimport config from "~config"\nimport "left-pad"`,
      "src/math/scale.ts": `export const scale = (x: number) => 2 * x`,
      "config/index.ts": `export default { lr: 0.1 }`,
      "package-lock.json": lock({ "node_modules/left-pad": { version: "1.3.0" } })
    })
    const entry = path.join(root, "main.ts")
    const before = computeFingerprint(entry)
    expect(Object.keys(before.files)).toEqual(["config/index.ts", "main.ts", "src/math/scale.ts"])
    expect(before.packages).toEqual({ "left-pad": "1.3.0" })
    write(root, "src/math/scale.ts", `export const scale = (x: number) => 5 * x`)
    expect(diffFingerprints(before, computeFingerprint(entry)).map((c) => c.name)).toEqual(["src/math/scale.ts"])
  })

  it("never claims code edited after the step was defined: the process runs what it loaded, not what is on disk", () => {
    const root = project({
      "package.json": `{"name":"p","type":"module"}`,
      "main.js": `import "left-pad"\nimport { helper } from "./helper.js"\nexport const f = () => helper()`,
      "helper.js": `export const helper = () => 1`,
      "package-lock.json": lock({ "node_modules/left-pad": { version: "1.0.0" } })
    })
    const entry = path.join(root, "main.js")
    // Defined (its module loaded) now; the helper and the lockfile are edited before its first call.
    const source = captureSource(() => 1, entry)
    const definedAt = Date.now()
    while (Date.now() <= definedAt + 2) {
      // the edits below come (at least) a few milliseconds after the definition
    }
    writeFileSync(path.join(root, "helper.js"), `export const helper = () => 2`)
    writeFileSync(path.join(root, "package-lock.json"), lock({ "node_modules/left-pad": { version: "2.0.0" } }))
    const now = new Date()
    for (const name of ["helper.js", "package-lock.json"]) utimesSync(path.join(root, name), now, now)
    const reached = source.reach!()
    const onDisk = computeFingerprint(entry)
    // A key claiming the edited helper would let a later process (which loads it) reuse this one's results.
    expect(reached.hash).not.toBe(onDisk.hash)
    expect(reached.files["helper.js"]).toMatch(/^edited after load/)
    expect(reached.files["main.js"]).toBe(onDisk.files["main.js"])
    expect(reached.packages["left-pad"]).toMatch(/^edited after load/)
    expect(diffFingerprints(onDisk, reached).map((c) => c.name)).toEqual(["helper.js", "left-pad"])
    // The same in this process: its runs still hit each other.
    expect(source.reach!().hash).toBe(reached.hash)
    // An mtime in the future is a skewed clock, not an edit: a checkout like that still hits across processes.
    const skewed = project({ "package.json": `{"name":"p","type":"module"}`, "main.js": `import "./helper.js"`, "helper.js": `export const h = 1` })
    const future = new Date(Date.now() + 3_600_000)
    utimesSync(path.join(skewed, "helper.js"), future, future)
    expect(captureSource(() => 1, path.join(skewed, "main.js")).reach!().hash).toBe(computeFingerprint(path.join(skewed, "main.js")).hash)
  })

  it("lexes TypeScript: type-only imports and exports are skipped, value imports kept", () => {
    expect(
      runtimeSpecifiers(
        [
          `import type { A } from "./a.js"`,
          `import { type B, c } from "./b.js"`,
          `export type { D } from "./d.js"`,
          `const x: number = 1 / 2 // import("./not-a-call.js") in a comment`,
          `const y = <T,>(v: T) => v`,
          `const z = await import("./z.js")`
        ].join("\n"),
        "m.ts"
      )
    ).toEqual(["./b.js", "./z.js"])
  })
})

describe("result schema fingerprints", () => {
  it("differ when a field's type changes, a refinement is added, or a class field is added", () => {
    class P1 extends Schema.Class<P1>("P")({ x: Schema.Number }) {}
    class P2 extends Schema.Class<P2>("P")({ x: Schema.String }) {}
    class P3 extends Schema.Class<P3>("P")({ x: Schema.Number, y: Schema.Number }) {}
    const prints = [P1, P2, P3, Schema.Number, Schema.Number.pipe(Schema.positive())].map(schemaFingerprint)
    expect(new Set(prints).size).toBe(prints.length)
    // Stable for equal structure.
    expect(schemaFingerprint(Schema.Struct({ a: Schema.Number }))).toBe(schemaFingerprint(Schema.Struct({ a: Schema.Number })))
  })
})

describe("files a step's source reads by a literal name", () => {
  it("finds the literal first argument of read…() and createReadStream(), not a write, an interpolated or a computed name", () => {
    const code = "() => readFileSync(\"a/b.csv\") + fs.readFile('x.txt', cb) + pd.read_csv(`t.tsv`) + createReadStream(\"in.fq\") + writeFileSync(\"out.txt\") + readFileSync(`${dir}/x`) + thread(\"q.txt\") + readFileSync(p) + (0, fs_1.readFileSync)(\"c.json\") + readFileSync(\"a/b.csv\")"
    expect(pathsReadBy(code)).toEqual(["a/b.csv", "x.txt", "t.tsv", "in.fq", "c.json"])
    expect(captureSource(() => readFileSync("data/raw.csv"), "x.ts", "function").readPaths).toEqual(["data/raw.csv"])
  })
})

describe("environment variables a step's source reads", () => {
  it("finds process.env.NAME and process.env['NAME'], each once; a computed name cannot be told", () => {
    expect(envVarsReadBy("() => process.env.A_1 + process.env['B'] + process.env[`C`] + process.env.A_1")).toEqual(["A_1", "B", "C"])
    expect(envVarsReadBy('(k) => process.env[k] ?? process.env [ "D" ] ?? myprocess.env.E')).toEqual(["D"])
    expect(captureSource(() => process.env.LAMINA_X, "x.ts", "function").envVars).toEqual(["LAMINA_X"])
  })

  it("finds optional chaining, names outside ASCII and destructuring; not another object's env", () => {
    expect(envVarsReadBy('(k) => a.process.env.F ?? process.environment ?? process.env?.GRÖSSE + process?.env.λ + process.env?.["G"]')).toEqual(["GRÖSSE", "λ", "G"])
    expect(envVarsReadBy('() => { const { H, I: i, J = "1", "K-L": kl, ...rest } = process.env; const { M } = process?.env }')).toEqual(["H", "I", "J", "K-L", "M"])
  })
})
