/**
 * `node:fs`' `statSync` as it was before flow/fileTrace.ts wrapped it: Lamina's own checks of
 * key files (signing them when a run ends, checking them on a hit) are not the body's lookups,
 * and a nested step's checks made inside its caller's body must not become the caller's.
 * Taken when this module loads, which is before the wrapping: fileTrace.ts imports it.
 *
 * @module
 */
import fs from "node:fs"

/** `fs.statSync`, not traced. */
export const statUntraced: typeof fs.statSync = fs.statSync
