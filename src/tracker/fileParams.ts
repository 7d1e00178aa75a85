/**
 * Params that name local files. A step given `"data/counts.csv"` as a string and reading it was
 * keyed by the string alone: the file edited, the next call a hit with the old result. Now a
 * run keeps, for each param string naming a regular file when the run ends, the file's size and
 * modification time (as Nextflow keys input files), and a hit checks them again: an edited file
 * is a miss ("the file … named by param 'input' changed"). Taken when the run ends, not when it
 * starts, so a param naming the file the step writes (an output path) is its own result, not a
 * change. Writing the same bytes again also counts as a change (recompute when unsure); pass an
 * artifact to key by content instead. A file modified within `RECENT_MS` of the run's end is
 * kept with its content's hash too (a folder with its names): on a coarse file clock an edit in
 * the same tick keeps the size and time.
 *
 * Only strings that look like paths (a slash, or a file extension) are candidates, and only
 * regular files count: a folder's modification time changes whenever a file is added to it.
 * URLs (`s3://…`) are not local files. A file a runner's run named on another host, absent
 * here, is not checked (a shared folder shows it on both hosts, and then it is).
 *
 * @module
 */
import * as path from "node:path"
import { closeSync, readSync } from "node:fs"
import { hashBytes, hashString, StreamingHash } from "../storage/hash.js"
import { HOST } from "./owner.js"
import { looksLikePath } from "./pathLike.js"
import type { ScriptRead } from "./scriptReads.js"
import { bigStatUntraced, direntsUntraced, envUntraced, openUntraced, readdirUntraced, readFileUntraced } from "../storage/ownWork.js"

/** A param string that may name a local file: where it was, and the absolute path. */
export interface KeyPath {
  /** Where in the params the string was (`input`, `files[1]`). */
  readonly param: string
  readonly path: string
  /**
   * The working directory a relative name (`data/s1.csv`) was resolved against; absent for an
   * absolute one. Run in another directory, the same name names another file.
   */
  readonly cwd?: string
}

/** A file a param named when its run ended. */
export interface KeyFile extends KeyPath {
  /** `SIZE:MTIME_NS`: its size in bytes and its modification time in nanoseconds. */
  readonly signature: string
  /** The host the run ended on (a runner's files may be on its host only). */
  readonly host?: string
}

/** How a file the step's code reads by a literal name is named among the params' (`code:data/raw.csv`). */
export const CODE_READ = "code:"

/**
 * Prefix of the key params that hold a step function's captured variables (`captured:min`, see
 * flow/captures.ts), and of the files their strings name (`captured:WEIGHTS`): no parameter name
 * contains a colon.
 */
export const CAPTURED = "captured:"

/** How a file the body was seen opening for reading is named among the key files (flow/fileTrace.ts). */
export const READ = "read:"

/** How a folder the body was seen listing is named among the key files. */
export const LISTED = "listed:"

/** How a folder the body was seen listing with its subfolders (`recursive: true`) is named among the key files. */
export const LISTED_TREE = "listed-tree:"

/** How a path the body was seen looking up (`existsSync`, `statSync`, `lstatSync`, `access`) is named among the key files. */
export const LOOKED_UP = "looked-up:"

/** How a file a command the body ran named (its script, its data) is named among the key files. */
export const RAN = "ran:"

/** How a project module a script the body ran imports (a Python script's: tracker/pythonImports.ts; a Node script's: flow/lifecycle.ts) is named among the key files. */
export const IMPORTED = "imported:"

/** How a file a shell or R script the body ran names (tracker/scriptReads.ts) is named among the key files. */
export const SCRIPT_NAMED = "script-named:"

/**
 * How an environment variable the body read is kept among the key files: its name as the
 * `path`, the hash of its value as the `signature` (values may be secrets), no host (it is the
 * environment of whichever process checks it).
 */
export const ENV_READ = "env:"

/** `value` as a candidate path (absolute), when it looks like one. */
export const pathOf = (param: string, value: string): KeyPath | undefined =>
  looksLikePath(value) ? { param, path: path.resolve(value), ...(path.isAbsolute(value) ? {} : { cwd: process.cwd() }) } : undefined

/**
 * A traced path with nothing there when the run ended (a read that failed, a lookup that found
 * nothing, a folder it could not list): the body's answer depended on its absence, so its
 * appearing is a change.
 */
const ABSENT = "absent"

/** A traced path that was a folder (`cp` of a folder, `existsSync` of one). */
const FOLDER = "folder"

