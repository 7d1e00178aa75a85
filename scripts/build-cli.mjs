// Bundle the CLI into one tree-shaken ES module: loading effect's ~350 module files one by one
// costs more than the whole command. Native, WASM and heavy optional packages stay external.
// Code splitting keeps what is reached only through `import()` (the format layer behind
// Artifact's table/AnnData methods, with apache-arrow, parquet-wasm, h5wasm and zarrita) in
// chunks under dist/cli-chunks/, loaded only by the commands that need them.
import { rmSync } from "node:fs"
import { build } from "esbuild"

rmSync("dist/cli-chunks", { recursive: true, force: true })
await build({
  entryPoints: { lamina: "dist/src/cli/bin.js" },
  outdir: "dist",
  splitting: true,
  chunkNames: "cli-chunks/[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  external: ["better-sqlite3", "pg", "pg-native", "h5wasm", "parquet-wasm", "zarrita", "@zarrita/*", "apache-arrow", "@aws-sdk/*", "numcodecs"],
  banner: { js: "import { createRequire as __lamina_createRequire } from 'node:module'; const require = __lamina_createRequire(import.meta.url);" }
})
