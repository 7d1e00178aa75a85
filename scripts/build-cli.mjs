// Bundle the CLI into one tree-shaken ES module: loading effect's ~350 module files one by one
// costs more than the whole command. Native, WASM and heavy optional packages stay external.
import { build } from "esbuild"

await build({
  entryPoints: ["dist/src/cli/bin.js"],
  outfile: "dist/lamina.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  external: ["better-sqlite3", "pg", "pg-native", "h5wasm", "parquet-wasm", "zarrita", "@zarrita/*", "apache-arrow", "@aws-sdk/*", "numcodecs"],
  banner: { js: "import { createRequire as __lamina_createRequire } from 'node:module'; const require = __lamina_createRequire(import.meta.url);" }
})
