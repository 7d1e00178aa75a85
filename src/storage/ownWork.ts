/**
 * Lamina's own I/O, which flow/fileTrace.ts must not count among a step body's reads:
 *
 * - `node:fs`' functions and `process.env` as they were before fileTrace.ts wrapped them (taken
 *   when this module loads, which is before the wrapping: fileTrace.ts imports it), for
 *   Lamina's own reads: signing key files when a run ends and checking them on a hit, reading
 *   the project's modules for code fingerprints and captures. A nested step's made inside its
 *   caller's body must not become the caller's key files.
 * - `asOwnWork`, for code Lamina does not write itself: its S3 client's requests read
 *   environment variables (`AWS_REGION`, `_X_AMZN_TRACE_ID`, …) and may read the SDK's config
 *   files. An `AsyncLocalStorage`, so what a request does after its own `await`s is covered too;
 *   fileTrace.ts asks `isOwnWork` before noting a call for a run.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks"
import fs from "node:fs"

/** `fs.statSync`, not traced. */
export const statUntraced: typeof fs.statSync = fs.statSync

/** `fs.openSync`, not traced. */
export const openUntraced: typeof fs.openSync = fs.openSync

/**
 * `fs.readFileSync` of a path, not traced: opened here, since `readFileSync` opens a path with
 * `fs.openSync` as `node:fs` exports it, which is the wrapped one (a nested step's first call
 * reading its module for its fingerprint was its caller's read).
 */
export function readFileUntraced(file: string): Buffer
export function readFileUntraced(file: string, encoding: BufferEncoding): string
export function readFileUntraced(file: string, encoding?: BufferEncoding): Buffer | string {
  const fd = openUntraced(file, "r")
  try {
    return encoding === undefined ? fs.readFileSync(fd) : fs.readFileSync(fd, encoding)
  } finally {
    fs.closeSync(fd)
  }
}

/** `fs.readdirSync`, not traced. */
export const readdirUntraced: typeof fs.readdirSync = fs.readdirSync

/** `fs.existsSync`, not traced. */
export const existsUntraced: typeof fs.existsSync = fs.existsSync

/** `process.env` itself, not the proxy fileTrace.ts puts in its place. */
export const envUntraced: NodeJS.ProcessEnv = process.env

const own = new AsyncLocalStorage<true>()

/** Call `f` as Lamina's own work (with what it goes on to do asynchronously). */
export const asOwnWork = <A>(f: () => A): A => own.run(true, f)

/** Whether the calling code is Lamina's own work (`asOwnWork`). */
export const isOwnWork = (): boolean => own.getStore() === true
