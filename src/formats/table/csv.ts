/**
 * CSV ⇄ Arrow with type inference.
 *
 * Reading infers one type per column from its non-null cells: int (Int32, or Int64 past 32 bits),
 * float (Float64; `NaN`, `inf`, `-inf` accepted), bool (`true`/`false`, any case), else string.
 * An empty unquoted cell is null; a quoted empty cell (`""`) is the empty string.
 *
 * Writing quotes every string cell (Python's `QUOTE_NONNUMERIC`) and never a number, and reading
 * treats a column with a quoted cell as a string column, so a string column of digits survives a
 * round trip. Pass `quotedAsString: false` to infer types from content only.
 *
 * @module
 */
import { Effect } from "effect"
import {
  DataType,
  Float64,
  Int32,
  Int64,
  type Table,
  type Vector
} from "apache-arrow"
import { InvalidArgument, StorageError, ValidationError } from "../../errors.js"
import { errorText, readFileBytes, writeFileAtomic } from "../atomic.js"
import { boolVector, buildTable, numericVector, utf8Vector, validityOf } from "./arrow-build.js"

/** Options for {@link readCsv} / {@link tableFromCsv}. */
export interface ReadCsvOptions {
  /** Field delimiter (default `","`; `"\t"` for `.tsv` paths when reading a file). */
  readonly delimiter?: string
  /** Treat a column that has a quoted cell as a string column (default `true`). */
  readonly quotedAsString?: boolean
}

/** Options for {@link writeCsv} / {@link tableToCsv}. */
export interface WriteCsvOptions {
  /** Field delimiter (default `","`; `"\t"` for `.tsv` paths when writing a file). */
  readonly delimiter?: string
}

const defaultDelimiter = (path: string): string => /\.tsv$/i.test(path) ? "\t" : ","

// ---------------------------------------------------------------------------------------------
// Parsing

const QUOTED = 1
const EMPTY = 2

interface ParsedColumn {
  readonly cells: Array<string>
  /** 0 plain, QUOTED, or EMPTY (unquoted empty = null). */
  readonly flags: Array<number>
}

const parse = (text: string, delimiter: string, source: string): { header: string[]; columns: ParsedColumn[] } => {
  if (delimiter.length !== 1) throw new Error(`the delimiter must be one character, got ${JSON.stringify(delimiter)}`)
  const delim = delimiter.charCodeAt(0)
  const QUOTE = 34, CR = 13, LF = 10
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0
  const n = text.length
  let header: string[] | undefined
  let columns: ParsedColumn[] = []
  let row: string[] = []
  let rowFlags: number[] = []
  let line = 1

  const endRow = () => {
    if (header === undefined) {
      header = row
      columns = header.map(() => ({ cells: [], flags: [] }))
    } else {
      if (row.length === 1 && rowFlags[0] === EMPTY && header.length !== 1) {
        // blank line
      } else {
        if (row.length > header.length) {
          throw new Error(`line ${line} has ${row.length} fields, the header has ${header.length}`)
        }
        for (let c = 0; c < header.length; c++) {
          const col = columns[c]
          if (c < row.length) {
            col.cells.push(row[c])
            col.flags.push(rowFlags[c])
          } else {
            col.cells.push("")
            col.flags.push(EMPTY)
          }
        }
      }
    }
    row = []
    rowFlags = []
  }

  while (pos <= n) {
    // one field
    if (pos < n && text.charCodeAt(pos) === QUOTE) {
      let value = ""
      let start = pos + 1
      pos = start
      for (;;) {
        const q = text.indexOf("\"", pos)
        if (q < 0) throw new Error(`unterminated quoted field starting on line ${line}`)
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(start, q + 1)
          pos = q + 2
          start = pos
          continue
        }
        value += text.slice(start, q)
        pos = q + 1
        break
      }
      for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) === LF) line++
      row.push(value)
      rowFlags.push(QUOTED)
    } else {
      let end = pos
      while (end < n) {
        const ch = text.charCodeAt(end)
        if (ch === delim || ch === LF || ch === CR) break
        end++
      }
      const value = text.slice(pos, end)
      row.push(value)
      rowFlags.push(value.length === 0 ? EMPTY : 0)
      pos = end
    }
    // after the field
    if (pos >= n) {
      if (!(row.length === 1 && rowFlags[0] === EMPTY && header !== undefined)) endRow()
      break
    }
    const ch = text.charCodeAt(pos)
    if (ch === delim) {
      pos++
      if (pos === n) {
        row.push("")
        rowFlags.push(EMPTY)
        endRow()
        break
      }
    } else if (ch === CR || ch === LF) {
      pos += ch === CR && text.charCodeAt(pos + 1) === LF ? 2 : 1
      endRow()
      line++
      if (pos === n) break
    } else {
      throw new Error(`unexpected character after a quoted field on line ${line}`)
    }
  }
  if (header === undefined) throw new Error(`${source} is empty: a CSV needs a header row`)
  return { header, columns }
}

