/**
 * Child processes for multi-process tests. Vitest runs TypeScript in-process, but a child
 * process needs JavaScript: the worker script is bundled with esbuild (already present as
 * vitest's bundler) into `dist/.test-workers/`, next to the repo's node_modules so its
 * dependencies resolve. Fast (well under a second) and never stale, unlike a separate
 * `npm run build`.
 */
import { build } from "esbuild"
import { createHash } from "node:crypto"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

/** Bundle a TypeScript entry point (path relative to the repo) into a runnable .mjs file. */
export const bundleScript = async (entry: string): Promise<string> => {
  const tag = createHash("md5").update(`${entry}:${process.pid}:${Date.now()}`).digest("hex").slice(0, 10)
  const outfile = path.join(repo, "dist", ".test-workers", `${path.basename(entry, ".ts")}-${tag}.mjs`)
  await build({
    entryPoints: [path.join(repo, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Dependencies load from node_modules as in production; only Lamina's own code is bundled.
    packages: "external",
    logLevel: "error"
  })
  return outfile
}
