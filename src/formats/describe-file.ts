/**
 * Describing a local file or folder without loading its data (for `describe` and artifact
 * metadata): LaminDB's `otype`, `kind`, `n_observations`, plus shapes and column types.
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { type Table, tableFromIPC } from "apache-arrow"
import * as pq from "parquet-wasm"
import { StorageError } from "../errors.js"
import { errorText } from "./atomic.js"
import { backedAnnData } from "./anndata/backed.js"
import { type AnnDataSummary, type DataFrameSummary, describeAnnData } from "./anndata/describe.js"
import type { ElementSource } from "./anndata/element-store.js"
import { h5Source, openH5File } from "./anndata/h5/h5-source.js"
import { type FormatName } from "./format-of.js"
import type { FileDescription } from "./file-description.js"
import { detectFormat, type LoadError } from "./load.js"
import { readCsv } from "./table/csv.js"
import { type ColumnDescription, describeTable } from "./table/describe.js"
import { readArrowIpc } from "./table/ipc.js"
import { readParquet } from "./table/parquet.js"
import { zarrOtype } from "./zarr/open.js"
import { localZarrStore } from "./zarr/store.js"
import { zarrSource } from "./zarr/zarr-source.js"

export type { FileDescription } from "./file-description.js"

const tableDescription = (format: FormatName, table: Table): FileDescription => {
  const d = describeTable(table)
  return { otype: "DataFrame", format, kind: "dataset", n_observations: d.n_observations, columns: d.columns }
}

/** Row count and schema from the Parquet footer only. */
const describeParquet = (path: string): Effect.Effect<FileDescription, LoadError> =>
  Effect.tryPromise({
    try: async () => {
      const file = await pq.ParquetFile.fromFile(await fs.openAsBlob(path))
      const rows = file.metadata().fileMetadata().numRows()
      const schema = tableFromIPC(file.schema().intoIPCStream())
      file.free()
      return { ...tableDescription("parquet", schema), n_observations: rows }
    },
    catch: (cause) => cause
  }).pipe(
    // fall back to a full read, which reports a typed error for bad files
    Effect.catchAll(() => Effect.map(readParquet(path), (t) => tableDescription("parquet", t)))
  )

const describeAnnDataSource = (src: ElementSource, format: FormatName) =>
  Effect.gen(function*() {
    const backed = yield* backedAnnData(src)
    const summary = yield* describeAnnData(src, backed)
    return {
      otype: "AnnData",
      format,
      kind: "dataset",
      n_observations: summary.shape[0],
      shape: summary.shape,
      obs: summary.obs,
      var: summary.var,
      anndata: summary
    } satisfies FileDescription
  })

/**
 * Describes a local file or folder from its metadata: tables (row count, column types), AnnData
 * (`n_obs × n_vars`, obs/var columns, X layout, keys), zarr arrays (shape, dtype) and groups.
 */
export const describeFile = (localPath: string): Effect.Effect<FileDescription, LoadError> =>
  Effect.gen(function*() {
    const format = yield* detectFormat(localPath)
    switch (format) {
      case "parquet":
        return yield* describeParquet(localPath)
      case "arrow":
        return tableDescription(format, yield* readArrowIpc(localPath))
      case "csv":
        return tableDescription(format, yield* readCsv(localPath))
      case "h5ad":
        return yield* Effect.scoped(Effect.flatMap(openH5File(localPath), (file) => describeAnnDataSource(h5Source(file), format)))
      case "anndata-zarr":
        return yield* describeAnnDataSource(zarrSource(localZarrStore(localPath), localPath), format)
      case "zarr": {
        const src = zarrSource(localZarrStore(localPath), localPath)
        if ((yield* zarrOtype(localPath)) === "array") {
          const info = yield* src.info("")
          return { otype: "array", format, shape: info.shape, dtype: info.dtype } satisfies FileDescription
        }
        return { otype: "group", format, keys: yield* src.children("") } satisfies FileDescription
      }
    }
  }).pipe(
    Effect.catchAllDefect((defect) =>
      Effect.fail(new StorageError({ message: `Cannot describe ${localPath}: ${errorText(defect)}`, path: localPath, cause: defect }))
    )
  )
