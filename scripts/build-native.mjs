// Build the optional native addon (native/: Blosc decoding through the system's c-blosc) with
// node-gyp, the one npm ships. Skipped when the build is newer than its sources. A failure is
// not fatal: Lamina then decodes Blosc in JavaScript, so say so in one line and go on.
import { spawnSync } from "node:child_process"
import { existsSync, statSync } from "node:fs"
import * as path from "node:path"

const dir = path.resolve("native")
const addon = path.join(dir, "build", "Release", "lamina_native.node")
const sources = ["binding.gyp", "lamina_native.c"].map((f) => path.join(dir, f))

const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0)
if (mtime(addon) > Math.max(...sources.map(mtime))) process.exit(0)

const prefix = path.dirname(path.dirname(process.execPath))
const nodeGyp = [process.env.npm_config_node_gyp, path.join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js")].find(
  (f) => f !== undefined && existsSync(f)
)
if (nodeGyp === undefined) {
  console.warn("lamina: node-gyp not found; the native Blosc decoder is not built (zarr Blosc chunks decode in JavaScript)")
  process.exit(0)
}
// Node's own headers when installed next to it (distribution packages), so nothing is downloaded.
const headers = !process.env.npm_config_nodedir && existsSync(path.join(prefix, "include", "node", "node_api.h")) ? [`--nodedir=${prefix}`] : []
const result = spawnSync(process.execPath, [nodeGyp, "rebuild", ...headers], { cwd: dir, encoding: "utf8" })
if (result.status !== 0) {
  const why = `${result.stderr ?? ""}${result.stdout ?? ""}`.split("\n").filter((l) => /error/i.test(l)).slice(0, 3).join(" | ")
  console.warn(`lamina: the native Blosc decoder did not build (${why || `node-gyp exited ${result.status}`}); zarr Blosc chunks decode in JavaScript`)
}
