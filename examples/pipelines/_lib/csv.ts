/**
 * Plain CSV for the example pipelines: RFC 4180 quoting, a header row, rows as string records.
 * (The formats module brings Arrow/Parquet tables; the examples stay dependency-free.)
 *
 * @module
 */

/** A parsed table: column names and rows keyed by them. */
export interface Table {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Readonly<Record<string, string>>>
}

/** Parse CSV text with a header row. */
export const parseCsv = (text: string): Table => {
  const records: Array<Array<string>> = []
  let field = ""
  let record: Array<string> = []
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ",") {
      record.push(field)
      field = ""
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++
      record.push(field)
      records.push(record)
      record = []
      field = ""
    } else field += c
  }
  if (field !== "" || record.length > 0) {
    record.push(field)
    records.push(record)
  }
  const [header = [], ...body] = records.filter((r) => !(r.length === 1 && r[0] === ""))
  return {
    columns: header,
    rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])))
  }
}

const quote = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

/** Format rows as CSV with the given columns. */
export const formatCsv = (columns: ReadonlyArray<string>, rows: ReadonlyArray<Readonly<Record<string, string | number>>>): string =>
  [columns.map(quote).join(","), ...rows.map((r) => columns.map((c) => quote(String(r[c] ?? ""))).join(","))].join("\n") + "\n"
