/**
 * Lamina's own I/O, which flow/fileTrace.ts must not count among a step body's reads:
 *
 * - `untraced(f)` and the helpers below, for Lamina's own synchronous reads: signing key files
 *   when a run ends and checking them on a hit, reading the project's modules for code
 *   fingerprints and captures. A nested step's made inside its caller's body must not become
 *   the caller's key files. A count, not a flag: such a read may call another (`readFileSync`
 *   opens its path with `fs.openSync`), and every `fs` call in between is Lamina's.
 * - `asOwnWork`, for code Lamina does not write itself: its S3 client's requests read
 *   environment variables (`AWS_REGION`, `_X_AMZN_TRACE_ID`, …) and may read the SDK's config
 *   files. An `AsyncLocalStorage`, so what a request does after its own `await`s is covered too.
 *
 * fileTrace.ts asks `isOwnWork` before noting a call for a run.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"
import fs from "node:fs"

// Synchronous calls of Lamina's own in progress (see `untraced`).
let ownCalls = 0

/** Call `f`, synchronous, as Lamina's own work: the files it reads are no traced body's. */
export const untraced = <A>(f: () => A): A => {
  ownCalls++
  try {
    return f()
  } finally {
    ownCalls--
  }
}

/** What is at `file` (`fs.statSync`), undefined when nothing is there; not traced. */
export const statUntraced = (file: string): fs.Stats | undefined => untraced(() => fs.statSync(file, { throwIfNoEntry: false }))

/** Whether a regular file is at `file`; not traced. */
export const isFileUntraced = (file: string): boolean => statUntraced(file)?.isFile() === true

/** `statUntraced` with nanosecond times. */
export const bigStatUntraced = (file: string): fs.BigIntStats | undefined => untraced(() => fs.statSync(file, { bigint: true, throwIfNoEntry: false }))

/** `fs.openSync(file, "r")`, not traced. */
export const openUntraced = (file: string): number => untraced(() => fs.openSync(file, "r"))

/** `fs.readFileSync` of a path, not traced. */
export function readFileUntraced(file: string): Buffer
export function readFileUntraced(file: string, encoding: BufferEncoding): string
export function readFileUntraced(file: string, encoding?: BufferEncoding): Buffer | string {
  return untraced(() => (encoding === undefined ? fs.readFileSync(file) : fs.readFileSync(file, encoding)))
}

/** The text of `file`, undefined when it cannot be read; not traced. */
export const textUntraced = (file: string): string | undefined => {
  try {
    return readFileUntraced(file, "utf8")
  } catch {
    return undefined
  }
}

/** The first line of `file` (of its first 256 bytes: a `#!` line), "" when it cannot be read; not traced. */
export const firstLineUntraced = (file: string): string =>
  untraced(() => {
    let fd: number | undefined
    try {
      fd = fs.openSync(file, "r")
      const head = Buffer.alloc(256)
      return head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)).toString("utf8").split("\n", 1)[0]!
    } catch {
      return ""
    } finally {
      if (fd !== undefined) fs.closeSync(fd)
    }
  })

/** The names in the folder `dir` (`fs.readdirSync`), not traced. */
export const readdirUntraced = (dir: string): Array<string> => untraced(() => fs.readdirSync(dir))

/** The entries of the folder `dir` with their types, not traced. */
export const direntsUntraced = (dir: string): Array<fs.Dirent> => untraced(() => fs.readdirSync(dir, { withFileTypes: true }))

/** `fs.existsSync`, not traced. */
export const existsUntraced = (file: string): boolean => untraced(() => fs.existsSync(file))

/**
 * `process.env` itself, not the proxy fileTrace.ts puts in its place: taken when this module
 * loads, which is before (fileTrace.ts imports it).
 */
export const envUntraced: NodeJS.ProcessEnv = process.env

const own = new AsyncLocalStorage<true>()

/** Call `f` as Lamina's own work (with what it goes on to do asynchronously). */
export const asOwnWork = <A>(f: () => A): A => own.run(true, f)

/** Whether the calling code is Lamina's own work (`untraced`, `asOwnWork`). */
export const isOwnWork = (): boolean => ownCalls > 0 || own.getStore() === true
