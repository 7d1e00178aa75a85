/**
 * Parquet ⇄ Arrow through parquet-wasm. Snappy by default: on 1e6 × 5 numeric columns it writes
 * in ~0.25 s and reads in ~0.1 s (zstd is ~15% smaller but ~2× slower both ways).
 *
 * @module
 */
import { Effect } from "effect"
import { type Table, tableFromIPC, tableToIPC } from "apache-arrow"
import * as pq from "parquet-wasm"
import { InvalidArgument, StorageError, ValidationError } from "../../errors.js"
import { errorText, readFileBytes, writeFileAtomic } from "../atomic.js"

/** Compression codecs Lamina writes Parquet with. */
export type ParquetCompression = "snappy" | "zstd" | "gzip" | "lz4" | "uncompressed"

/** Options for {@link writeParquet}. */
export interface WriteParquetOptions {
  /** Page compression (default `"snappy"`, what pandas/pyarrow write by default). */
  readonly compression?: ParquetCompression
  /** Maximum rows per row group (default: parquet-wasm's 1,048,576). */
  readonly rowGroupSize?: number
}

/** Options for {@link readParquet}. */
export interface ReadParquetOptions {
  /** Read only these columns. */
  readonly columns?: ReadonlyArray<string>
  /** Skip this many rows. */
  readonly offset?: number
  /** Read at most this many rows. */
  readonly limit?: number
}

const codec: Record<ParquetCompression, pq.Compression> = {
  snappy: pq.Compression.SNAPPY,
  zstd: pq.Compression.ZSTD,
  gzip: pq.Compression.GZIP,
  lz4: pq.Compression.LZ4_RAW,
  uncompressed: pq.Compression.UNCOMPRESSED
}

/** Encodes an Arrow table as Parquet bytes. */
export const tableToParquet = (
  table: Table,
  options: WriteParquetOptions = {}
): Effect.Effect<Uint8Array, InvalidArgument> =>
  Effect.try({
    try: () => {
      const wasmTable = pq.Table.fromIPCStream(tableToIPC(table, "stream"))
      let builder = new pq.WriterPropertiesBuilder().setCompression(codec[options.compression ?? "snappy"])
      if (options.rowGroupSize !== undefined) builder = builder.setMaxRowGroupSize(options.rowGroupSize)
      return pq.writeParquet(wasmTable, builder.build())
    },
    catch: (cause) => new InvalidArgument({ message: `Cannot encode the table as Parquet: ${errorText(cause)}` })
  })

/** Decodes Parquet bytes into an Arrow table. `source` names the bytes in error messages. */
export const tableFromParquet = (
  bytes: Uint8Array,
  options: ReadParquetOptions = {},
  source = "<bytes>"
): Effect.Effect<Table, ValidationError | InvalidArgument> =>
  Effect.try({
    try: () => {
      const readerOptions: pq.ReaderOptions = { batchSize: 1 << 16 }
      if (options.offset !== undefined) readerOptions.offset = options.offset
      if (options.limit !== undefined) readerOptions.limit = options.limit
      return tableFromIPC(pq.readParquet(bytes, readerOptions).intoIPCStream())
    },
    catch: (cause) => new ValidationError({ message: `${source} is not a readable Parquet file: ${errorText(cause)}` })
  }).pipe(Effect.flatMap((table) => selectColumns(table, options.columns, source)))

/** Projects `columns` (parquet-wasm 0.8 ignores its own `columns` reader option). */
const selectColumns = (
  table: Table,
  columns: ReadonlyArray<string> | undefined,
  source: string
): Effect.Effect<Table, InvalidArgument> => {
  if (columns === undefined) return Effect.succeed(table)
  const names = new Set(table.schema.fields.map((f) => f.name))
  const unknown = columns.filter((c) => !names.has(c))
  return unknown.length > 0
    ? Effect.fail(new InvalidArgument({
      message: `${source} has no column ${unknown.map((c) => JSON.stringify(c)).join(", ")}; ` +
        `its columns are ${[...names].join(", ")}`
    }))
    : Effect.succeed(table.select([...columns]))
}

/** Writes `table` to `path` as Parquet (atomically). */
export const writeParquet = (
  table: Table,
  path: string,
  options: WriteParquetOptions = {}
): Effect.Effect<void, InvalidArgument | StorageError> =>
  Effect.flatMap(tableToParquet(table, options), (bytes) => writeFileAtomic(path, bytes))

/** Reads a Parquet file into an Arrow table. */
export const readParquet = (
  path: string,
  options: ReadParquetOptions = {}
): Effect.Effect<Table, StorageError | ValidationError | InvalidArgument> =>
  Effect.flatMap(readFileBytes(path), (bytes) => tableFromParquet(bytes, options, path))
