/**
 * The content of an Apache Arrow table, record batch or vector a step captures, for its cache
 * key: its types and the bytes of its buffers. Arrow's classes are not data to the canonical
 * encoding (keyed by class alone, an annotation table read from another file hit the old run).
 * Duck-typed, so a table made by another copy of apache-arrow than Lamina's counts too, and
 * without loading apache-arrow here.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto"

/** What the key reads of an Arrow `Data` chunk. */
interface ArrowData {
  readonly type: unknown
  readonly children: ReadonlyArray<unknown>
  readonly dictionary?: unknown
  readonly offset: number
  readonly length: number
  readonly stride?: number
  readonly values?: unknown
  readonly valueOffsets?: unknown
  readonly typeIds?: unknown
  readonly nullBitmap?: unknown
  readonly variadicBuffers?: unknown
}

const isData = (d: unknown): d is ArrowData =>
  typeof d === "object" && d !== null && "type" in d && Array.isArray((d as ArrowData).children) && typeof (d as ArrowData).length === "number" && typeof (d as ArrowData).offset === "number"

/** The chunks of a Table (`batches`), a RecordBatch (`data`) or a Vector (`data[]`); undefined for anything else. */
const chunksOf = (v: object): ReadonlyArray<ArrowData> | undefined => {
  const o = v as { readonly schema?: unknown; readonly batches?: unknown; readonly data?: unknown; readonly type?: unknown }
  if (o.schema !== undefined && Array.isArray(o.batches)) {
    const chunks = o.batches.map((b: { readonly data?: unknown }) => b?.data)
    return chunks.every(isData) ? chunks : undefined
  }
  if (o.schema !== undefined && isData(o.data)) return [o.data]
  if (o.type !== undefined && Array.isArray(o.data) && o.data.every(isData)) return o.data
  return undefined
}

const hashBuffer = (h: Hash, name: string, b: unknown): void => {
  if (!ArrayBuffer.isView(b)) return
  h.update(`${name}:${b.constructor.name}:${b.byteLength};`)
  h.update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))
}

const hashData = (h: Hash, d: ArrowData): void => {
  h.update(`(${String(d.type)}|${d.offset}|${d.length}|${d.stride ?? ""}|`)
  hashBuffer(h, "v", d.values)
  hashBuffer(h, "o", d.valueOffsets)
  hashBuffer(h, "t", d.typeIds)
  hashBuffer(h, "n", d.nullBitmap)
  if (Array.isArray(d.variadicBuffers)) for (const b of d.variadicBuffers) hashBuffer(h, "b", b)
  for (const c of d.children) if (isData(c)) hashData(h, c)
  const dictionary = typeof d.dictionary === "object" && d.dictionary !== null ? chunksOf(d.dictionary) : undefined
  if (dictionary !== undefined) for (const c of dictionary) hashData(h, c)
  h.update(")")
}

/**
 * `arrow <hash>` of an Arrow Table, RecordBatch or Vector's schema, types and buffers (the
 * whole buffers a chunk views: a slice keyed by more than it shows only ever misses); undefined
 * when `value` is none of these.
 */
export const arrowContent = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const chunks = chunksOf(value)
  if (chunks === undefined) return undefined
  const h = createHash("md5")
  const schema = (value as { readonly schema?: unknown }).schema
  h.update(`${value.constructor?.name ?? ""}|${schema === undefined ? "" : String(schema)}|${chunks.length}`)
  for (const d of chunks) hashData(h, d)
  return `arrow ${h.digest("base64")}`
}
