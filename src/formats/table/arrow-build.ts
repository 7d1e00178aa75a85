/**
 * Small builders for Arrow vectors and tables from typed arrays, null masks and strings,
 * without going through apache-arrow's slow per-value builders. Shared by the CSV reader and the
 * AnnData dataframe decoder.
 *
 * @module
 */
import {
  Bool,
  type Data,
  type DataType,
  Dictionary,
  Field,
  type Float,
  type Int,
  type Int8,
  type Int16,
  type Int32,
  type Uint8,
  type Uint16,
  type Uint32,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  type Vector
} from "apache-arrow"

/** An Arrow validity bitmap and its null count. */
export interface Validity {
  readonly bitmap: Uint8Array
  readonly nullCount: number
}

/** Packs `n` truthy/falsy bytes into an LSB-first bitmap (Arrow's bit order). */
export const packBits = (n: number, bit: (i: number) => boolean): Uint8Array => {
  const out = new Uint8Array((n + 7) >> 3)
  for (let i = 0; i < n; i++) if (bit(i)) out[i >> 3] |= 1 << (i & 7)
  return out
}

/** A validity bitmap where `isNull(i)` marks nulls; `undefined` when nothing is null. */
export const validityOf = (n: number, isNull: (i: number) => boolean): Validity | undefined => {
  let nullCount = 0
  const bitmap = packBits(n, (i) => {
    const isNullAt = isNull(i)
    if (isNullAt) nullCount++
    return !isNullAt
  })
  return nullCount === 0 ? undefined : { bitmap, nullCount }
}

/** `makeData` without its overload maze (its generic props types do not compose). */
const makeDataOf = <T extends DataType>(props: { readonly type: T } & Record<string, unknown>): Data<T> =>
  (makeData as unknown as (p: object) => Data<T>)(props)

/** A numeric vector over `values` (no copy) with optional nulls. */
export const numericVector = <T extends Int | Float>(
  type: T,
  values: T["TArray"],
  validity?: Validity
): Vector<T> =>
  makeVector(
    makeDataOf({
      type,
      length: values.length,
      data: values,
      nullCount: validity?.nullCount ?? 0,
      nullBitmap: validity?.bitmap ?? null
    })
  )

/** A boolean vector from one byte per value (non-zero = true) with optional nulls. */
export const boolVector = (values: ArrayLike<number>, validity?: Validity): Vector<Bool> =>
  makeVector(
    makeData({
      type: new Bool(),
      length: values.length,
      data: packBits(values.length, (i) => values[i] !== 0),
      nullCount: validity?.nullCount ?? 0,
      nullBitmap: validity?.bitmap ?? null
    })
  )

/** A UTF-8 string vector; `null` entries become nulls. */
export const utf8Vector = (values: ReadonlyArray<string | null>): Vector<Utf8> => {
  const n = values.length
  const offsets = new Int32Array(n + 1)
  let total = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v !== null) total += Buffer.byteLength(v, "utf8")
    offsets[i + 1] = total
  }
  const bytes = Buffer.allocUnsafe(total)
  let hasNull = false
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v === null) hasNull = true
    else if (v.length > 0) bytes.write(v, offsets[i], "utf8")
  }
  const validity = hasNull ? validityOf(n, (i) => values[i] === null) : undefined
  return makeVector(
    makeData({
      type: new Utf8(),
      length: n,
      valueOffsets: offsets,
      data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      nullCount: validity?.nullCount ?? 0,
      nullBitmap: validity?.bitmap ?? null
    })
  )
}

/** Index types Arrow allows for dictionaries. */
export type DictionaryIndexType = Int8 | Int16 | Int32 | Uint8 | Uint16 | Uint32

/** A dictionary (categorical) vector: integer `codes` into `dictionary`; negative codes are nulls. */
export const dictionaryVector = <T extends DataType, K extends DictionaryIndexType>(
  indexType: K,
  codes: K["TArray"],
  dictionary: Vector<T>,
  ordered: boolean
): Vector<Dictionary<T, K>> => {
  const n = codes.length
  const validity = validityOf(n, (i) => Number(codes[i]) < 0)
  let data: K["TArray"] = codes
  if (validity !== undefined) {
    // Arrow readers may look up the dictionary even for null slots: keep indices in range.
    data = codes.slice() as K["TArray"]
    for (let i = 0; i < n; i++) if (Number(data[i]) < 0) data[i] = 0
  }
  return makeVector(
    makeDataOf({
      type: new Dictionary<T, K>(dictionary.type, indexType, null, ordered),
      length: n,
      data,
      dictionary,
      nullCount: validity?.nullCount ?? 0,
      nullBitmap: validity?.bitmap ?? null
    })
  )
}

/** One column for {@link buildTable}. */
export interface ColumnSpec {
  readonly name: string
  readonly vector: Vector
  /** Arrow field metadata (e.g. the AnnData encoding a column came from). */
  readonly metadata?: ReadonlyMap<string, string>
}

/**
 * Builds a table from whole columns (each a single-chunk vector of the same length), with
 * optional schema metadata. `numRows` is needed for tables without columns.
 */
export const buildTable = (
  columns: ReadonlyArray<ColumnSpec>,
  metadata: ReadonlyMap<string, string> = new Map(),
  numRows?: number
): Table => {
  const length = numRows ?? columns[0]?.vector.length ?? 0
  const fields = columns.map((c) => new Field(c.name, c.vector.type, true, new Map(c.metadata ?? [])))
  const schema = new Schema(fields, new Map(metadata))
  const children = columns.map((c) => {
    if (c.vector.length !== length) {
      throw new Error(`column ${c.name} has ${c.vector.length} values, expected ${length}`)
    }
    if (c.vector.data.length !== 1) throw new Error(`column ${c.name} must be a single-chunk vector`)
    return c.vector.data[0]
  })
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children })
  return new Table(schema, new RecordBatch(schema, struct))
}
