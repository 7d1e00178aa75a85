/**
 * An artifact's bytes for the browser: a preview (first rows of a table, AnnData shape and
 * columns from the metadata recorded at save, text, markdown, images) and the download.
 *
 * Bytes are read only through the instance's `ObjectStore` with the artifact's own storage key,
 * checked again here, so nothing outside the instance's storage can be served.
 *
 * @module
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Chunk, Effect, Option, Stream } from "effect"
import { InvalidArgument, ObjectStore, type Artifact, type Lamina, type StorageError } from "../../index.js"
import type { Preview } from "./types.js"

/** Tables up to this size are read for their first rows. */
const TABLE_PREVIEW_BYTES = 64 * 1024 * 1024
/** Text shown at most. */
const TEXT_PREVIEW_BYTES = 256 * 1024
const PREVIEW_ROWS = 20
const CHUNK = 1024 * 1024

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".bmp": "image/bmp"
}
const TEXT_SUFFIXES = new Set([".txt", ".json", ".log", ".yaml", ".yml", ".toml", ".ini", ".py", ".ts", ".js", ".r", ".sh", ".xml", ".html", ".fasta", ".fa", ".bed", ".gtf", ".vcf", ".sam", ".cfg", ".tsv", ".csv"])
const MARKDOWN_SUFFIXES = new Set([".md", ".markdown"])

/** The artifact's storage key, refused unless it is a plain relative key or Lamina's own `.lamina/{uid}…`. */
export const safeStorageKey = (artifact: Artifact): Effect.Effect<string, InvalidArgument> => {
  const key = artifact.storageKey
  const segments = key.split("/")
  const ok =
    key !== "" &&
    !key.startsWith("/") &&
    !key.includes("\\") &&
    !key.includes("\0") &&
    !/^[a-z][a-z0-9+.-]*:/i.test(key) &&
    segments.every((s) => s !== "" && s !== "." && s !== "..")
  return ok ? Effect.succeed(key) : Effect.fail(new InvalidArgument({ message: `Artifact ${artifact.uid} has a storage key that is not served: '${key}'.` }))
}

/** One table cell as JSON. */
const cell = (v: unknown): unknown => {
  if (v === null || v === undefined) return null
  if (typeof v === "bigint") return v.toString()
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v
  if (v instanceof Date) return v.toISOString()
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, cell)
  if (typeof v === "object" && "toJSON" in v && typeof (v as { toJSON: unknown }).toJSON === "function") return cell((v as { toJSON: () => unknown }).toJSON())
  if (Array.isArray(v)) return v.map(cell)
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cell(x)]))
  return String(v)
}

interface Column {
  readonly name: string
  readonly type: string
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)
const columnsOf = (v: unknown): ReadonlyArray<Column> =>
  Array.isArray(v) ? v.flatMap((c) => (isRecord(c) && typeof c.name === "string" ? [{ name: c.name, type: typeof c.type === "string" ? c.type : "" }] : [])) : []

/** Text of the first bytes, or undefined when they are not text (NUL bytes or invalid UTF-8). */
const asText = (bytes: Uint8Array): string | undefined => {
  if (bytes.includes(0)) return undefined
  try {
    // A multi-byte character cut at the end of the window is not an error.
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true })
  } catch {
    return undefined
  }
}

const annDataPreview = (aux: Readonly<Record<string, unknown>> | null): Preview => {
  const a = aux ?? {}
  const shape = Array.isArray(a.shape) && a.shape.every((n) => typeof n === "number") ? (a.shape as ReadonlyArray<number>) : null
  const X = isRecord(a.X) && typeof a.X.format === "string" ? `${a.X.format}${typeof a.X.dtype === "string" ? ` ${a.X.dtype}` : ""}` : null
  const layers = Array.isArray(a.layers) ? a.layers.filter((x): x is string => typeof x === "string") : []
  return { kind: "anndata", shape, X, obs: isRecord(a.obs) ? columnsOf(a.obs.columns) : [], var: isRecord(a.var) ? columnsOf(a.var.columns) : [], layers }
}

