/**
 * The project a file belongs to: the nearest folder above it with a package.json.
 *
 * @module
 */
import { existsUntraced } from "../storage/ownWork.js"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const roots = new Map<string, string>()

/** The project root of a file: the nearest folder above it with a package.json (else cwd). */
export const projectRootOf = (file: string): string => {
  const start = path.dirname(path.resolve(file))
  const known = roots.get(start)
  if (known !== undefined) return known
  let dir = start
  for (;;) {
    if (existsUntraced(path.join(dir, "package.json"))) break
    const up = path.dirname(dir)
    if (up === dir) {
      dir = process.cwd()
      break
    }
    dir = up
  }
  roots.set(start, dir)
  return dir
}

/** Lamina's own project root (its checkout, its installed package, or the folder of a bundle holding it). */
export const laminaRoot = projectRootOf(fileURLToPath(import.meta.url))
