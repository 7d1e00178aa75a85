/**
 * Publish lines of `.nextflow.log` (written at TRACE level by `publishDir`:
 * `publishing file: /…/work/77/a3995c…/out.txt -[copy]-> /…/results/out.txt`): which task's
 * work dir a published file came from — the link the trace's `workdir` column gives, for
 * traces without it (the default columns).
 *
 * @module
 */

/** One published file: where it came from and where it went. */
export interface PublishEntry {
  readonly line: number
  /** The file in the task's work dir. */
  readonly source: string
  /** `copy`, `symlink`, `link`, `move`, … */
  readonly mode: string
  readonly destination: string
}

const LINE = /publishing file: (.+?) -\[([\w-]+)\]-> (.+?)\s*$/i

/** Every publish line of a log's text. */
export const parsePublishLines = (text: string): ReadonlyArray<PublishEntry> => {
  const out: Array<PublishEntry> = []
  const lines = text.split("\n")
  lines.forEach((raw, i) => {
    if (!/publishing file:/i.test(raw)) return
    const m = LINE.exec(raw)
    if (m !== null) out.push({ line: i + 1, source: m[1]!, mode: m[2]!, destination: m[3]! })
  })
  return out
}

/**
 * The trace hash (`77/a3995c`) of the work dir a path lies in: a `/xx/yyyyyy…/` pair of hex
 * segments whose short form is one of `hashes`.
 */
export const hashOfWorkPath = (file: string, hashes: ReadonlySet<string>): string | undefined => {
  for (const m of file.matchAll(/\/([0-9a-f]{2})\/([0-9a-f]{6,})(?=\/)/g)) {
    const short = `${m[1]!}/${m[2]!.slice(0, 6)}`
    if (hashes.has(short)) return short
  }
  return undefined
}

/**
 * The published file a destination names: the path itself when it lies in the ingested folder,
 * else the folder's file whose relative path ends the destination (the run was launched
 * elsewhere and its results moved). `byRelative` maps relative paths to files.
 */
export const publishedFileOf = (destination: string, dir: string, byRelative: ReadonlyMap<string, string>): string | undefined => {
  const d = destination.replace(/\\/g, "/")
  const root = dir.replace(/\\/g, "/").replace(/\/+$/, "") + "/"
  if (d.startsWith(root)) return byRelative.get(d.slice(root.length))
  const parts = d.split("/").filter((p) => p !== "")
  for (let k = 0; k < parts.length; k++) {
    const hit = byRelative.get(parts.slice(k).join("/"))
    if (hit !== undefined) return hit
  }
  return undefined
}
