/**
 * Lamina's format layer: tables (Parquet, Arrow IPC, CSV), AnnData (`.h5ad`, AnnData zarr) and
 * zarr. Pure functions over local paths, folders, bytes or zarr stores; the Artifact registry
 * builds on them.
 *
 * @module
 */

// recognizing, loading, describing
export { formatOf, type FormatName, KNOWN_SUFFIXES } from "./format-of.js"
export { detectFormat, type Loaded, type LoadError, loadByFormat } from "./load.js"
export { describeFile, type FileDescription } from "./describe-file.js"
export { writeAtomically, writeFileAtomic } from "./atomic.js"

// tables
export {
  type ParquetCompression,
  readParquet,
  type ReadParquetOptions,
  tableFromParquet,
  tableToParquet,
  writeParquet,
  type WriteParquetOptions
} from "./table/parquet.js"
export { readArrowIpc, tableFromArrowIpc, writeArrowIpc, type WriteArrowIpcOptions } from "./table/ipc.js"
export { readCsv, type ReadCsvOptions, tableFromCsv, tableToCsv, writeCsv, type WriteCsvOptions } from "./table/csv.js"
export { arrowTypeName, type ColumnDescription, describeTable, type TableDescription } from "./table/describe.js"
export { takeRows } from "./table/take.js"

// AnnData
export {
  type AlignedValue,
  type AnnData,
  type AnnDataInit,
  type AnnDataRaw,
  annDataShape,
  makeAnnData,
  type Matrix,
  shapeOf,
  type UnsDict,
  type UnsScalar,
  type UnsValue,
  validateAnnData
} from "./anndata/anndata.js"
export { DenseArray, type DType, type IntegerData, type NumericData, type NumericDType } from "./anndata/dense-array.js"
export { type SparseFormat, SparseMatrix } from "./anndata/sparse-matrix.js"
export { dataColumnNames, DEFAULT_INDEX, ENCODING_KEY, INDEX_KEY, indexColumnName, indexValues } from "./anndata/dataframe-index.js"
export { dataframeTable, defaultDataframe } from "./anndata/dataframe-table.js"
export { type BackedAnnData, type BackedMatrix } from "./anndata/backed.js"
export { type AnnDataSummary, type DataFrameSummary } from "./anndata/describe.js"
export { type Indexer, range, type Range } from "./anndata/slicing.js"
export type { ElementSink, ElementSource } from "./anndata/element-store.js"
export { readH5ad } from "./anndata/h5/read-h5ad.js"
export { openH5ad } from "./anndata/h5/open-h5ad.js"
export { writeH5ad } from "./anndata/h5/write-h5ad.js"
export { DEFAULT_CHUNK_BYTES, type H5ReadOptions } from "./anndata/h5/h5-source.js"
export type { H5WriteOptions } from "./anndata/h5/h5-sink.js"

// zarr
export { openZarr, zarrOtype, type ZarrOtype } from "./zarr/open.js"
export { openAnnDataZarr, readAnnDataZarr, writeAnnDataZarr } from "./zarr/anndata-zarr.js"
export { LocalZarrStore, localZarrStore, type WritableZarrStore, type ZarrLocation, type ZarrStore } from "./zarr/store.js"
export { type ZarrCompressor, type ZarrWriteOptions } from "./zarr/zarr-sink.js"
export { registerNodeCodecs } from "./zarr/codecs.js"