/** What is at `file` now: its stat, undefined when nothing is there, null when it cannot be read (a permission, a name too long: not a file the body can read either). */
const statNow = (file: string) => {
  try {
    return bigStatUntraced(file)
  } catch {
    return null
  }
}

/**
 * How long before a signature is taken a modification counts as recent: within one tick of a
 * coarse file clock (jiffies before Linux 6.13, 1–2 s on HFS+, FAT and some network file
 * systems), so a later edit in the same tick would leave the size and time as they were. 2 s
 * covers them all.
 */
const RECENT_MS = 2_000

/** A recently modified file above this size is hashed by `SAMPLES` chunks spread over it, not whole (a check reads it again at every hit). */
export const RECENT_HASH_LIMIT = 64 * 1024 * 1024
const SAMPLES = 16
const SAMPLE_BYTES = 64 * 1024

/** What could not be read of a recently modified file: its entry never matches (recomputed to be sure). */
const UNREADABLE = "unreadable"

/** Whether a modification at `mtimeNs` is recent, or in the future (another host's clock). */
const recent = (mtimeNs: bigint): boolean => mtimeNs > BigInt(Date.now() - RECENT_MS) * 1_000_000n

type Stat = NonNullable<ReturnType<typeof statNow>>

/**
 * The hash of the regular file `file` (of `size` bytes) now: of all of it up to
 * `RECENT_HASH_LIMIT`, else of `SAMPLES` chunks from its first to its last byte (a file
 * rewritten in the same tick of the clock differs in them; an edit of a few bytes between
 * them is not seen).
 */
const contentOf = (file: string, size: bigint): string => {
  try {
    if (size <= BigInt(RECENT_HASH_LIMIT)) return hashBytes(readFileUntraced(file)).hash
    const fd = openUntraced(file)
    try {
      const chunk = Buffer.alloc(SAMPLE_BYTES)
      const hash = new StreamingHash()
      const last = Number(size) - SAMPLE_BYTES
      for (let k = 0; k < SAMPLES; k++) hash.update(chunk.subarray(0, readSync(fd, chunk, 0, SAMPLE_BYTES, Math.round((last * k) / (SAMPLES - 1)))))
      return `sampled-${hash.digest().hash}`
    } finally {
      closeSync(fd)
    }
  } catch {
    return UNREADABLE
  }
}

/** The hash of the names in the folder `dir` now (what a listing returns). */
const namesOf = (dir: string): string => {
  try {
    return hashString(readdirUntraced(dir).sort().join("\n"))
  } catch {
    return UNREADABLE
  }
}

/**
 * `base` (what the stat says: `SIZE:MTIME_NS`, `dir:MTIME_NS`), with what the stat cannot tell:
 * when signing (`kept` undefined) and the modification was recent, `base:CONTENT`; when
 * checking an entry `kept` that was signed so, with the content now (one whose content could
 * not be read when signed never matches: recomputed to be sure).
 */
const withContent = (base: string, mtimeNs: bigint, kept: string | undefined, content: () => string): string => {
  if (kept === undefined) return recent(mtimeNs) ? `${base}:${content()}` : base
  if (!kept.startsWith(`${base}:`)) return base
  return kept === `${base}:${UNREADABLE}` ? `${base}:${UNREADABLE}-then` : `${base}:${content()}`
}

/** A regular file's signature (see `withContent`). */
const fileSignature = (file: string, stat: Stat, kept: string | undefined): string =>
  withContent(`${stat.size}:${stat.mtimeNs}`, stat.mtimeNs, kept, () => contentOf(file, stat.size))

/**
 * The signature of the regular file at `file` now, or undefined when there is none: its size
 * and modification time, and its content's hash when it was modified within `RECENT_MS`. With
 * `kept`, as a check of that entry computes it.
 */
export const signatureOf = (file: string, kept?: string): string | undefined => {
  const stat = statNow(file)
  return stat?.isFile() ? fileSignature(file, stat, kept) : undefined
}

/**
 * The signature of the folder at `dir` now: its modification time, which adding, removing or
 * renaming an entry changes (an edit inside a file does not: the files read are signed apiece),
 * and the hash of its names when that time was recent (see `withContent`).
 */
const listingOf = (dir: string, kept?: string): string | undefined => {
  const stat = statNow(dir)
  return stat === undefined ? ABSENT : stat?.isDirectory() ? withContent(`dir:${stat.mtimeNs}`, stat.mtimeNs, kept, () => namesOf(dir)) : undefined
}

