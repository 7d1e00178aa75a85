/**
 * The run environment: Node version, platform, lockfile hash and resolved package versions,
 * git commit and dirty flag. Computed once per process, stored once per instance as an
 * artifact of kind `__lamina_run__` (deduplicated by hash, like LaminDB's environment
 * artifacts), and the source of the environment fingerprint a step may declare relevant.
 *
 * @module
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Option } from "effect"
import { Artifact } from "../registry/Artifact.js"
import { unobserved } from "../query/observe.js"
import { hashBytes, hashString } from "../storage/hash.js"
import { canonicalJson, type Json } from "../tracker/canonical.js"
import { CurrentRun } from "./CurrentRun.js"
import { envVarValue, projectRootOf } from "./source.js"
import { Tracker } from "../tracker/Tracker.js"

/** What Lamina records about the environment of a run. */
export interface Environment {
  readonly node: string
  readonly platform: string
  readonly arch: string
  /** The lockfile at the project root and its hash. */
  readonly lockfile: { readonly file: string; readonly hash: string } | null
  /** Resolved versions of the project's direct dependencies. */
  readonly packages: Readonly<Record<string, string>>
  readonly git: { readonly commit: string; readonly dirty: boolean } | null
}

/**
 * An environment item a step declares relevant to its outputs: a change to it is a cache miss.
 * `package:NAME` is one dependency's resolved version; `var:NAME` an environment variable.
 */
export type EnvItem = "node" | "platform" | "arch" | "lockfile" | "git" | `package:${string}` | `var:${string}`

const LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"]

const readJson = (file: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>
  } catch {
    return undefined
  }
}

const git = (root: string): Environment["git"] => {
  try {
    const run = (args: ReadonlyArray<string>) =>
      execFileSync("git", args as Array<string>, { cwd: root, encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] }).trim()
    const commit = run(["rev-parse", "HEAD"])
    const dirty = run(["status", "--porcelain", "--untracked-files=no"]) !== ""
    return { commit, dirty }
  } catch {
    return null
  }
}

const packagesOf = (root: string, lock: Record<string, unknown> | undefined): Record<string, string> => {
  const pkg = readJson(path.join(root, "package.json"))
  const names = Object.keys({
    ...((pkg?.dependencies as Record<string, string> | undefined) ?? {}),
    ...((pkg?.devDependencies as Record<string, string> | undefined) ?? {})
  }).sort()
  const lockPackages = (lock?.packages as Record<string, { readonly version?: string }> | undefined) ?? {}
  const out: Record<string, string> = {}
  for (const name of names) {
    const version = lockPackages[`node_modules/${name}`]?.version ?? (readJson(path.join(root, "node_modules", name, "package.json"))?.version as string | undefined)
    if (version !== undefined) out[name] = version
  }
  return out
}

/** Collect the environment of a project root (synchronous; a few file reads and two git calls). */
export const collectEnvironment = (root: string): Environment => {
  const lockName = LOCKFILES.find((f) => existsSync(path.join(root, f)))
  const lockBytes = lockName === undefined ? undefined : readFileSync(path.join(root, lockName))
  const lock = lockName === "package-lock.json" || lockName === "npm-shrinkwrap.json" ? readJson(path.join(root, lockName)) : undefined
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    lockfile: lockName === undefined || lockBytes === undefined ? null : { file: lockName, hash: hashBytes(lockBytes).hash },
    packages: packagesOf(root, lock),
    // git itself finds the repository (worktrees, monorepo subfolders); null outside one.
    git: git(root)
  }
}

let cached: Environment | undefined

/** This process's environment, computed on first use (project root: the entry script's, else cwd). */
export const environmentNow = (): Environment => {
  if (cached === undefined) {
    // The entry script's project, unless the entry is a tool's (a test runner in node_modules).
    const entry = process.argv[1]
    const useEntry = entry !== undefined && existsSync(entry) && !entry.includes(`${path.sep}node_modules${path.sep}`)
    const root = useEntry ? projectRootOf(entry) : projectRootOf(path.join(process.cwd(), "x"))
    cached = collectEnvironment(root)
  }
  return cached
}

/** `environmentNow` as an Effect. */
export const currentEnvironment: Effect.Effect<Environment> = Effect.sync(environmentNow)

/** The fingerprint of the declared environment items, for the cache key. */
export const fingerprint = (env: Environment, items: ReadonlyArray<EnvItem>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const item of items) {
    if (item === "node") out.node = env.node
    else if (item === "platform") out.platform = env.platform
    else if (item === "arch") out.arch = env.arch
    else if (item === "lockfile") out.lockfile = env.lockfile?.hash ?? "none"
    else if (item === "git") out.git = env.git === null ? "none" : `${env.git.commit}${env.git.dirty ? "+dirty" : ""}`
    else if (item.startsWith("package:")) out[item] = env.packages[item.slice(8)] ?? "none"
    else if (item.startsWith("var:")) out[item] = envVarValue(item.slice(4))
  }
  return out
}

/**
 * The id of this process's environment artifact in the connected instance, saved if new (once
 * per Tracker: flows starting together save it once). Saved outside any run, so it is nobody's
 * output.
 */
export const environmentArtifactId = Effect.flatMap(Tracker, (tracker) => tracker.environmentId(saveEnvironment))

const saveEnvironment = Effect.gen(function* () {
  const env = yield* currentEnvironment
  const bytes = Buffer.from(canonicalJson(env as unknown as Json) + "\n")
  const hash = hashBytes(bytes).hash
  // The engine's lookup, not something a step body read (a nested flow can start inside a step).
  const existing = yield* unobserved(Artifact.filter({ hash }).first())
  let artifact = existing
  if (artifact === undefined || artifact.branch === -1) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-env-"))
    const file = path.join(dir, "environment.json")
    writeFileSync(file, bytes)
    artifact = yield* Artifact.fromPath(file, { description: "run environment", kind: "__lamina_run__" }).pipe(
      Effect.flatMap((pending) => pending.save()),
      Effect.locally(CurrentRun, Option.none()),
      Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    )
  }
  return artifact.id
})

/** A short hash of the whole environment (for display). */
export const environmentHash = (env: Environment): string => hashString(canonicalJson(env as unknown as Json))
