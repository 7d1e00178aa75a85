/**
 * What the specifiers a module imports name, as Node (or a TypeScript runner) resolves them, for
 * the code fingerprint (codeFingerprint.ts): a relative or absolute path, a subpath import
 * (`#lib/helper.js`, through package.json's `imports`), a tsconfig.json path alias (`@/helper`,
 * which tsx and Bun resolve), or a package — installed (keyed by its version) or linked to a
 * folder of the project (a workspace package, `npm link`, a `file:` dependency: the project's
 * own code, followed from its entry points). Where a specifier could name more than one file,
 * all of them count: more than the import loads costs a miss too many; fewer, a stale hit.
 *
 * @module
 */
import { realpathSync } from "node:fs"
import { isBuiltin } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { direntsUntraced, existsUntraced, isFileUntraced as isFile, readFileUntraced } from "../storage/ownWork.js"
import { laminaRoot, projectRootOf } from "./projectRoot.js"

/** A code file's name (a module's, JavaScript or TypeScript). */
export const CODE = /\.(?:[cm]?[jt]sx?)$/
const TS_FOR_JS: Readonly<Record<string, ReadonlyArray<string>>> = { ".js": [".ts", ".tsx"], ".jsx": [".tsx"], ".mjs": [".mts"], ".cjs": [".cts"] }
const EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".json"]

const manifests = new Map<string, Readonly<Record<string, unknown>>>()

/** The package.json in `dir`, read once per process (an unreadable one: empty). */
const manifestOf = (dir: string): Readonly<Record<string, unknown>> => {
  let manifest = manifests.get(dir)
  if (manifest === undefined) {
    try {
      const parsed: unknown = JSON.parse(readFileUntraced(path.join(dir, "package.json"), "utf8"))
      manifest = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {}
    } catch {
      manifest = {}
    }
    manifests.set(dir, manifest)
  }
  return manifest
}

/** The strings anywhere in `v`: a manifest's targets (a string, an array, conditions). */
const stringsIn = (v: unknown): ReadonlyArray<string> => (typeof v === "string" ? [v] : typeof v === "object" && v !== null ? Object.values(v).flatMap(stringsIn) : [])

/**
 * The entry of `table` matching `spec`: its own, else the pattern with the longest part before
 * its one `*` (as Node picks among `imports` and TypeScript among `paths`), with what `*` stands for.
 */
const matchingEntry = <A>(table: Iterable<readonly [string, A]>, spec: string): { readonly value: A; readonly star?: string } | undefined => {
  let best: { readonly value: A; readonly star: string; readonly at: number } | undefined
  for (const [key, value] of table) {
    if (key === spec) return { value }
    const at = key.indexOf("*")
    if (at < 0 || (best !== undefined && at <= best.at) || spec.length < key.length - 1 || !spec.startsWith(key.slice(0, at)) || !spec.endsWith(key.slice(at + 1))) continue
    best = { value, star: spec.slice(at, spec.length - (key.length - at - 1)), at }
  }
  return best
}

/**
 * What a subpath import (`#lib/helper.js`) of `file` names, per the `imports` of the package.json
 * governing it (Node's package imports): every target of the matching entry, of every condition,
 * its `*` filled in (`"#lib/*": "./lib/*"` → `./lib/helper.js`); a target is a path in the
 * package (`./…`) or a package's name.
 */
const subpathImportTargets = (file: string, spec: string): ReadonlyArray<string> => {
  const imports = manifestOf(projectRootOf(file)).imports
  const m = typeof imports === "object" && imports !== null ? matchingEntry(Object.entries(imports), spec) : undefined
  const star = m?.star
  return m === undefined ? [] : stringsIn(m.value).map((t) => (star === undefined ? t : t.replaceAll("*", star)))
}

/** tsconfig.json's `paths` of a project: patterns and their targets, as absolute path patterns. */
type Aliases = ReadonlyArray<readonly [pattern: string, targets: ReadonlyArray<string>]>
const aliases = new Map<string, Aliases>()