/**
 * The signature of the tree of folders at `dir` now: the modification times of it and of every
 * folder below it and the names in each, hashed (an entry added, removed or renamed anywhere in
 * it changes one; the names tell it within a tick of a coarse file clock too). Its walk reads
 * every folder's entries anyway.
 */
const treeListingOf = (dir: string): string | undefined => {
  const top = statNow(dir)
  if (top === undefined) return ABSENT
  if (!top?.isDirectory()) return undefined
  const folders: Array<string> = []
  const walk = (folder: string, rel: string, mtimeNs: bigint): void => {
    let entries: ReadonlyArray<{ readonly name: string; isDirectory(): boolean }>
    try {
      entries = direntsUntraced(folder)
    } catch {
      folders.push(`${rel}:${mtimeNs}`)
      return
    }
    folders.push(`${rel}:${mtimeNs}:${entries.map((e) => e.name).sort().join("/")}`)
    for (const e of entries) {
      if (!e.isDirectory()) continue
      const sub = statNow(path.join(folder, e.name))
      if (sub?.isDirectory()) walk(path.join(folder, e.name), `${rel}/${e.name}`, sub.mtimeNs)
    }
  }
  walk(dir, ".", top.mtimeNs)
  return `tree:${hashString(folders.sort().join("\n"))}`
}

/** What a read or lookup the body made would see at `file` now: a regular file's signature (`kept`: see `signatureOf`), a folder or nothing. */
const presenceOf = (file: string, kept?: string): string | undefined => {
  const stat = statNow(file)
  return stat === undefined ? ABSENT : stat === null ? undefined : stat.isFile() ? fileSignature(file, stat, kept) : stat.isDirectory() ? FOLDER : undefined
}

/** The signature of the environment variable `name`'s value now: its hash, or ABSENT when it is unset. */
const envSignature = (name: string): string => {
  const value = envUntraced[name]
  return value === undefined ? ABSENT : hashString(value)
}

/**
 * The signature of what a key file names now: an environment variable's, a listed folder's, a
 * traced read's or lookup's, else a regular file's. With `kept` (the entry's signature), as its
 * check computes it: the content too where the entry has it.
 */
const currentSignature = (f: KeyPath, kept?: string): string | undefined => {
  if (f.param === ENV_READ) return envSignature(f.path)
  if (f.param.startsWith(LISTED)) return listingOf(f.path, kept)
  if (f.param.startsWith(LISTED_TREE)) return treeListingOf(f.path)
  if (f.param.startsWith(READ) || f.param.startsWith(LOOKED_UP)) return presenceOf(f.path, kept)
  return signatureOf(f.path, kept)
}

/** What a body was seen using, by absolute path (flow/fileTrace.ts). */
export interface Traced {
  readonly read: Iterable<string>
  readonly listed: Iterable<string>
  readonly listedTrees: Iterable<string>
  readonly lookedUp: Iterable<string>
  readonly ran: Iterable<string>
  /** The folders of the `PYTHONPATH` its Python processes ran with and of their interpreters' editable installs (absolute). */
  readonly pythonPath: Iterable<string>
  /** The project modules that Python code given on a command line imports. */
  readonly imported: Iterable<string>
  /** Environment variables, by name. */
  readonly env: Iterable<string>
  /** Those of the paths above that were named relative to the working directory. */
  readonly relative: ReadonlySet<string>
}

/**
 * The files a body was seen reading or looking up, the folders it listed and the files the
 * commands it ran named, and what `readsOf` says a script it ran reads by names in its text
 * (flow/lifecycle.ts), as key files; except those `known` holds already (a param named them)
 * and those `skipped` (Lamina's own storage, package code).
 */
export const tracedFiles = (
  traced: Traced,
  known: ReadonlyArray<KeyFile>,
  skipped: (file: string) => boolean,
  readsOf: (script: string, pythonPath: ReadonlyArray<string>) => ReadonlyArray<ScriptRead>
): ReadonlyArray<KeyFile> => {
  const seen = new Set(known.map((f) => f.path))
  const files: Array<KeyFile> = []
  const cwd = process.cwd()
  const add = (param: string, file: string): void => {
    if (seen.has(file) || skipped(file)) return
    seen.add(file)
    const signature = currentSignature({ param, path: file })
    if (signature !== undefined) files.push({ param, path: file, signature, host: HOST, ...(traced.relative.has(file) ? { cwd } : {}) })
  }
  for (const file of traced.read) add(READ, file)
  for (const folder of traced.listed) add(LISTED, folder)
  for (const folder of traced.listedTrees) add(LISTED_TREE, folder)
  for (const file of traced.lookedUp) add(LOOKED_UP, file)
  const pythonPath = [...traced.pythonPath]
  for (const file of traced.ran) {
    add(RAN, file)
    for (const read of readsOf(file, pythonPath)) add(read.imported ? IMPORTED : SCRIPT_NAMED, read.file)
  }
  for (const file of traced.imported) add(IMPORTED, file)
  for (const name of traced.env) files.push({ param: ENV_READ, path: name, signature: envSignature(name) })
  return files
}

