/**
 * Recognizing file formats by suffix.
 *
 * @module
 */

/** Formats Lamina reads and writes. */
export type FormatName = "parquet" | "arrow" | "csv" | "h5ad" | "zarr" | "anndata-zarr"

const SUFFIXES: ReadonlyArray<readonly [string, FormatName]> = [
  [".anndata.zarr", "anndata-zarr"],
  [".parquet", "parquet"],
  [".pq", "parquet"],
  [".arrow", "arrow"],
  [".feather", "arrow"],
  [".ipc", "arrow"],
  [".csv", "csv"],
  [".tsv", "csv"],
  [".h5ad", "h5ad"],
  [".zarr", "zarr"]
]

/**
 * The format of a path (`data/x.parquet`, `store.anndata.zarr/`) or a bare suffix (`.h5ad`,
 * `csv`), or `undefined` when Lamina does not know it. A plain `.zarr` folder may still hold an
 * AnnData store: `describeFile`/`loadByFormat` look at its metadata.
 */
export const formatOf = (pathOrSuffix: string): FormatName | undefined => {
  let s = pathOrSuffix.trim().replace(/[\\/]+$/, "").toLowerCase()
  // a bare name or suffix ("csv", "anndata.zarr", "x.h5ad"): compare it as a suffix
  if (!/[\\/]/.test(s) && !s.startsWith(".")) s = `.${s}`
  for (const [suffix, format] of SUFFIXES) if (s.endsWith(suffix)) return format
  return undefined
}

/** Suffixes {@link formatOf} knows, for messages. */
export const KNOWN_SUFFIXES: ReadonlyArray<string> = SUFFIXES.map(([s]) => s)