/** JSON with comments and trailing commas (tsconfig.json) as JSON. */
const withoutComments = (text: string): string =>
  text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_m, str: string | undefined) => str ?? "").replace(/,(\s*[}\]])/g, "$1")

/** The `paths` of the tsconfig.json at `file`, or of the one it extends by a relative path; resolved against `baseUrl` or its folder. */
const tsconfigPaths = (file: string, depth = 0): Aliases => {
  let config: { readonly extends?: unknown; readonly compilerOptions?: { readonly baseUrl?: unknown; readonly paths?: unknown } }
  try {
    config = JSON.parse(withoutComments(readFileUntraced(file, "utf8"))) as typeof config
  } catch {
    return []
  }
  const paths = config.compilerOptions?.paths
  if (typeof paths === "object" && paths !== null) {
    const base = path.resolve(path.dirname(file), typeof config.compilerOptions?.baseUrl === "string" ? config.compilerOptions.baseUrl : ".")
    return Object.entries(paths).map(([pattern, targets]) => [pattern, (Array.isArray(targets) ? targets : []).filter((t): t is string => typeof t === "string").map((t) => path.resolve(base, t))] as const)
  }
  const parent = config.extends
  return typeof parent === "string" && parent.startsWith(".") && depth < 8 ? tsconfigPaths(path.resolve(path.dirname(file), parent.endsWith(".json") ? parent : `${parent}.json`), depth + 1) : []
}

/**
 * The files a path alias (`@/utils/helper` with tsconfig.json's `"paths": { "@/*": ["src/*"] }`,
 * which tsx and Bun resolve when running TypeScript) of `file` names, by absolute path; undefined
 * when the specifier matches no alias (a package).
 */
const aliasTargets = (file: string, spec: string): ReadonlyArray<string> | undefined => {
  const root = projectRootOf(file)
  let known = aliases.get(root)
  if (known === undefined) aliases.set(root, (known = tsconfigPaths(path.join(root, "tsconfig.json"))))
  const m = matchingEntry(known, spec)
  const star = m?.star
  return m === undefined ? undefined : star === undefined ? m.value : m.value.map((t) => t.replace("*", star))
}