/** The candidates that name regular files now, with their signatures. */
export const filesOf = (paths: ReadonlyArray<KeyPath>): ReadonlyArray<KeyFile> => {
  const files: Array<KeyFile> = []
  for (const p of paths) {
    const signature = signatureOf(p.path)
    if (signature !== undefined) files.push({ ...p, signature, host: HOST })
  }
  return files
}

/** What the stat says of a file's signature (`SIZE:MTIME_NS`), without its content's hash. */
const statPart = (signature: string): string => signature.split(":").slice(0, 2).join(":")

/** A signature for messages: `12 bytes, modified 2026-12-04T10:00:00.000Z`. */
const describeSignature = (signature: string): string => {
  if (signature.startsWith("dir:") || signature.startsWith("tree:")) return "an entry was added, removed or renamed"
  if (signature === ABSENT) return "nothing there"
  if (signature === FOLDER) return "a folder"
  const [size, ns] = signature.split(":")
  return `${size} bytes, modified ${new Date(Number(BigInt(ns ?? "0") / 1_000_000n)).toISOString()}`
}

/** How `why` says what put a file among a run's key files, by its kind (its `param`'s prefix). */
const TRACED: ReadonlyArray<readonly [string, string]> = [
  [READ, "its body read"],
  [LISTED, "its body listed"],
  [LISTED_TREE, "its body listed with its subfolders"],
  [LOOKED_UP, "its body looked up"],
  [RAN, "named by a command its body ran"],
  [IMPORTED, "imported by a script its body ran"],
  [SCRIPT_NAMED, "named by a script its body ran"]
]
const namedBy = (param: string): string => {
  if (param.startsWith(CODE_READ)) return `its code reads ('${param.slice(CODE_READ.length)}')`
  if (param.startsWith(CAPTURED)) return `named by captured variable '${param.slice(CAPTURED.length)}'`
  return TRACED.find(([prefix]) => param.startsWith(prefix))?.[1] ?? `named by param '${param}'`
}

/** Why a hit is refused because of `files` (as its run left them), or undefined when none changed. */
export const filesChanged = (files: ReadonlyArray<KeyFile>): string | undefined => {
  for (const f of files) {
    // Named relative to another working directory: here the same name names another file.
    if (f.cwd !== undefined && f.cwd !== process.cwd())
      return `the file '${f.path}' ${namedBy(f.param)} was named relative to the working directory, '${f.cwd}' when its run ended and '${process.cwd()}' now`
    const now = currentSignature(f, f.signature)
    if (now === f.signature) continue
    if (f.param === ENV_READ) {
      const variable = `the environment variable '${f.path}' its body read`
      return now === ABSENT ? `${variable} is unset now` : f.signature === ABSENT ? `${variable} is set now (it was unset when its run ended)` : `${variable} changed`
    }
    // A runner's file, not on this host (no shared folder), or absent there: only its host could tell.
    if ((now === undefined || now === ABSENT || f.signature === ABSENT) && f.host !== undefined && f.host !== HOST) continue
    const named = namedBy(f.param)
    const listing = f.param.startsWith(LISTED) || f.param.startsWith(LISTED_TREE)
    const what = listing || f.signature === FOLDER ? "folder" : "file"
    if (now === undefined || now === ABSENT) return `the ${what} '${f.path}' ${named} is gone`
    if (f.signature === ABSENT) return `the ${what} '${f.path}' ${named} appeared (there was nothing there when its run ended)`
    if (listing) return `the folder '${f.path}' ${named} changed (${describeSignature(now)})`
    if (statPart(now) !== statPart(f.signature)) return `the file '${f.path}' ${named} changed (${describeSignature(f.signature)} → ${describeSignature(now)})`
    return f.signature.endsWith(`:${UNREADABLE}`)
      ? `the file '${f.path}' ${named} was modified within ${RECENT_MS / 1000} s of when its run ended and could not be read then: its size and modification time cannot tell an edit made since, so it is computed again`
      : `the file '${f.path}' ${named} changed (the same size and modification time, other content)`
  }
  return undefined
}
