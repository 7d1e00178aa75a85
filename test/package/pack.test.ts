/**
 * The package as a user gets it: `npm pack`, then a separate consumer project in a temporary
 * folder — strict tsconfig, no skipLibCheck — that installs the tarball with Effect at the
 * supported peer range (from the local npm cache; nothing else of this checkout is visible to
 * it), compiles a pipeline and runs it twice: the second run is all cache hits.
 *
 * better-sqlite3's install script would download a prebuilt binary (or compile SQLite for
 * minutes without network); the consumer installs with scripts off and gets this checkout's
 * binary of the same better-sqlite3 version for the same Node ABI, which is what the download
 * provides. Lamina's own install script (the optional native Blosc addon) then runs explicitly.
 */
import { spawn } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import type { CliResult } from "../support/cli.js"

const repo = path.resolve(".")
const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as {
  readonly version: string
  readonly peerDependencies: Readonly<Record<string, string>>
}

const sh = (cmd: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.once("error", reject)
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })

const CONSUMER = `import { rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { Artifact, flow, Lamina, runMain, step, type ProgressEvent } from "lamina"

const storage = process.argv[2]!
const words = step("words", (text: string) =>
  Effect.gen(function* () {
    const file = join(tmpdir(), \`words-\${process.pid}-\${text}.txt\`)
    writeFileSync(file, text.split(" ").join("\\n"))
    const saved = yield* (yield* Artifact.fromPath(file, { key: \`words/\${text.replaceAll(" ", "_")}.txt\` })).save()
    rmSync(file)
    return saved
  })
)
const pipeline = flow("consumer", (texts: ReadonlyArray<string>) => Effect.forEach(texts, (t) => words(t), { concurrency: 2 }))

const events: Array<ProgressEvent> = []
const exit = await runMain(pipeline(["a b", "c d e"]), { layer: Lamina.layer({ storage }), progress: (e) => void events.push(e) })
if (Exit.isFailure(exit)) process.exit(1)
const artifacts: ReadonlyArray<Artifact> = exit.value
console.log(JSON.stringify({ keys: artifacts.map((a) => a.key), steps: events.filter((e) => e.kind === "step" && e.status !== "running").map((e) => e.status) }))
`

// npm pack, an npm install from the cache and a tsc run: generous on a loaded machine.
describe("npm pack → a strict consumer project", { timeout: 900_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-pack-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("installs with Effect as a peer, compiles without skipLibCheck, runs a pipeline twice (cached the second time)", async () => {
    if (!existsSync(path.join(repo, "dist/src/index.d.ts"))) throw new Error("dist/ is missing: run 'npm run build' first ('npm test' does it).")
    const packed = await sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], repo)
    expect(packed.code, packed.stderr).toBe(0)
    const [info] = JSON.parse(packed.stdout) as ReadonlyArray<{ filename: string; files: ReadonlyArray<{ path: string }> }>
    const files = info!.files.map((f) => f.path)
    expect(files).toContain("dist/src/index.d.ts")
    expect(files).toContain("dist/lamina.mjs")
    expect(files).toContain("native/lamina_native.c")
    expect(files.filter((f) => /^(test|bench|examples|dist\/test|dist\/bench|dist\/examples)\//.test(f) || f.endsWith(".map") || f.includes(".lamina/"))).toEqual([])

    const app = path.join(dir, "app")
    mkdirSync(path.join(app, "src"), { recursive: true })
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", allowScripts: { lamina: true, "better-sqlite3": true } }))
    writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          outDir: "dist",
          types: ["node"]
        },
        include: ["src"]
      })
    )
    writeFileSync(path.join(app, "src", "main.ts"), CONSUMER)
    const effectRange = pkg.peerDependencies.effect!
    expect(effectRange).toMatch(/^\^3\./)
    const install = await sh(
      "npm",
      ["install", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", path.join(dir, info!.filename), `effect@${effectRange}`, "@types/node@^20", "typescript@~5.9"],
      app
    )
    expect(install.code, install.stderr).toBe(0)
    const installed = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8")) as { dependencies: Record<string, string> }
    expect(Object.keys(installed.dependencies).sort()).toEqual(["@types/node", "effect", "lamina", "typescript"])
    // The peers came in at the supported ranges (npm installs peers).
    for (const peer of Object.keys(pkg.peerDependencies)) expect(existsSync(path.join(app, "node_modules", peer, "package.json")), peer).toBe(true)
    // What better-sqlite3's install script would download; then Lamina's own install script.
    const binary = "node_modules/better-sqlite3/build/Release/better_sqlite3.node"
    mkdirSync(path.dirname(path.join(app, binary)), { recursive: true })
    copyFileSync(path.join(repo, binary), path.join(app, binary))
    const native = await sh("npm", ["rebuild", "lamina", "--foreground-scripts"], app)
    expect(native.code, native.stderr).toBe(0)

    const tsc = await sh(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", "."], app)
    expect(tsc.stdout + tsc.stderr, "the consumer does not compile").toBe("")

    const storage = path.join(dir, "storage")
    const home = path.join(dir, "home")
    const first = await sh(process.execPath, ["dist/main.js", storage], app, { LAMINA_HOME: home })
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual({ keys: ["words/a_b.txt", "words/c_d_e.txt"], steps: ["done", "done"] })
    const second = await sh(process.execPath, ["dist/main.js", storage], app, { LAMINA_HOME: home })
    expect(second.code, second.stderr).toBe(0)
    expect(JSON.parse(second.stdout)).toEqual({ keys: ["words/a_b.txt", "words/c_d_e.txt"], steps: ["cached", "cached"] })

    // The installed CLI works and says which Blosc decoder it uses.
    const version = await sh(process.execPath, ["node_modules/lamina/dist/lamina.mjs", "--version", "--verbose"], app, { LAMINA_HOME: home })
    expect(version.code, version.stderr).toBe(0)
    expect(version.stdout).toContain(`lamina ${pkg.version}`)
    expect(version.stdout).toMatch(/^blosc decoder: (native|javascript) \(/m)
  })
})
