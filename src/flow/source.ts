/**
 * Where a step or flow is defined: the defining module (from the call stack at definition
 * time), its path relative to the project root, and the function's source and hash — computed
 * once per function, never per call.
 *
 * @module
 */
import { existsUntraced } from "../storage/ownWork.js"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { hashString } from "../storage/hash.js"
import { codeFingerprint, mergeFingerprints, type CodeFingerprint } from "./codeFingerprint.js"
import { projectRootOf } from "./projectRoot.js"
import { IDENTIFIER } from "./identifier.js"
import { pathsReadBy } from "./readPaths.js"

export { projectRootOf }

// Lamina's own frames are skipped: this folder, and the Promise API's (src/promise), which
// defines steps on behalf of the user's module.
const ownDir = path.dirname(fileURLToPath(import.meta.url))
const promiseDir = path.join(path.dirname(ownDir), "promise")

const FRAME = /\(?((?:file:\/\/)?(?:\/|[A-Za-z]:[\\/])[^()]*?):\d+:\d+\)?\s*$/

/**
 * The files of the stack frames outside Lamina's flow module (the user's modules), nearest
 * first, each once: the first defines the step (its transform key); the others called the code
 * that defined it — a project's own `defineStep(name, f)` helper is the first, the module
 * passing `f` comes after it, and its code is what the step runs.
 */
export const callerFiles = (): ReadonlyArray<string> => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 40
  const stack = new Error().stack ?? ""
  Error.stackTraceLimit = limit
  const files: Array<string> = []
  for (const line of stack.split("\n").slice(1)) {
    const m = FRAME.exec(line.trim())
    const file = m === null ? undefined : m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!
    // Node's own frames (`node:internal/…`) are never the user's module.
    const user =
      file !== undefined &&
      !line.includes("(node:") &&
      !line.trim().startsWith("at node:") &&
      !file.startsWith(ownDir + path.sep) &&
      !file.startsWith(promiseDir + path.sep) &&
      !file.includes(`${path.sep}node_modules${path.sep}`) &&
      !file.startsWith("node:")
    if (files.length === 0) {
      if (user) files.push(file)
      continue
    }
    // The callers are the user frames right below the first: a loader, a package, Lamina or an
    // awaited continuation (a module's importer) ends them.
    if (!user || line.trim().startsWith("at async ")) break
    if (!files.includes(file)) files.push(file)
  }
  return files
}

/**
 * A module's path relative to its project root, `/`-separated. Compiled output under `dist/`
 * maps back to its TypeScript source when that exists, so a step keeps its key whether it
 * runs from `tsc` output or directly from TypeScript.
 */
export const modulePath = (file: string): string => {
  const root = projectRootOf(file)
  let rel = path.relative(root, path.resolve(file)).split(path.sep).join("/")
  if (rel.startsWith("dist/")) {
    const src = rel.slice("dist/".length).replace(/\.(c|m)?js$/, ".$1ts")
    if (existsUntraced(path.join(root, src))) rel = src
  }
  return rel
}

/**
 * What a step's cache key covers of its code: `"module"` (default) its own source plus every
 * project file its module reaches through imports and the packages those import;
 * `"function"` only the function's own source text.
 */
export type FingerprintMode = "module" | "function"

/** Where a function is defined and what its code is. */
export interface SourceInfo {
  /** Defining module relative to the project root, or "<unknown>". */
  readonly module: string
  /** The defining module's file, then the files of the modules that called it (`callerFiles`). */
  readonly files: ReadonlyArray<string>
  /** The function's source text. */
  readonly code: string
  /** LaminDB-style hash of the source text: the transform's version. */
  readonly hash: string
  /**
   * What the function can reach (module mode with a known defining file): computed on first
   * use, once per module per process. Undefined in function mode.
   */
  readonly reach: (() => CodeFingerprint) | undefined
  /** The environment variables the source reads by name (`process.env.NAME`): keyed like `env: ["var:NAME"]`. */
  readonly envVars: ReadonlyArray<string>
  /** The files the source reads by a literal name (`readFileSync("data/raw.csv")`, flow/readPaths.ts). */
  readonly readPaths: ReadonlyArray<string>
}

