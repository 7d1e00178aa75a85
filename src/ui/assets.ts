/**
 * The built front-end (`dist/ui`, made by `npm run build`): read into memory when the server
 * starts, so only those files can ever be served, whatever a request's path says.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { StorageError } from "../index.js"

/** A served file. */
export interface Asset {
  readonly body: Uint8Array
  readonly contentType: string
}

/** The front-end: `index.html` and the files under `assets/` by name. */
export interface Assets {
  readonly index: Asset
  readonly files: ReadonlyMap<string, Asset>
}

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8"
}

/** The package root: the nearest folder above this module whose package.json names `lamina`. */
const packageRoot = (): string | undefined => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = path.join(dir, "package.json")
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "lamina") return dir
      } catch {
        // not ours: keep looking
      }
    }
    const up = path.dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** The folder holding the built front-end. */
export const uiDir = (): string | undefined => {
  const root = packageRoot()
  return root === undefined ? undefined : path.join(root, "dist", "ui")
}

/** Load the built front-end; a missing build says how to make it. */
export const loadAssets = (dir: string | undefined = uiDir()): Effect.Effect<Assets, StorageError> =>
  Effect.try({
    try: () => {
      if (dir === undefined || !existsSync(path.join(dir, "index.html"))) throw new Error("missing")
      const read = (file: string): Asset => ({ body: new Uint8Array(readFileSync(file)), contentType: TYPES[path.extname(file)] ?? "application/octet-stream" })
      const assetsDir = path.join(dir, "assets")
      const names = existsSync(assetsDir) ? readdirSync(assetsDir, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name) : []
      return { index: read(path.join(dir, "index.html")), files: new Map(names.map((n) => [n, read(path.join(assetsDir, n))])) }
    },
    catch: (cause) =>
      new StorageError({ message: `The UI's front-end is not built${dir ? ` (no ${path.join(dir, "index.html")})` : ""}: run 'npm run build' first.`, cause })
  })
