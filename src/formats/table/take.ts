/**
 * Selecting rows of an Arrow table by position (Arrow's JS library has no `take`): what
 * subsetting an AnnData's `obs`/`var` to some cells or genes needs. Column types, dictionary
 * (categorical) columns with their categories and `ordered` flag, nulls, and schema and field
 * metadata (the AnnData index column) are kept.
 *
 * @module
 */
import { DataType as DT, type Dictionary, type Table, vectorFromArray, type Vector } from "apache-arrow"
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { errorText } from "../atomic.js"
import { buildTable, type DictionaryIndexType, dictionaryVector } from "./arrow-build.js"

const takeDictionary = (vector: Vector<Dictionary>, rows: ReadonlyArray<number>): Vector => {
  const type = vector.type
  const indexType = type.indices as DictionaryIndexType
  const codes = new (indexType.ArrayType as new (n: number) => DictionaryIndexType["TArray"])(rows.length)
  // one chunk per record batch: find each row's chunk and code
  const chunks = vector.data
  const starts: Array<number> = []
  let offset = 0
  for (const c of chunks) {
    starts.push(offset)
    offset += c.length
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    let k = chunks.length - 1
    while (k > 0 && starts[k]! > r) k--
    const chunk = chunks[k]!
    const at = r - starts[k]!
    codes[i] = chunk.getValid(at) ? Number(chunk.values[at]) : -1
  }
  const dictionary = vector.data[0]?.dictionary
  if (dictionary === undefined) throw new Error("a dictionary column without a dictionary")
  return dictionaryVector(indexType, codes, dictionary, type.isOrdered)
}

const takeVector = (vector: Vector, rows: ReadonlyArray<number>): Vector => {
  if (DT.isDictionary(vector.type)) return takeDictionary(vector as Vector<Dictionary>, rows)
  const values = rows.map((r) => vector.get(r) as unknown)
  return vectorFromArray(values, vector.type)
}

/**
 * The rows of `table` at `rows` (positions, in the order given; repeats allowed). Fails with
 * `InvalidArgument` for a position outside `0 … numRows - 1`.
 */
export const takeRows = (table: Table, rows: ReadonlyArray<number>): Effect.Effect<Table, InvalidArgument> =>
  Effect.gen(function* () {
    const bad = rows.find((r) => !Number.isInteger(r) || r < 0 || r >= table.numRows)
    if (bad !== undefined) {
      return yield* Effect.fail(new InvalidArgument({ message: `Row ${bad} is out of range: the table has ${table.numRows} rows` }))
    }
    return yield* Effect.try({
      try: () =>
        buildTable(
          table.schema.fields.map((field, c) => ({
            name: field.name,
            vector: takeVector(table.getChildAt(c)!, rows),
            metadata: field.metadata
          })),
          table.schema.metadata,
          rows.length
        ),
      catch: (cause) => new InvalidArgument({ message: `Cannot select rows of the table: ${errorText(cause)}` })
    })
  })