// `process.env`, `process?.env`: the object the variables are read off.
const ENV = String.raw`(?<![\p{ID_Continue}$.])process\s*\??\.\s*env(?![\p{ID_Continue}$])`
// `process.env.NAME`, `process.env?.NAME`, `process.env["NAME"]` (a computed name cannot be told).
const ENV_READ = new RegExp(String.raw`${ENV}(?:\s*\??\.\s*(${IDENTIFIER})|\s*(?:\?\.)?\s*\[\s*(["'\x60])([^"'\x60\\]+)\2\s*\])`, "gu")
// `const { A, B: b, C = 1 } = process.env` (a rest element takes what cannot be told).
const ENV_DESTRUCTURED = new RegExp(String.raw`\{([^{}]*)\}\s*=\s*${ENV}`, "gu")
const DESTRUCTURED_NAME = new RegExp(String.raw`^\s*(${IDENTIFIER}|"[^"]*"|'[^']*')\s*(?:[:=]|$)`, "u")

// `process.argv`, `process?.argv`.
const ARGV = /(?<![\p{ID_Continue}$.])process\s*\??\.\s*argv(?![\p{ID_Continue}$])/u

// `globalThis.NAME`, `global.NAME`, `globalThis?.NAME`, `globalThis["NAME"]`.
const GLOBAL_READ = new RegExp(String.raw`(?<![\p{ID_Continue}$.])(?:globalThis|global)(?:\s*\??\.\s*(${IDENTIFIER})|\s*(?:\?\.)?\s*\[\s*(["'\x60])([^"'\x60\\]+)\2\s*\])`, "gu")

/** The properties of the global object `code` reads by name (`globalThis.SETTINGS`), each once. */
export const globalsReadBy = (code: string): ReadonlyArray<string> =>
  code.includes("global") ? [...new Set([...code.matchAll(GLOBAL_READ)].map((m) => m[1] ?? m[3] ?? ""))].filter((name) => name !== "") : []

/** Whether `code` reads the command line (`process.argv[2]`): its arguments are then an input. */
export const readsArgv = (code: string): boolean => code.includes("argv") && ARGV.test(code)

/** An environment variable's value as a cache key holds it (`var:NAME` items). */
export const envVarValue = (name: string): string => process.env[name] ?? "unset"

/** The environment variables `code` reads by name, each once, in order. */
export const envVarsReadBy = (code: string): ReadonlyArray<string> => {
  // Most functions name no environment: no pattern run for them.
  if (!code.includes("env")) return []
  const names = new Set<string>()
  for (const m of code.matchAll(ENV_READ)) names.add(m[1] ?? m[3]!)
  for (const m of code.matchAll(ENV_DESTRUCTURED))
    for (const part of m[1]!.split(",")) {
      const name = DESTRUCTURED_NAME.exec(part)?.[1]
      if (name !== undefined) names.add(name.replace(/^["']|["']$/g, ""))
    }
  return [...names]
}

/**
 * Capture a function's module (call at definition time) and hash its source once. `files`: the
 * defining module, then the modules that called it (see `callerFiles`): what the step can reach
 * is what any of them reaches.
 */
export const captureSource = (fn: { toString(): string }, files: string | ReadonlyArray<string> | undefined = callerFiles(), mode: FingerprintMode = "module"): SourceInfo => {
  const entries = files === undefined ? [] : typeof files === "string" ? [files] : files
  const file = entries[0]
  const code = fn.toString()
  // The module is loaded by now (it is defining the step): a file edited later is not what runs.
  // +1: the clock's millisecond floor must not put a file written just before after this.
  const loadedAt = Date.now() + 1
  let reached: CodeFingerprint | undefined
  return {
    module: file === undefined ? "<unknown>" : modulePath(file),
    files: entries,
    code,
    hash: hashString(code),
    envVars: envVarsReadBy(code),
    readPaths: pathsReadBy(code),
    reach:
      mode === "module" && file !== undefined
        ? () => (reached ??= entries.length === 1 ? codeFingerprint(file, loadedAt) : mergeFingerprints(entries.map((e) => codeFingerprint(e, loadedAt))))
        : undefined
  }
}
