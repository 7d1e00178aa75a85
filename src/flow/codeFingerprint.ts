/**
 * Code fingerprints: everything a step's code can reach, so that editing a helper — in the
 * step's own file or in a project module it imports, however indirectly — is a cache miss.
 *
 * Starting from the module that defines the step (the file actually executed: compiled JS
 * under `dist/`, or TypeScript under tsx/vitest), the static and dynamic `import`s, `export …
 * from`s and `require()`s with a literal relative or absolute specifier, or a subpath import
 * (`#lib/helper.js`, through the package.json's `imports`) or a path alias (`@/helper`, through
 * tsconfig.json's `paths`), are followed transitively; each reached file enters by its content hash. Type-only imports are skipped
 * (they are erased). Bare specifiers are packages: they enter by name and resolved version,
 * with their dependencies, read from the lockfile (`package-lock.json`; with another lockfile,
 * its hash; without any, each package's installed version). A package linked to a folder of the
 * project (a workspace package, `npm link`, a `file:` dependency) is the project's code: its
 * files are followed from its entry points, by content. What a specifier names is specifiers.ts'.
 *
 * Node loads a module once per process, so the code a step runs cannot change while the
 * process lives: each file is read, hashed and lexed once per process (kept by path, mtime and
 * size), and each defining module's fingerprint is computed once, on its first step call.
 *
 * @module
 */
import { randomBytes } from "node:crypto"
import { existsUntraced, firstLineUntraced, readdirUntraced, readFileUntraced, statUntraced } from "../storage/ownWork.js"
import * as path from "node:path"
import { parse } from "es-module-lexer"
import { hashBytes, hashString } from "../storage/hash.js"
import { canonicalJson } from "../tracker/canonical.js"
import { shebangProgram } from "../tracker/programs.js"
import { projectRootOf } from "./projectRoot.js"
import { CODE, inNodeModules, linkedPackageDir, packageEntryFiles, targetsOf } from "./specifiers.js"

/** What a step's code can reach, and the hash that enters its cache key. */
export interface CodeFingerprint {
  /** Hash over `files` and `packages`. */
  readonly hash: string
  /** Reached project files (path relative to the project root, `/`-separated) → content hash. */
  readonly files: Readonly<Record<string, string>>
  /** Reached packages (with their dependencies) → resolved version, or a lockfile → its hash. */
  readonly packages: Readonly<Record<string, string>>
}