// ---------------------------------------------------------------------------------------------
// Inference

const INT_RE = /^[-+]?\d+$/
const FLOAT_RE = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|NAN|inf|Inf|INF|infinity|Infinity|INFINITY)$/
const INT32_MIN = -2147483648, INT32_MAX = 2147483647
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n

const parseFloatCell = (s: string): number => {
  const t = s.replace(/^\+/, "")
  const lower = t.toLowerCase()
  if (lower === "nan") return NaN
  if (lower === "inf" || lower === "infinity") return Infinity
  if (lower === "-inf" || lower === "-infinity") return -Infinity
  return Number(t)
}

const inferColumn = (col: ParsedColumn, quotedAsString: boolean): Vector => {
  const { cells, flags } = col
  const n = cells.length
  let allInt = true, allFloat = true, allBool = true, anyValue = false, anyQuoted = false
  let fitsInt32 = true, fitsInt64 = true
  for (let i = 0; i < n; i++) {
    const f = flags[i]
    if (f === EMPTY || (f === QUOTED && cells[i].length === 0 && !quotedAsString)) continue
    if (f === QUOTED) anyQuoted = true
    const s = cells[i].trim()
    anyValue = true
    if (allBool) {
      const l = s.toLowerCase()
      if (l !== "true" && l !== "false") allBool = false
    }
    if (allInt) {
      if (!INT_RE.test(s)) allInt = false
      else if (fitsInt32 || fitsInt64) {
        if (s.length > 9) {
          const big = BigInt(s)
          if (big < INT32_MIN || big > INT32_MAX) fitsInt32 = false
          if (big < INT64_MIN || big > INT64_MAX) fitsInt64 = false
        }
      }
    }
    if (allFloat && !allInt && !FLOAT_RE.test(s)) allFloat = false
    if (!allInt && !allFloat && !allBool) break
  }
  const isNull = (i: number) => flags[i] === EMPTY || (flags[i] === QUOTED && cells[i].length === 0)
  if (!anyValue || (quotedAsString && anyQuoted)) {
    return utf8Vector(cells.map((c, i) => flags[i] === EMPTY ? null : c))
  }
  const validity = validityOf(n, isNull)
  if (allBool) {
    const values = new Uint8Array(n)
    for (let i = 0; i < n; i++) if (!isNull(i) && cells[i].trim().toLowerCase() === "true") values[i] = 1
    return boolVector(values, validity)
  }
  if (allInt && fitsInt32) {
    const values = new Int32Array(n)
    for (let i = 0; i < n; i++) if (!isNull(i)) values[i] = Number(cells[i].trim())
    return numericVector(new Int32(), values, validity)
  }
  if (allInt && fitsInt64) {
    const values = new BigInt64Array(n)
    for (let i = 0; i < n; i++) if (!isNull(i)) values[i] = BigInt(cells[i].trim())
    return numericVector(new Int64(), values, validity)
  }
  if (allInt || allFloat) {
    const values = new Float64Array(n)
    for (let i = 0; i < n; i++) values[i] = isNull(i) ? NaN : parseFloatCell(cells[i].trim())
    return numericVector(new Float64(), values, validity)
  }
  return utf8Vector(cells.map((c, i) => flags[i] === EMPTY ? null : c))
}

/**
 * Parses CSV text into an Arrow table, inferring column types (see the module docs).
 * `source` names the text in error messages.
 */
