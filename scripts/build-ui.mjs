// Build the `lamina ui` front-end into dist/ui: one ES module bundle (Preact, dagre, marked and
// the app, minified) plus index.html and the stylesheet, all served by the UI server from the
// package. Nothing is loaded from the network at run time.
import { copyFileSync, mkdirSync, rmSync } from "node:fs"
import { build } from "esbuild"

rmSync("dist/ui", { recursive: true, force: true })
mkdirSync("dist/ui/assets", { recursive: true })
await build({
  entryPoints: { app: "src/ui/web/main.tsx" },
  outdir: "dist/ui/assets",
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  logLevel: "warning"
})
copyFileSync("src/ui/web/index.html", "dist/ui/index.html")
copyFileSync("src/ui/web/app.css", "dist/ui/assets/app.css")
