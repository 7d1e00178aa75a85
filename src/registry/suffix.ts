/**
 * File suffixes as LaminDB derives them: the last extension, plus the one before it when the
 * last is a compression or container marker (`.csv.gz`, `.anndata.zarr`).
 *
 * @module
 */
import * as path from "node:path"

const COMPOUND = new Set([".gz", ".bz2", ".xz", ".zst", ".zip", ".tar", ".zarr"])

/** The suffix of a file or folder name, lower-cased extensions kept as written. */
export const suffixOf = (name: string): string => {
  const base = path.basename(name.replace(/\/+$/, ""))
  const last = path.extname(base)
  if (last === "" || last === base) return ""
  if (COMPOUND.has(last.toLowerCase())) {
    const prev = path.extname(base.slice(0, -last.length))
    if (prev !== "" && /^\.[A-Za-z0-9_-]{1,10}$/.test(prev) && prev.length < base.length - last.length) return prev + last
  }
  return last
}
