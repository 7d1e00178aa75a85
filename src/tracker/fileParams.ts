/**
 * A param that names a local file. A step given `"data/counts.csv"` as a string and reading it
 * would otherwise be keyed by the string alone: the file edited, the next call a hit with the old
 * result. Such a string also enters the cache key by the file's size and modification time (one
 * `stat` per call; Nextflow's standard cache mode keys input files the same way), so an edited
 * file is a miss and `why` names it. Writing the same bytes again also counts as a change
 * (recompute when unsure). Pass an artifact to key by content instead.
 *
 * Only strings that look like paths (a slash, or a file extension) are looked up, and only
 * regular files count: a folder's modification time changes whenever a file is added to it, an
 * output folder's on every call. URLs (`s3://…`) are not local files.
 *
 * @module
 */
import { statSync } from "node:fs"
import * as path from "node:path"

/** A param string naming a local file, as it enters the cache key. */
export interface KeyFile {
  /** Where in the params the string was (`input`, `files[1]`). */
  readonly param: string
  /** The file, absolute. */
  readonly path: string
  /** `SIZE:MTIME_NS`: its size in bytes and its modification time in nanoseconds. */
  readonly signature: string
}

const PATH_LIKE = /[\\/]|\.[A-Za-z0-9]{1,8}$/
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** The file `value` names when it is a path to an existing regular file, else undefined. */
export const fileNamed = (param: string, value: string): KeyFile | undefined => {
  if (value.length === 0 || value.length > 4096 || !PATH_LIKE.test(value) || URL_LIKE.test(value) || value.includes("\0") || value.includes("\n")) return undefined
  let stat
  try {
    stat = statSync(value, { bigint: true, throwIfNoEntry: false })
  } catch {
    // Unreadable (a permission, a name too long): not a file the body can read either.
    return undefined
  }
  if (stat === undefined || !stat.isFile()) return undefined
  return { param, path: path.resolve(value), signature: `${stat.size}:${stat.mtimeNs}` }
}

/** A file's signature for messages: `12 bytes, modified 2026-12-04T10:00:00.000Z`. */
export const describeSignature = (signature: string): string => {
  const [size, ns] = signature.split(":")
  const ms = Number(BigInt(ns ?? "0") / 1_000_000n)
  return `${size} bytes, modified ${new Date(ms).toISOString()}`
}
