/**
 * Run benchmarks: `npm run bench` (all) or `npm run bench -- foundation query flow …`.
 * Each benchmark is a module in bench/ (or bench/NAME/index) that prints its own table.
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const all = ["foundation", "query/index", "flow/index", "team/index", "distributed/index", "formats/index", "ui/index", "adapters/index", "integrity/index", "annotate/index", "curate/index", "curate/anndata"]
const wanted = process.argv.slice(2)
const selected = wanted.length === 0 ? all : all.filter((b) => wanted.some((w) => b.startsWith(w)))
for (const name of selected) {
  const file = path.join(here, `${name}.js`)
  if (!existsSync(file)) continue
  console.log(`\n## ${name}`)
  await import(pathToFileURL(file).href)
}