const REQUIRE = /\brequire\s*\(\s*(["'])([^"'\n]+)\1\s*\)/g
// Used only when the lexer rejects a file: over-inclusion costs a miss, omission a stale hit.
const FALLBACK = /(?:\bfrom|\bimport|\bimport\s*\()\s*(["'])([^"'\n]+)\1/g

/** One file, read once: its hash and what it loads at run time. */
interface Scanned {
  readonly mtimeMs: number
  readonly size: number
  readonly hash: string
  /** Project files it imports (absolute paths). */
  readonly local: ReadonlyArray<string>
  /** Relative imports that resolve to no file (absolute paths they would have). */
  readonly missing: ReadonlyArray<string>
  /** Bare package names, and absolute paths of files inside node_modules it imports by path. */
  readonly packages: ReadonlyArray<string>
}

const scanned = new Map<string, Scanned>()

/** Specifiers a module loads at run time (type-only imports are erased, so skipped). */
export const runtimeSpecifiers = (source: string, file: string): ReadonlyArray<string> => {
  const out = new Set<string>()
  try {
    const [imports] = parse(source, file)
    for (const i of imports) {
      if (i.type === "import-meta") continue
      if (i.type === "dynamic" ? i.probablyTypeOnly || i.glob : i.typeOnly) continue
      if (i.specifier !== undefined) out.add(i.specifier)
    }
  } catch {
    for (const m of source.matchAll(FALLBACK)) out.add(m[2]!)
  }
  for (const m of source.matchAll(REQUIRE)) out.add(m[2]!)
  return [...out]
}

/**
 * Whether `file` is JavaScript or TypeScript: by its extension, or without one (`bin/count`) by a
 * `#!` line that runs Node (`#!/usr/bin/env node`); `firstLine` reads that line when needed.
 */
const runsNode = (file: string, firstLine: () => string): boolean =>
  CODE.test(file) || (path.extname(file) === "" && path.basename(shebangProgram(firstLine()) ?? "") === "node")

/** Whether `file` is JavaScript or TypeScript (`runsNode`), its `#!` line read from disk. */
export const isNodeCode = (file: string): boolean => runsNode(file, () => firstLineUntraced(file))

const scan = (file: string): Scanned | undefined => {
  const stat = statUntraced(file)
  if (stat === undefined) return undefined
  const known = scanned.get(file)
  if (known !== undefined && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return known
  const bytes = readFileUntraced(file)
  const local: Array<string> = []
  const missing: Array<string> = []
  const packages: Array<string> = []
  const code = runsNode(file, () => bytes.subarray(0, 256).toString("utf8").split("\n", 1)[0]!)
  for (const spec of code ? runtimeSpecifiers(bytes.toString("utf8"), file) : [])
    for (const t of targetsOf(file, spec)) {
      if ("package" in t) packages.push(t.package)
      else if (t.file === undefined) missing.push(t.wanted)
      else (inNodeModules(t.file) ? packages : local).push(t.file)
    }
  const entry: Scanned = { mtimeMs: stat.mtimeMs, size: stat.size, hash: hashBytes(bytes).hash, local, missing, packages }
  scanned.set(file, entry)
  return entry
}

// A process's own mark for code it may not run as it is on disk (one per process: its runs hit each other's).
let processMark: string | undefined

/**
 * What a file or lockfile edited after the step's module was loaded enters the key as: Node runs
 * what it loaded, so its disk content must not be claimed (a later process loading the edit
 * would reuse results of the old code). Unique to this process; `why` names the file.
 */
const editedAfterLoad = (hash: string): string => `${EDITED_AFTER_LOAD} (${(processMark ??= randomBytes(6).toString("hex"))}; now ${hash})`

/** How a file's entry starts when it was edited after the step's module was loaded (for `why`). */
export const EDITED_AFTER_LOAD = "edited after load"

/**
 * Whether a file last written at `mtimeMs` was edited after `loadedAt`. An mtime in the future
 * is a skewed clock (a copied or mounted tree), not an edit: claimed as it is, else such a
 * checkout would never hit across processes.
 */
const editedSince = (mtimeMs: number, loadedAt: number | undefined): boolean => loadedAt !== undefined && mtimeMs > loadedAt && mtimeMs <= Date.now() + 1

/** A scanned file's entry in a fingerprint: its hash, marked when edited after `loadedAt`, or "missing". */
const entryOf = (s: Scanned | undefined, loadedAt: number | undefined): string =>
  s === undefined ? "missing" : editedSince(s.mtimeMs, loadedAt) ? editedAfterLoad(s.hash) : s.hash

/** The project files `entry` reaches through imports, itself included (files that exist only). */
export const reachedFiles = (entry: string): ReadonlyArray<string> => [...walk(entry, undefined).files].flatMap(([file, e]) => (e === "missing" ? [] : [file]))

/**
 * The project files reachable from `entry` (edited after `loadedAt`: marked), and the packages
 * they import. A package linked to a folder of the project's (`linkedPackageDir`) is followed as
 * project files, from its entry points.
 */
const walk = (entry: string, loadedAt: number | undefined): { readonly files: Map<string, string>; readonly packages: Set<string> } => {
  const files = new Map<string, string>()
  const packages = new Set<string>()
  const queue = [entry]
  while (queue.length > 0) {
    const file = queue.pop()!
    if (files.has(file)) continue
    const s = scan(file)
    files.set(file, entryOf(s, loadedAt))
    if (s === undefined) continue
    for (const m of s.missing) files.set(m, "missing")
    for (const p of s.packages) {
      packages.add(p)
      const linked = path.isAbsolute(p) ? undefined : linkedPackageDir(path.dirname(file), p)
      if (linked !== undefined) for (const e of packageEntryFiles(linked)) if (!files.has(e)) queue.push(e)
    }
    for (const l of s.local) if (!files.has(l)) queue.push(l)
  }
  return { files, packages }
}

// ---------------------------------------------------------------------------------------------
// Packages: versions from the lockfile, with the dependencies each package pulls in.

interface LockEntry {
  readonly version?: string
  readonly resolved?: string
  readonly integrity?: string
  readonly link?: boolean
  readonly dependencies?: Readonly<Record<string, string>>
  readonly optionalDependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
}

type Lock =
  | { readonly kind: "npm"; readonly packages: Readonly<Record<string, LockEntry>>; readonly mtimeMs: number }
  | { readonly kind: "other"; readonly file: string; readonly hash: string; readonly mtimeMs: number }
  | { readonly kind: "none"; readonly root: string }

const LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"]
const locks = new Map<string, Lock>()

/** The lockfile governing `root` (it or the nearest folder above with one: workspaces). */
const lockOf = (root: string): Lock => {
  const known = locks.get(root)
  if (known !== undefined) return known
  let lock: Lock = { kind: "none", root }
  for (let dir = root; ; dir = path.dirname(dir)) {
    const name = LOCKFILES.find((f) => existsUntraced(path.join(dir, f)))
    if (name !== undefined) {
      const file = path.join(dir, name)
      const mtimeMs = statUntraced(file)?.mtimeMs ?? 0
      const bytes = readFileUntraced(file)
      let parsed: { readonly packages?: Record<string, LockEntry> } | undefined
      if (name.endsWith(".json")) {
        try {
          parsed = JSON.parse(bytes.toString("utf8")) as { readonly packages?: Record<string, LockEntry> }
        } catch {
          parsed = undefined
        }
      }
      lock =
        parsed?.packages !== undefined
          ? { kind: "npm", packages: parsed.packages, mtimeMs }
          : { kind: "other", file: path.relative(root, file).split(path.sep).join("/") || name, hash: hashBytes(bytes).hash, mtimeMs }
      break
    }
    if (path.dirname(dir) === dir) break
  }
  locks.set(root, lock)
  return lock
}

/** The lockfile key a dependency `name` of the package at `from` resolves to (Node's nested lookup). */
const lockKeyOf = (packages: Readonly<Record<string, LockEntry>>, from: string, name: string): string | undefined => {
  for (let base = from; ; ) {
    const key = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`
    if (packages[key] !== undefined) return key
    if (base === "") return undefined
    const i = base.lastIndexOf("/node_modules/")
    base = i < 0 ? "" : base.slice(0, i)
  }
}

/** A registry's tarball (`…/-/name-1.2.3.tgz`): its version says what it holds. */
const REGISTRY_TARBALL = /^https?:\/\/.+\/-\/[^/]+\.tgz$/

/**
 * What a lockfile entry enters the key as: its version; for a git commit or a tarball by path or
 * URL also where it came from and its integrity, since the same version number may hold other
 * code there (a git dependency moved to a new commit keeps its package.json version).
 */
const versionOf = (e: LockEntry): string => {
  if (e.link) return `link:${e.resolved ?? ""}`
  const version = e.version ?? e.resolved ?? "unknown"
  return e.resolved === undefined || REGISTRY_TARBALL.test(e.resolved) ? version : `${version} (${[e.resolved, e.integrity].filter((x) => x !== undefined).join(" ")})`
}

/** name@version of each package and of everything it depends on, per the npm lockfile. */
const npmClosure = (packages: Readonly<Record<string, LockEntry>>, names: Iterable<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  const seen = new Set<string>()
  const queue: Array<[string, string]> = [...names].map((n) => ["", n])
  while (queue.length > 0) {
    const [from, name] = queue.pop()!
    const key = lockKeyOf(packages, from, name)
    if (key === undefined) {
      out[name] ??= "not installed"
      continue
    }
    if (seen.has(key)) continue
    seen.add(key)
    const entry = packages[key]!
    // Nested copies of one package under different versions: list each.
    const label = out[name] === undefined || out[name] === versionOf(entry) ? name : `${name} (${key})`
    out[label] = versionOf(entry)
    const resolvedKey = entry.link && entry.resolved !== undefined ? entry.resolved : key
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) queue.push([resolvedKey, dep])
  }
  return out
}

/** A package's installed version, read from its package.json (no lockfile to ask). */
const installedVersion = (root: string, name: string): string => {
  for (let dir = root; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "node_modules", name, "package.json")
    if (existsUntraced(manifest)) {
      try {
        return String((JSON.parse(readFileUntraced(manifest, "utf8")) as { readonly version?: unknown }).version ?? "unknown")
      } catch {
        return "unreadable"
      }
    }
    if (path.dirname(dir) === dir) return "not installed"
  }
}

const packageVersions = (root: string, names: ReadonlySet<string>, loadedAt: number | undefined): Record<string, string> => {
  const bare = [...names].filter((n) => !path.isAbsolute(n))
  const out: Record<string, string> = {}
  // Files reached inside node_modules by a relative path: by content, like project files.
  for (const file of [...names].filter((n) => path.isAbsolute(n))) out[path.relative(root, file).split(path.sep).join("/")] = entryOf(scan(file), loadedAt)
  if (bare.length === 0) return out
  const lock = lockOf(root)
  // Packages installed after the module loaded: the versions running are not the lockfile's.
  const edited = lock.kind !== "none" && editedSince(lock.mtimeMs, loadedAt)
  if (lock.kind === "npm") {
    const versions = npmClosure(lock.packages, bare)
    if (edited) for (const name of Object.keys(versions)) versions[name] = editedAfterLoad(versions[name]!)
    return { ...out, ...versions, ...patchesOf(root, Object.keys(versions)) }
  }
  if (lock.kind === "other") return { ...out, [lock.file]: edited ? editedAfterLoad(lock.hash) : lock.hash, ...patchesOf(root, bare) }
  for (const name of bare) out[name] = installedVersion(root, name)
  return { ...out, ...patchesOf(root, bare) }
}

/**
 * patch-package's patches (`patches/<name>+<version>.patch`, `@scope+name+…`, a nested
 * dependency's `parent++name+…`) of the packages `names`, by content: `npm install` applies
 * them to the installed code, and the lockfile does not change with them. A patch whose name
 * does not parse counts for every package.
 */
const patchesOf = (root: string, names: ReadonlyArray<string>): Record<string, string> => {
  const dir = path.join(root, "patches")
  let files: ReadonlyArray<string>
  try {
    files = readdirUntraced(dir).filter((f) => f.endsWith(".patch"))
  } catch {
    return {}
  }
  const reached = new Set(names.map((n) => n.replace(/ \(.*\)$/, "")))
  const out: Record<string, string> = {}
  for (const file of files) {
    const m = /^(?:(@[^+]+)\+)?([^+]+)\+[^+]+\.patch$/.exec(file.split("++").pop() ?? file)
    const patched = m === null ? undefined : m[1] === undefined ? m[2] : `${m[1]}/${m[2]}`
    if (patched !== undefined && !reached.has(patched)) continue
    out[`patches/${file}`] = entryOf(scan(path.join(dir, file)), undefined)
  }
  return out
}

const sorted = (m: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

const fingerprints = new Map<string, CodeFingerprint>()

/**
 * The fingerprint of what the module `entry` reaches: computed once per module per process
 * (Node never reloads a module, so what runs cannot change), on a step's first call. What was
 * edited after `loadedAt` (when the module defined its step) is marked, not claimed: the
 * process runs the code it loaded then.
 */
export const codeFingerprint = (entry: string, loadedAt?: number): CodeFingerprint => {
  const file = path.resolve(entry)
  const known = fingerprints.get(file)
  if (known !== undefined) return known
  const result = computeFingerprint(file, loadedAt)
  fingerprints.set(file, result)
  return result
}

/**
 * The fingerprint of what `entry` reaches now (files are re-read when their mtime or size
 * changed); with `loadedAt`, what was edited since is marked (see `codeFingerprint`).
 */
export const computeFingerprint = (entry: string, loadedAt?: number): CodeFingerprint => {
  const file = path.resolve(entry)
  const root = projectRootOf(file)
  const { files, packages } = walk(file, loadedAt)
  const rel: Record<string, string> = {}
  for (const [f, hash] of files) rel[path.relative(root, f).split(path.sep).join("/")] = hash
  const fp = { files: sorted(rel), packages: sorted(packageVersions(root, packages, loadedAt)) }
  return { hash: hashString(canonicalJson(fp)), ...fp }
}

/**
 * What several modules reach together (a step defined through a project's helper: the helper's
 * module and its caller's). A name two of them hold with different hashes (modules of different
 * project roots) is kept twice.
 */
export const mergeFingerprints = (fps: ReadonlyArray<CodeFingerprint>): CodeFingerprint => {
  const merge = (pick: (fp: CodeFingerprint) => Readonly<Record<string, string>>): Record<string, string> => {
    const out: Record<string, string> = {}
    fps.forEach((fp, i) => {
      for (const [name, hash] of Object.entries(pick(fp))) {
        if (out[name] === undefined || out[name] === hash) out[name] = hash
        else out[`${name} (${i})`] = hash
      }
    })
    return sorted(out)
  }
  const fp = { files: merge((f) => f.files), packages: merge((f) => f.packages) }
  return { hash: hashString(canonicalJson(fp)), ...fp }
}

/** One difference between two fingerprints, for `why`. */
export interface CodeChange {
  readonly kind: "file" | "package"
  readonly name: string
  readonly before?: string
  readonly after?: string
}

/** Which files and packages differ between two fingerprints. */
export const diffFingerprints = (
  before: Pick<CodeFingerprint, "files" | "packages">,
  after: Pick<CodeFingerprint, "files" | "packages">
): ReadonlyArray<CodeChange> => {
  const changes: Array<CodeChange> = []
  for (const kind of ["file", "package"] as const) {
    const b = kind === "file" ? before.files : before.packages
    const a = kind === "file" ? after.files : after.packages
    for (const name of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
      if (b[name] === a[name]) continue
      changes.push({ kind, name, ...(b[name] !== undefined ? { before: b[name] } : {}), ...(a[name] !== undefined ? { after: a[name] } : {}) })
    }
  }
  return changes
}
