/**
 * `node:fs`' functions as they were before flow/fileTrace.ts wrapped them, for Lamina's own
 * reads: checking key files (signing them when a run ends, checking them on a hit), reading the
 * project's modules for code fingerprints and captures. Those are not the body's reads, and a
 * nested step's made inside its caller's body must not become the caller's key files.
 * Taken when this module loads, which is before the wrapping: fileTrace.ts imports it.
 *
 * @module
 */
import fs from "node:fs"

/** `fs.statSync`, not traced. */
export const statUntraced: typeof fs.statSync = fs.statSync

/** `fs.readFileSync`, not traced. */
export const readFileUntraced: typeof fs.readFileSync = fs.readFileSync

/** `fs.readdirSync`, not traced. */
export const readdirUntraced: typeof fs.readdirSync = fs.readdirSync

/** `fs.existsSync`, not traced. */
export const existsUntraced: typeof fs.existsSync = fs.existsSync

/** `process.env` itself, not the proxy flow/fileTrace.ts puts in its place. */
export const envUntraced: NodeJS.ProcessEnv = process.env
