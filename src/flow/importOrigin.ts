/**
 * Where a module's import binding comes from: the project file that declares it, followed
 * through re-exports (`export { x } from`, `export * from`), or a package. Read from the modules'
 * text with the lexer the code fingerprint uses, so it knows what the fingerprint knows: a
 * computed `import(name)` or a CommonJS `require` binds nothing here.
 *
 * @module
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parse, type Export } from "es-module-lexer"
import { inNodeModules, isLocal, resolveLocal } from "./specifiers.js"
import { IDENTIFIER } from "./identifier.js"
import { moduleText } from "./moduleText.js"

/**
 * What an imported binding is: not an import of the module; a package's; or the project's, with
 * the file declaring it (undefined when re-exports could not be followed to a declaration).
 */
export type ImportOrigin = { readonly kind: "none" } | { readonly kind: "package" } | { readonly kind: "project"; readonly file: string | undefined }

const NONE: ImportOrigin = { kind: "none" }
const PACKAGE: ImportOrigin = { kind: "package" }

// Re-export chains deeper than this are not followed (the binding's file is then unknown).
const MAX_HOPS = 16

const DEFAULT_BINDING = new RegExp(String.raw`^\s*(${IDENTIFIER})\s*(?:,|$)`, "u")
const NAMESPACE_BINDING = new RegExp(String.raw`\*\s*as\s+(${IDENTIFIER})`, "u")
const NAMED_BINDING = new RegExp(String.raw`^\s*(?:type\s+)?(${IDENTIFIER}|"[^"]*"|'[^']*')(?:\s+as\s+(${IDENTIFIER}))?\s*$`, "u")

type Lexed = ReturnType<typeof parse> | undefined

const lexedFiles = new Map<string, Lexed>()

/** The module's lexed imports and exports, once per process; undefined when its text does not lex. */
const lexed = (file: string): Lexed => {
  if (lexedFiles.has(file)) return lexedFiles.get(file)
  let result: Lexed
  try {
    result = parse(moduleText(file) ?? "", file)
  } catch {
    result = undefined
  }
  lexedFiles.set(file, result)
  return result
}

/** The name `local` imports in an import clause (`a`, `{ x as local }`, `* as local`): "default", "*", the name, or undefined. */
const importedName = (clause: string, local: string): string | undefined => {
  if (DEFAULT_BINDING.exec(clause)?.[1] === local) return "default"
  if (NAMESPACE_BINDING.exec(clause)?.[1] === local) return "*"
  const named = /\{([^}]*)\}/.exec(clause)?.[1]
  for (const part of named?.split(",") ?? []) {
    const m = NAMED_BINDING.exec(part)
    if (m === null || (m[2] ?? m[1]) !== local) continue
    return m[1]!.replace(/^["']|["']$/g, "")
  }
  return undefined
}

// Lamina's own modules count as a package's even when a file imports them by path (its own tests
// and benchmarks, a checkout used in place): their state is the engine's, no input of a step.
const laminaDir = path.dirname(path.dirname(fileURLToPath(import.meta.url))) + path.sep

/** The file a specifier imported from `file` loads: a project file, or "package". */
const target = (file: string, specifier: string): string | "package" | undefined => {
  if (!isLocal(specifier)) return "package"
  const resolved = resolveLocal(file, specifier)
  return resolved !== undefined && (inNodeModules(resolved) || resolved.startsWith(laminaDir)) ? "package" : resolved
}

/**
 * The origin of what `file` binds to `local` by an import; NONE when no import binds it. For a
 * namespace import (`import * as util`), `member` names the export read of it (`util.apply`).
 */
export const importOrigin = (file: string, local: string, member?: string): ImportOrigin => {
  const key = `${file}\0${local}\0${member ?? ""}`
  let origin = origins.get(key)
  if (origin === undefined) origins.set(key, (origin = originOf(file, local, member, 0)))
  return origin
}

// Known once per process, like the modules' text.
const origins = new Map<string, ImportOrigin>()

const originOf = (file: string, local: string, member: string | undefined, hops: number): ImportOrigin => {
  const text = moduleText(file) ?? ""
  const [imports] = lexed(file) ?? [[]]
  for (const i of imports) {
    if (i.type !== "static" || i.typeOnly) continue
    const name = importedName(text.slice(i.importStart, i.start - 1).replace(/^import\s*/, "").replace(/\bfrom\s*$/, ""), local)
    if (name === undefined) continue
    const from = target(file, i.specifier)
    if (from === "package") return PACKAGE
    const exported = name === "*" ? member : name
    if (from === undefined || exported === undefined) return { kind: "project", file: undefined }
    const declared = exportOrigin(from, exported, hops + 1)
    return declared === "package" ? PACKAGE : { kind: "project", file: declared }
  }
  return NONE
}

/** The project file declaring what `file` exports as `name`, through re-exports ("package": a package's); undefined when not found. */
const exportOrigin = (file: string, name: string, hops: number): string | "package" | undefined => {
  if (hops > MAX_HOPS) return undefined
  const exports: ReadonlyArray<Export> = lexed(file)?.[1] ?? []
  for (const e of exports) {
    if (e.typeOnly) continue
    if (e.type === "direct" && e.name === name) {
      if (e.localName === undefined) return file
      // `import { x } from …; export { x }`: declared where the import comes from.
      const again = originOf(file, e.localName, undefined, hops + 1)
      return again.kind === "none" ? file : again.kind === "project" ? again.file : "package"
    }
    if (e.type === "reexport" && e.name === name && e.importName !== null) {
      const from = target(file, e.from)
      return from === undefined || from === "package" ? from : exportOrigin(from, e.importName, hops + 1)
    }
  }
  for (const e of exports) {
    if (e.type !== "reexport-all" || e.typeOnly) continue
    const from = target(file, e.from)
    // A package's `export *` may hold the name: it cannot be told without reading the package.
    const found = from === undefined || from === "package" ? undefined : exportOrigin(from, name, hops + 1)
    if (found !== undefined) return found
  }
  return undefined
}