/** The file a relative or absolute specifier loads, as Node (or a TypeScript runner) finds it. */
export const resolveLocal = (from: string, specifier: string): string | undefined => {
  const bare = specifier.replace(/[?#].*$/, "")
  const target = bare.startsWith("file:") ? fileURLToPath(bare) : path.resolve(path.dirname(from), bare)
  if (isFile(target)) return target
  const ext = path.extname(target)
  // TypeScript sources import their siblings by the compiled name (`./helper.js` → helper.ts).
  for (const ts of TS_FOR_JS[ext] ?? []) if (isFile(target.slice(0, -ext.length) + ts)) return target.slice(0, -ext.length) + ts
  for (const e of EXTENSIONS) if (isFile(target + e)) return target + e
  for (const e of EXTENSIONS) if (isFile(path.join(target, "index" + e))) return path.join(target, "index" + e)
  return undefined
}

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`), or undefined for builtins. */
const packageName = (specifier: string): string | undefined => {
  if (specifier.startsWith("node:") || isBuiltin(specifier)) return undefined
  const parts = specifier.split("/")
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]
}

/** What a specifier names: a file (`file`; undefined when nothing is there, with the path it would have), or a package by name. */
export type Target = { readonly file: string | undefined; readonly wanted: string } | { readonly package: string }

/** A path a specifier resolves to, from `from`'s folder. */
const fileTarget = (from: string, specifier: string): Target => ({ file: resolveLocal(from, specifier), wanted: path.resolve(path.dirname(from), specifier) })

/** A bare specifier as the package it names (none for a builtin). */
const packageTarget = (spec: string): ReadonlyArray<Target> => {
  const name = packageName(spec)
  return name === undefined ? [] : [{ package: name }]
}

/**
 * What `spec`, imported by `file`, names: a relative or absolute path's file; a subpath
 * import's targets (paths in the package, or packages); an alias's files; else a package
 * (none for a builtin or a URL).
 */
export const targetsOf = (file: string, spec: string): ReadonlyArray<Target> => {
  if (isLocal(spec)) return [fileTarget(file, spec)]
  if (spec.startsWith("#")) {
    const manifest = path.join(projectRootOf(file), "package.json")
    return subpathImportTargets(file, spec).flatMap((t) => (t.startsWith("./") ? [fileTarget(manifest, t)] : packageTarget(t)))
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec)) return []
  return aliasTargets(file, spec)?.map((t) => fileTarget(file, t)) ?? packageTarget(spec)
}

/** A relative, absolute or `file:` specifier: a file of the project (or one inside node_modules, by path). */
export const isLocal = (specifier: string): boolean =>
  specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === ".." || specifier.startsWith("/") || specifier.startsWith("file:")

/** A file of an installed package. */
export const inNodeModules = (file: string): boolean => file.split(path.sep).includes("node_modules")

const linkedDirs = new Map<string, string | undefined>()

/**
 * The real folder of the package `name` as Node finds it from `fromDir` (in `node_modules` there
 * or in a folder above), when that folder is not itself inside a `node_modules`: a workspace
 * package, an `npm link` or a `file:` dependency — the project's own code under a package's
 * name, which the lockfile keys by its link alone (`link:packages/lib`), so an edit in it would
 * be a stale hit. Undefined for an installed package (pnpm's store included) or none found.
 */
export const linkedPackageDir = (fromDir: string, name: string): string | undefined => {
  const id = `${fromDir}\0${name}`
  if (linkedDirs.has(id)) return linkedDirs.get(id)
  let found: string | undefined
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name)
    if (existsUntraced(candidate)) {
      const real = realpathOf(candidate)
      // Lamina's own package is keyed by its version like any package, even when linked (`npm link`).
      found = real === undefined || inNodeModules(real) || real === laminaRoot ? undefined : real
      break
    }
    if (path.dirname(dir) === dir) break
  }
  linkedDirs.set(id, found)
  return found
}

/** `file`'s real path; undefined when it cannot be resolved (a permission): then it is keyed as a package, by version. */
const realpathOf = (file: string): string | undefined => {
  try {
    return realpathSync.native(file)
  } catch {
    return undefined
  }
}

/**
 * The files a linked package's manifest names as entry points (every target of `exports`, of
 * every subpath and condition, `main`, `module`, else `index.js`), resolved as Node would; a
 * target pattern (`./*`) stands for every code file under its folder. More than the import
 * loads costs a miss too many; fewer, a stale hit.
 */
export const packageEntryFiles = (dir: string): ReadonlyArray<string> => {
  const manifest = manifestOf(dir)
  const targets = new Set([...stringsIn(manifest.exports), ...stringsIn(manifest.main), ...stringsIn(manifest.module)])
  if (targets.size === 0) targets.add("./index.js")
  const out: Array<string> = []
  for (const t of targets) {
    if (t.includes("*")) out.push(...codeFilesUnder(path.resolve(dir, t.slice(0, t.indexOf("*")).replace(/[^/]*$/, ""))))
    else {
      const file = resolveLocal(path.join(dir, "package.json"), t.startsWith(".") ? t : `./${t}`)
      if (file !== undefined) out.push(file)
    }
  }
  return out
}

/** The code files under `dir` (not in `node_modules` or hidden folders). */
const codeFilesUnder = (dir: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let entries: ReadonlyArray<{ readonly name: string; isDirectory(): boolean; isFile(): boolean }>
  try {
    entries = direntsUntraced(dir)
  } catch {
    return out
  }
  for (const e of entries) {
    if (e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith(".")) out.push(...codeFilesUnder(path.join(dir, e.name)))
    else if (e.isFile() && (CODE.test(e.name) || e.name.endsWith(".json"))) out.push(path.join(dir, e.name))
  }
  return out
}
