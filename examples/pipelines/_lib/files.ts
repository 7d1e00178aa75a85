/**
 * Artifact helpers for the examples: save text under a key (inside a step it becomes the
 * step's output), read an artifact's text (inside a step it becomes an input), and register an
 * input file once per content.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Artifact } from "../../../src/registry/Artifact.js"
import { hashFile } from "../../../src/storage/fileio.js"

// Made at the first save, not when the module loads: a folder unique to the process is state
// this helper keeps, not an input of the steps that call it (read at load, it would enter their
// cache keys as a captured value and no rerun would hit).
let scratch: string | undefined
let n = 0

/** The process's scratch folder, made at the first call; removed when the process exits (what was saved from it is in storage). */
export const scratchFolder = (prefix: string): string => {
  if (scratch === undefined) {
    const dir = (scratch = mkdtempSync(path.join(os.tmpdir(), prefix)))
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }))
  }
  return scratch
}

/** Save `text` as the artifact at `key`. */
export const saveText = (key: string, text: string, description?: string) =>
  Effect.suspend(() => {
    const file = path.join(scratchFolder("lamina-example-"), `${n++}-${path.basename(key)}`)
    writeFileSync(file, text)
    return Effect.flatMap(Artifact.fromPath(file, { key, ...(description ? { description } : {}) }), (p) => p.save())
  })

/** The text of an artifact. */
export const readText = (a: Artifact) => Effect.map(a.load(), (bytes) => Buffer.from(bytes).toString("utf8"))

/** Register a local file at `key`, reusing the artifact that already has its content. */
export const registerFile = (file: string, key: string, description?: string) =>
  Effect.gen(function* () {
    const { hash } = yield* Effect.promise(() => hashFile(file))
    const existing = yield* Artifact.filter({ hash }).first()
    if (existing !== undefined && existing.branch !== -1) return existing
    const pending = yield* Artifact.fromPath(file, { key, ...(description ? { description } : {}) })
    return yield* pending.save()
  })

/** Write a file (creating its folder). */
export const writeFile = (file: string, text: string): string => {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
  return file
}