const tablePreview = (artifact: Artifact) =>
  Effect.gen(function* () {
    const table = yield* artifact.loadTable()
    const n = Math.min(PREVIEW_ROWS, table.numRows)
    const columns = table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }))
    const vectors = columns.map((_, c) => table.getChildAt(c))
    const rows = Array.from({ length: n }, (_, i) => vectors.map((v) => cell(v?.get(i))))
    return { kind: "table", columns, rows, totalRows: table.numRows } satisfies Preview
  })

const none = (reason: string): Preview => ({ kind: "none", reason })

/** The artifact's preview. */
export const preview = (artifact: Artifact, downloadUrl: string): Effect.Effect<Preview, InvalidArgument | StorageError, Lamina.Lamina> =>
  Effect.gen(function* () {
    const suffix = artifact.suffix.toLowerCase()
    if (artifact.otype === "AnnData" || artifact.format === "h5ad") return annDataPreview(artifact._aux)
    if (artifact.isFolder) return none(`A folder of ${artifact.n_files ?? "?"} files: its files are in storage.`)
    const format = artifact.format
    if (format === "parquet" || format === "arrow" || format === "csv") {
      if ((artifact.size ?? 0) <= TABLE_PREVIEW_BYTES) {
        const read = yield* Effect.either(tablePreview(artifact))
        if (read._tag === "Right") return read.right
        // A CSV that does not parse as a table is still text.
        if (format !== "csv") return none(read.left.message)
      } else if (format !== "csv") {
        return { kind: "table", columns: columnsOf(artifact._aux?.columns), rows: [], totalRows: artifact.n_observations ?? 0 } satisfies Preview
      }
    }
    if (IMAGE_TYPES[suffix] !== undefined) return { kind: "image", url: downloadUrl } satisfies Preview
    const store = yield* ObjectStore
    const key = yield* safeStorageKey(artifact)
    const bytes = yield* store.readRange(key, 0, TEXT_PREVIEW_BYTES + 1)
    const text = asText(bytes.subarray(0, TEXT_PREVIEW_BYTES))
    if (text === undefined || !(MARKDOWN_SUFFIXES.has(suffix) || TEXT_SUFFIXES.has(suffix) || suffix === ""))
      return none(`No preview for ${artifact.suffix || "files without a suffix"}${text === undefined ? " (binary)" : ""}: download it.`)
    return { kind: MARKDOWN_SUFFIXES.has(suffix) ? "markdown" : "text", text, truncated: bytes.length > TEXT_PREVIEW_BYTES } satisfies Preview
  })

/** `raw/a b.csv` → a safe attachment file name. */
const fileName = (artifact: Artifact): string => {
  const base = (artifact.key ?? `${artifact.uid}${artifact.suffix}`).split("/").pop() ?? artifact.uid
  return base.replace(/[^A-Za-z0-9._-]/g, "_") || artifact.uid
}

/** The artifact's bytes, streamed from storage in 1 MiB ranges. Images may be shown inline. */
export const download = (artifact: Artifact, inline: boolean) =>
  Effect.gen(function* () {
    if (artifact.isFolder) return yield* new InvalidArgument({ message: `Artifact ${artifact.uid} is a folder: its files are in storage at '${artifact.storageKey}'.` })
    const store = yield* ObjectStore
    const key = yield* safeStorageKey(artifact)
    const size = artifact.size ?? 0
    const image = IMAGE_TYPES[artifact.suffix.toLowerCase()]
    const body = Stream.paginateChunkEffect(0, (offset) =>
      Effect.map(store.readRange(key, offset, offset + CHUNK), (bytes) => [
        bytes.length === 0 ? Chunk.empty<Uint8Array>() : Chunk.of(bytes),
        bytes.length < CHUNK || offset + CHUNK >= size ? Option.none<number>() : Option.some(offset + CHUNK)
      ] as const)
    )
    return HttpServerResponse.stream(body, {
      contentType: inline && image !== undefined ? image : "application/octet-stream",
      headers: {
        "content-disposition": `${inline && image !== undefined ? "inline" : "attachment"}; filename="${fileName(artifact)}"`,
        // An SVG opened directly runs no script; nothing is sniffed into HTML.
        "content-security-policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
        "x-content-type-options": "nosniff"
      }
    })
  })
