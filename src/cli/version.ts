/**
 * `lamina --version` (and with `--verbose`, what this installation runs on: Node, Effect, the
 * Blosc decoder in use and the current instance).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { bloscDecoder } from "../formats/zarr/native-blosc.js"
import { laminaHome, loadInstanceSettings } from "../instance/settings.js"

interface PackageJson {
  readonly name?: string
  readonly version?: string
}

/** Lamina's package.json: the nearest one named "lamina" above this module (src, dist or the CLI bundle). */
const ownPackage = (): { readonly file: string; readonly json: PackageJson } | undefined => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, "package.json")
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as PackageJson
      if (json.name === "lamina") return { file, json }
    }
    dir = path.dirname(dir)
  }
  return undefined
}

/** A package's version as resolved from Lamina's own folder (what Lamina loads), if installed. */
const versionOf = (pkg: string, from: string): string => {
  try {
    return (createRequire(from)(`${pkg}/package.json`) as PackageJson).version ?? "?"
  } catch {
    return "not installed"
  }
}

/** The lines `lamina --version` prints. */
export const versionLines = (verbose: boolean): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const own = ownPackage()
    const lines = [`lamina ${own?.json.version ?? "(unknown version)"}`]
    if (!verbose) return lines
    const from = own?.file ?? fileURLToPath(import.meta.url)
    const blosc = bloscDecoder()
    const instance = yield* Effect.either(loadInstanceSettings)
    lines.push(
      `node ${process.versions.node} (${process.platform}-${process.arch})`,
      `effect ${versionOf("effect", from)}`,
      `blosc decoder: ${blosc.decoder} (${blosc.detail})`,
      `LAMINA_HOME: ${laminaHome()}`,
      `instance: ${instance._tag === "Right" ? `${instance.right.name} (storage ${instance.right.storage}, registry ${instance.right.db.replace(/\/\/[^@/]*@/, "//…@")})` : "none configured"}`
    )
    return lines
  })