export const tableFromCsv = (
  text: string,
  options: ReadCsvOptions = {},
  source = "<text>"
): Effect.Effect<Table, ValidationError> =>
  Effect.try({
    try: () => {
      const { header, columns } = parse(text, options.delimiter ?? ",", source)
      const seen = new Set<string>()
      for (const name of header) {
        if (seen.has(name)) throw new Error(`duplicate column name ${JSON.stringify(name)}`)
        seen.add(name)
      }
      const quotedAsString = options.quotedAsString ?? true
      return buildTable(
        header.map((name, c) => ({ name, vector: inferColumn(columns[c], quotedAsString) })),
        new Map(),
        columns[0]?.cells.length ?? 0
      )
    },
    catch: (cause) => new ValidationError({ message: `${source} is not a readable CSV file: ${errorText(cause)}` })
  })

/** Reads a CSV (or `.tsv`) file into an Arrow table with inferred column types. */
export const readCsv = (
  path: string,
  options: ReadCsvOptions = {}
): Effect.Effect<Table, StorageError | ValidationError> =>
  Effect.flatMap(readFileBytes(path), (bytes) =>
    tableFromCsv(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
      { ...options, delimiter: options.delimiter ?? defaultDelimiter(path) },
      path
    ))

// ---------------------------------------------------------------------------------------------
// Writing

const quote = (s: string): string => `"${s.replace(/"/g, "\"\"")}"`

const formatNumber = (v: number): string =>
  Number.isNaN(v) ? "NaN" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : String(v)

/** The CSV cells of one column. */
const columnCells = (vector: Vector, name: string): string[] => {
  const type = vector.type
  const n = vector.length
  const out = new Array<string>(n)
  const typeId = type.typeId
  const isString = DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isDictionary(type)
  for (let i = 0; i < n; i++) {
    const v: unknown = vector.get(i)
    if (v === null || v === undefined) {
      out[i] = ""
      continue
    }
    if (typeof v === "number") out[i] = DataType.isDate(type) || DataType.isTimestamp(type) ? quote(new Date(v).toISOString()) : formatNumber(v)
    else if (typeof v === "bigint") out[i] = String(v)
    else if (typeof v === "boolean") out[i] = v ? "true" : "false"
    else if (typeof v === "string") out[i] = quote(v)
    else if (v instanceof Date) out[i] = quote(v.toISOString())
    else if (isString) out[i] = quote(String(v))
    else throw new Error(`column ${JSON.stringify(name)} has type ${String(type)} (id ${typeId}), which CSV cannot hold`)
  }
  return out
}

const needsQuote = (s: string, delimiter: string): boolean =>
  s.length === 0 || s.includes(delimiter) || /["\r\n]/.test(s)

/** Formats an Arrow table as CSV text (header row, `\n` line ends). */
export const tableToCsv = (
  table: Table,
  options: WriteCsvOptions = {}
): Effect.Effect<string, InvalidArgument> =>
  Effect.try({
    try: () => {
      const delimiter = options.delimiter ?? ","
      const names = table.schema.fields.map((f) => f.name)
      const cols = names.map((name, c) => {
        const vector = table.getChildAt(c)
        if (vector === null) throw new Error(`column ${name} is missing`)
        return columnCells(vector, name)
      })
      const lines = new Array<string>(table.numRows + 1)
      lines[0] = names.map((nm) => needsQuote(nm, delimiter) ? quote(nm) : nm).join(delimiter)
      for (let r = 0; r < table.numRows; r++) {
        let line = ""
        for (let c = 0; c < cols.length; c++) line += (c === 0 ? "" : delimiter) + cols[c][r]
        lines[r + 1] = line
      }
      return lines.join("\n") + "\n"
    },
    catch: (cause) => new InvalidArgument({ message: `Cannot write the table as CSV: ${errorText(cause)}` })
  })

/** Writes `table` to `path` as CSV (atomically). */
export const writeCsv = (
  table: Table,
  path: string,
  options: WriteCsvOptions = {}
): Effect.Effect<void, InvalidArgument | StorageError> =>
  Effect.flatMap(
    tableToCsv(table, { ...options, delimiter: options.delimiter ?? defaultDelimiter(path) }),
    (text) => writeFileAtomic(path, text)
  )
