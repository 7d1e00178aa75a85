/**
 * Run benchmarks: `npm run bench` (all) or `npm run bench -- foundation query flow …`.
 * Each benchmark is a module in bench/ (or bench/NAME/index) that prints its own table.
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { main as team } from "./team/run.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const all = [
  "foundation",
  "startup",
  "query/index",
  "flow/overhead",
  "flow/tracker",
  "flow/fingerprint",
  "flow/queries",
  "flow/promise",
  "flow/postgres",
  "team/run",
  "distributed/index",
  "formats/run",
  "ui/index",
  "adapters/index",
  "integrity/index",
  "annotate/index",
  "curate/index",
  "curate/anndata"
]
const wanted = process.argv.slice(2)
const selected = wanted.length === 0 ? all : all.filter((b) => wanted.some((w) => b.startsWith(w)))
if (selected.length === 0) throw new Error(`no benchmark matches ${wanted.join(", ")}: choose from ${all.join(", ")}`)
for (const name of selected) {
  const file = path.join(here, `${name}.js`)
  // A missing module is a broken list, not a benchmark to skip quietly.
  if (!existsSync(file)) throw new Error(`${file} does not exist: build first (npm run build), or fix the list in bench/run.ts`)
  console.log(`\n## ${name}`)
  // team/run.ts runs by itself only as a script; imported, it exports its entry point.
  if (name === "team/run") await team([])
  else await import(pathToFileURL(file).href)
}
