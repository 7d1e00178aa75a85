#!/usr/bin/env node
// `npm run build`: each step runs only when its inputs changed since it last succeeded (a stamp
// file per step in dist/.build/, newer than every input), so an unchanged checkout builds in
// milliseconds and `npm run demo` starts at once. `--force` rebuilds everything.
//   native  the optional Blosc addon (scripts/build-native.mjs; skips itself when up to date)
//   tsc     src/, examples/, bench/ → dist/
//   web     type-check the UI front-end (src/ui/web)
//   cli     bundle dist/src/cli → dist/lamina.mjs
//   ui      bundle the front-end → dist/ui
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs"
import * as path from "node:path"

const force = process.argv.includes("--force")
const stampDir = path.join("dist", ".build")

/** Newest mtime of the files under `entries` (folders walked; node_modules skipped). */
const newest = (entries) => {
  let max = 0
  const visit = (p) => {
    if (!existsSync(p)) return
    const st = statSync(p)
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== "node_modules" && name !== "dist") visit(path.join(p, name))
    } else if (st.mtimeMs > max) max = st.mtimeMs
  }
  for (const e of entries) visit(e)
  return max
}

/**
 * The `.js` that tsc writes for every TypeScript source under `roots` (minus `exclude`): a
 * deleted output is rebuilt even when no source changed.
 */
const compiledOutputs = (roots, exclude) => {
  const out = []
  const visit = (p) => {
    if (!existsSync(p) || exclude.includes(p)) return
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p)) if (name !== "node_modules") visit(path.join(p, name))
    } else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) out.push(path.join("dist", p.slice(0, -".ts".length) + ".js"))
  }
  for (const r of roots) visit(r)
  return out
}

const run = (name, cmd, args, inputs, outputs) => {
  const stamp = path.join(stampDir, name)
  const fresh =
    !force && existsSync(stamp) && outputs.every((o) => existsSync(o)) && statSync(stamp).mtimeMs >= Math.max(newest(inputs), newest(["package-lock.json", "scripts/build.mjs"]))
  if (fresh) return
  const r = spawnSync(cmd, args, { stdio: "inherit" })
  if (r.status !== 0) process.exit(r.status ?? 1)
  mkdirSync(stampDir, { recursive: true })
  writeFileSync(stamp, new Date().toISOString() + "\n")
}

const tsc = path.join("node_modules", "typescript", "bin", "tsc")
if (!existsSync(tsc)) {
  process.stderr.write("build: TypeScript is not installed: run 'npm install' (npm run build does it through scripts/setup.mjs)\n")
  process.exit(1)
}
run("native", process.execPath, ["scripts/build-native.mjs"], ["native/binding.gyp", "native/lamina_native.c", "scripts/build-native.mjs"], [])
run("tsc", process.execPath, [tsc, "-p", "tsconfig.json"], ["src", "examples", "bench", "tsconfig.json"], compiledOutputs(["src", "examples", "bench"], [path.join("src", "ui", "web")]))
run("web", process.execPath, [tsc, "-p", "src/ui/web/tsconfig.json"], ["src/ui/web", "src/ui/api", "src/ui/web/tsconfig.json"], [])
run("cli", process.execPath, ["scripts/build-cli.mjs"], ["dist/src", "scripts/build-cli.mjs"], ["dist/lamina.mjs"])
run("ui", process.execPath, ["scripts/build-ui.mjs"], ["src/ui/web", "scripts/build-ui.mjs"], ["dist/ui/index.html"])
