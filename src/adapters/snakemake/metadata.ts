/**
 * Snakemake's per-output records (`.snakemake/metadata/`): one JSON object per output file, its
 * file name the urlsafe base64 of the output path — names longer than the file system allows
 * are split into `@`-prefixed folders (`@` never occurs in base64). Older records (Snakemake ≤ 7)
 * carry `version` and a pickled `code`; `record_format_version` 5 and 6 carry the shell template
 * as text. Later versions are refused: their layout is unknown.
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { StorageError, ValidationError } from "../../errors.js"

/** The newest record format this reader knows. */
export const MAX_RECORD_FORMAT_VERSION = 6

/** One decoded record. */
export interface JobRecord {
  /** The metadata file (for messages). */
  readonly file: string
  /** The output path, relative to the workflow's working directory. */
  readonly output: string
  readonly recordFormatVersion: number | undefined
  readonly rule: string
  readonly input: ReadonlyArray<string>
  readonly log: ReadonlyArray<string>
  /** Python reprs of the rule's params (`'results/'`). */
  readonly params: ReadonlyArray<string>
  readonly shellcmd: string | undefined
  /** The shell template, from the text `code` or the pickled one. */
  readonly code: string | undefined
  readonly incomplete: boolean
  readonly starttime: number | undefined
  readonly endtime: number | undefined
  readonly jobHash: string | undefined
  readonly condaEnv: string | undefined
  readonly container: string | undefined
  readonly softwareStackHash: string | undefined
}

/** The output path a record's location (relative to the metadata folder) encodes. */
export const decodeRecordPath = (relative: string): string => {
  const b64 = relative.split(/[\\/]/).map((part) => part.replace(/^@/, "")).join("")
  return Buffer.from(b64.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8")
}

/** The urlsafe base64 name of an output path (one file name; Snakemake splits long ones). */
export const encodeRecordPath = (output: string): string => Buffer.from(output, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_")

/** Strings a pickled `code` object holds (protocols 3–4: BINUNICODE and SHORT_BINUNICODE). */
const pickleStrings = (bytes: Buffer): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < bytes.length; i++) {
    const op = bytes[i]
    if (op === 0x8c && i + 1 < bytes.length) {
      const n = bytes[i + 1]!
      if (i + 2 + n <= bytes.length) out.push(bytes.subarray(i + 2, i + 2 + n).toString("utf8"))
    } else if (op === 0x58 && i + 5 < bytes.length) {
      const n = bytes.readUInt32LE(i + 1)
      if (n < 1 << 20 && i + 5 + n <= bytes.length) out.push(bytes.subarray(i + 5, i + 5 + n).toString("utf8"))
    }
  }
  return out
}

/** The shell template inside a base64 pickled code object: the string with a `{placeholder}` or a space. */
export const templateOfPickledCode = (b64: string): string | undefined => {
  const bytes = Buffer.from(b64, "base64")
  if (bytes[0] !== 0x80) return undefined
  const strings = pickleStrings(bytes)
  return strings.find((s) => /\{[\w.]+\}/.test(s)) ?? strings.filter((s) => /\s/.test(s)).sort((a, b) => b.length - a.length)[0]
}

const strings = (v: unknown): ReadonlyArray<string> => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [])
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)

/** Decode one record's text. */
export const decodeRecord = (file: string, output: string, text: string): JobRecord | ValidationError => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return new ValidationError({ message: `${file}:1: not a Snakemake metadata record (invalid JSON: ${e instanceof Error ? e.message : String(e)}). Remove the file or re-run Snakemake to rewrite it.` })
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return new ValidationError({ message: `${file}:1: not a Snakemake metadata record (expected a JSON object).` })
  const r = value as Record<string, unknown>
  const version = r.record_format_version
  if (version !== undefined && (typeof version !== "number" || version > MAX_RECORD_FORMAT_VERSION || version < 1))
    return new ValidationError({
      message: `${file}:1: record_format_version ${JSON.stringify(version)} is not one this reader knows (up to ${MAX_RECORD_FORMAT_VERSION}); the record of '${output}' was written by a newer Snakemake. Upgrade Lamina, or ingest with the Snakemake version that wrote it.`
    })
  if (typeof r.rule !== "string")
    return new ValidationError({ message: `${file}:1: the record of '${output}' names no rule: not a Snakemake metadata record.` })
  const code = str(r.code)
  const hash = r.job_hash
  return {
    file,
    output,
    recordFormatVersion: typeof version === "number" ? version : undefined,
    rule: r.rule,
    input: strings(r.input),
    log: strings(r.log),
    params: strings(r.params),
    shellcmd: str(r.shellcmd),
    code: code === undefined ? undefined : version === undefined ? templateOfPickledCode(code) ?? undefined : code,
    incomplete: r.incomplete === true,
    starttime: num(r.starttime),
    endtime: num(r.endtime),
    jobHash: typeof hash === "number" || typeof hash === "string" ? String(hash) : undefined,
    condaEnv: str(r.conda_env),
    container: str(r.container_img_url) ?? str(r.singularity_img_url),
    softwareStackHash: str(r.software_stack_hash)
  }
}

const walk = (dir: string, rel: string, out: Array<string>): void => {
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel === "" ? e.name : path.join(rel, e.name)
    if (e.isDirectory()) walk(dir, r, out)
    else if (e.isFile()) out.push(r)
  }
}

/** Every record of `metadataDir`, sorted by output path. */
export const readRecords = (metadataDir: string) =>
  Effect.gen(function* () {
    const files: Array<string> = []
    yield* Effect.try({ try: () => walk(metadataDir, "", files), catch: (cause) => new StorageError({ message: `Cannot list '${metadataDir}': ${String(cause)}`, path: metadataDir, cause }) })
    const out: Array<JobRecord> = []
    for (const rel of files.sort()) {
      const file = path.join(metadataDir, rel)
      const text = yield* Effect.try({ try: () => readFileSync(file, "utf8"), catch: (cause) => new StorageError({ message: `Cannot read '${file}': ${String(cause)}`, path: file, cause }) })
      const record = decodeRecord(file, decodeRecordPath(rel), text)
      if (record instanceof ValidationError) return yield* record
      out.push(record)
    }
    return out.sort((a, b) => a.output.localeCompare(b.output))
  })
