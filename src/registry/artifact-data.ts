/**
 * The format side of artifacts: what `fromPath` records about a table or AnnData file
 * (otype, n_observations, columns, shape), writing in-memory tables and AnnData to files for
 * `fromTable`/`fromAnnData`, and reading or opening artifact bytes by format.
 *
 * Loaded on first use (`import()` from Artifact.ts), and each operation imports only its own
 * format's modules: the format libraries (apache-arrow, parquet-wasm, h5wasm, zarrita) take up
 * to a second each to load, which the CLI's other commands — and `lamina save` of a CSV, which
 * needs only apache-arrow — must not pay.
 *
 * @module
 */
import { promises as fs, statSync } from "node:fs"
import * as path from "node:path"
import type { Table } from "apache-arrow"
import { Effect, type Scope } from "effect"
import { type InvalidArgument, StorageError, type ValidationError } from "../errors.js"
import type { AnnData } from "../formats/anndata/anndata.js"
import type { BackedAnnData } from "../formats/anndata/backed.js"
import type { FileDescription } from "../formats/file-description.js"
import { formatOf } from "../formats/format-of.js"
import type { ZarrNode, ZarrStore } from "../formats/zarr/store.js"
import type { AnnDataFormat, ArtifactOptions, PendingOf, TableFormat } from "./artifact/options.js"
import { keepScratchDir, makeScratchDir, removeScratchDir } from "./artifact/scratch.js"

export type { AnnDataFormat, TableFormat } from "./artifact/options.js"

/** Modules of the format layer, imported when first needed. */
const csvModule = Effect.promise(() => import("../formats/table/csv.js"))
const tableDescribeModule = Effect.promise(() => import("../formats/table/describe.js"))
const describeModule = Effect.promise(() => import("../formats/describe-file.js"))
const parquetModule = Effect.promise(() => import("../formats/table/parquet.js"))
const ipcModule = Effect.promise(() => import("../formats/table/ipc.js"))
const anndataModule = Effect.promise(() => import("../formats/anndata/anndata.js"))
const h5adModule = Effect.promise(() => Promise.all([import("../formats/anndata/h5/read-h5ad.js"), import("../formats/anndata/h5/write-h5ad.js"), import("../formats/anndata/h5/open-h5ad.js")]))
const zarrModule = Effect.promise(() => Promise.all([import("../formats/zarr/anndata-zarr.js"), import("../formats/zarr/open.js"), import("../formats/zarr/store.js")]))

/** What the registry records about a file in a known format. */
export interface Inspection {
  /** `"DataFrame"`, `"AnnData"`, or `undefined` for a plain zarr array or group. */
  readonly otype?: string
  readonly kind?: string
  readonly n_observations?: number
  /** Kept in the artifact's `_aux` for `describe`. */
  readonly aux: Record<string, unknown>
}

/**
 * CSV files up to this size are parsed at registration to record their row count and column
 * types; larger ones are registered as plain files (a CSV has no footer to read cheaply).
 */
export const MAX_INSPECTED_CSV_BYTES = 64 * 1024 * 1024

const nonEmpty = (name: string, keys: ReadonlyArray<string>): Record<string, unknown> =>
  keys.length === 0 ? {} : { [name]: keys }

/** The registry fields of a {@link FileDescription}. */
export const inspectionOf = (d: FileDescription): Inspection => {
  if (d.otype === "DataFrame") {
    return { otype: "DataFrame", kind: "dataset", ...(d.n_observations === undefined ? {} : { n_observations: d.n_observations }), aux: { format: d.format, columns: d.columns ?? [] } }
  }
  if (d.otype === "AnnData" && d.anndata !== undefined) {
    const a = d.anndata
    return {
      otype: "AnnData",
      kind: "dataset",
      n_observations: a.shape[0],
      aux: {
        format: d.format === "anndata-zarr" ? "zarr" : d.format,
        shape: a.shape,
        ...(a.X === undefined ? {} : { X: a.X }),
        obs: a.obs,
        var: a.var,
        ...nonEmpty("layers", a.layers),
        ...nonEmpty("obsm", a.obsm),
        ...nonEmpty("varm", a.varm),
        ...nonEmpty("obsp", a.obsp),
        ...nonEmpty("varp", a.varp),
        ...nonEmpty("uns", a.uns)
      }
    }
  }
  return {
    aux: {
      format: d.format,
      zarr: d.otype,
      ...(d.shape === undefined ? {} : { shape: d.shape }),
      ...(d.dtype === undefined ? {} : { dtype: d.dtype }),
      ...(d.keys === undefined ? {} : { keys: d.keys })
    }
  }
}

/**
 * Reads the format metadata of a local file or folder (Parquet footer, HDF5/zarr metadata; a
 * CSV up to {@link MAX_INSPECTED_CSV_BYTES} is parsed). `undefined` for unknown suffixes and for
 * CSV files that are too large or do not parse as a table (they stay plain files). A damaged
 * `.parquet`, `.arrow`, `.h5ad` or `.zarr` fails with an error naming the file.
 */
export const inspectPath = (
  localPath: string,
  options: { readonly maxCsvBytes?: number } = {}
): Effect.Effect<Inspection | undefined, ValidationError | StorageError | InvalidArgument> => {
  const format = formatOf(localPath)
  if (format === undefined) return Effect.succeed(undefined)
  if (format === "csv") {
    const size = statSync(localPath).size
    if (size > (options.maxCsvBytes ?? MAX_INSPECTED_CSV_BYTES)) return Effect.succeed(undefined)
    // CSV only needs the CSV reader (apache-arrow), not the whole format layer
    return Effect.gen(function* () {
      const [{ readCsv }, { describeTable }] = yield* Effect.all([csvModule, tableDescribeModule])
      const table = yield* readCsv(localPath)
      const d = describeTable(table)
      return inspectionOf({ otype: "DataFrame", format: "csv", kind: "dataset", n_observations: d.n_observations, columns: d.columns })
    }).pipe(
      Effect.catchTag("ValidationError", (e) =>
        Effect.as(Effect.logDebug(`registering ${localPath} as a plain file: ${e.message}`), undefined))
    )
  }
  return Effect.flatMap(describeModule, ({ describeFile }) => Effect.map(describeFile(localPath), inspectionOf))
}

/** The table format of a suffix or path, if it is one. */
export const tableFormatOf = (suffixOrPath: string): TableFormat | undefined => {
  const f = formatOf(suffixOrPath)
  return f === "parquet" || f === "arrow" || f === "csv" ? f : undefined
}

/** The AnnData format a suffix or path names, if any (`.zarr` counts as AnnData zarr here). */
export const annDataFormatOf = (suffixOrPath: string): AnnDataFormat | undefined => {
  const f = formatOf(suffixOrPath)
  return f === "h5ad" ? "h5ad" : f === "zarr" || f === "anndata-zarr" ? "zarr" : undefined
}

/** Writes a table in `format` (the delimiter of a CSV follows the path: tab for `.tsv`). */
export const writeTableFile = (table: Table, file: string, format: TableFormat): Effect.Effect<void, InvalidArgument | StorageError> => {
  switch (format) {
    case "parquet":
      return Effect.flatMap(parquetModule, (m) => m.writeParquet(table, file))
    case "arrow":
      return Effect.flatMap(ipcModule, (m) => m.writeArrowIpc(table, file))
    case "csv":
      return Effect.flatMap(csvModule, (m) => m.writeCsv(table, file))
  }
}

/** Writes an AnnData as `.h5ad` or as an AnnData zarr v2 folder. */
export const writeAnnDataFile = (adata: AnnData, file: string, format: AnnDataFormat): Effect.Effect<void, ValidationError | StorageError> =>
  format === "h5ad"
    ? Effect.flatMap(h5adModule, ([, { writeH5ad }]) => writeH5ad(adata, file))
    : Effect.flatMap(zarrModule, ([{ writeAnnDataZarr }]) => writeAnnDataZarr(adata, file))

/** Checks an AnnData's alignment before anything is written (obs vs X rows, var vs X columns, …). */
export const checkAnnData = (adata: AnnData): Effect.Effect<AnnData, ValidationError> =>
  Effect.flatMap(anndataModule, (m) => m.validateAnnData(adata))

/**
 * A pending artifact for an in-memory value: written to a private temporary folder now (so
 * `fromPath` can describe it), registered by `save()` through the normal save path, and the
 * temporary copy removed once `save()` ends. A second `save()` writes it again.
 */
export const pendingFromMemory = <A>(
  fileName: string,
  write: (file: string) => Effect.Effect<void, InvalidArgument | ValidationError | StorageError>,
  options: ArtifactOptions,
  fromPath: (file: string, options: ArtifactOptions) => Effect.Effect<PendingOf<A>, InvalidArgument | ValidationError | StorageError>
): Effect.Effect<PendingOf<A>, InvalidArgument | ValidationError | StorageError> =>
  Effect.gen(function* () {
    const dir = makeScratchDir()
    const file = path.join(dir, fileName)
    const cleanup = removeScratchDir(dir)
    yield* write(file).pipe(Effect.tapErrorCause(() => cleanup))
    const pending = yield* fromPath(file, options).pipe(Effect.tapErrorCause(() => cleanup))
    // The value was written once already: writing it again can only fail on I/O.
    const rewrite = write(file).pipe(
      Effect.catchTag("ValidationError", (e) => Effect.fail(new StorageError({ message: `Cannot write ${file} again: ${e.message}`, path: file })))
    )
    const ensureWritten = Effect.flatMap(
      Effect.promise(() =>
        fs.access(file).then(
          () => true,
          () => {
            // Written again below: its folder is the process's to remove again.
            keepScratchDir(dir)
            return false
          }
        )
      ),
      (present) => (present ? Effect.void : rewrite)
    )
    return {
      ...pending,
      save: () => ensureWritten.pipe(Effect.zipRight(Effect.suspend(() => pending.save())), Effect.ensuring(cleanup))
    } satisfies PendingOf<A>
  })

/** Reads a Parquet, Arrow IPC or CSV/TSV file (`suffix` decides the CSV delimiter). */
export const readTableFile = (
  local: string,
  format: TableFormat,
  suffix: string
): Effect.Effect<Table, ValidationError | StorageError | InvalidArgument> => {
  switch (format) {
    case "parquet":
      return Effect.flatMap(parquetModule, (m) => m.readParquet(local))
    case "arrow":
      return Effect.flatMap(ipcModule, (m) => m.readArrowIpc(local))
    case "csv":
      return Effect.flatMap(csvModule, (m) => m.readCsv(local, { delimiter: /\.tsv$/i.test(suffix) ? "\t" : "," }))
  }
}

/** Whether a local or remote zarr store holds AnnData. */
export const zarrIsAnnData = (store: ZarrStore): Effect.Effect<boolean, ValidationError | StorageError> =>
  Effect.flatMap(zarrModule, ([, { zarrOtype }]) => Effect.map(zarrOtype(store), (o) => o === "AnnData"))

/** Reads an AnnData `.h5ad` file or zarr folder into memory. */
export const readAnnDataFile = (local: string, format: AnnDataFormat): Effect.Effect<AnnData, ValidationError | StorageError> =>
  format === "h5ad"
    ? Effect.flatMap(h5adModule, ([{ readH5ad }]) => readH5ad(local))
    : Effect.flatMap(zarrModule, ([{ readAnnDataZarr }, , { localZarrStore }]) => readAnnDataZarr(localZarrStore(local)))

/** A store over a local zarr folder (whatever its name). */
export const localStore = (folder: string): Effect.Effect<ZarrStore> => Effect.map(zarrModule, ([, , { localZarrStore }]) => localZarrStore(folder))

/** What `open()` gives: an AnnData opened for partial reads, or a plain zarr array or group. */
export type OpenedArtifact =
  | { readonly _tag: "AnnData"; readonly format: AnnDataFormat; readonly adata: BackedAnnData }
  | { readonly _tag: "Zarr"; readonly node: ZarrNode }

/** Opens a local `.h5ad` for partial reads; it stays open until the scope closes. */
export const openH5adFile = (local: string): Effect.Effect<OpenedArtifact, ValidationError | StorageError, Scope.Scope> =>
  Effect.flatMap(h5adModule, ([, , { openH5ad }]) => Effect.map(openH5ad(local), (adata) => ({ _tag: "AnnData", format: "h5ad", adata }) as const))

/** Opens a zarr store: AnnData stores as backed AnnData, anything else as a zarrita node. */
export const openZarrStore = (store: ZarrStore, annData: boolean | undefined): Effect.Effect<OpenedArtifact, ValidationError | StorageError> =>
  Effect.gen(function* () {
    const [{ openAnnDataZarr }, { openZarr }] = yield* zarrModule
    const isAnnData = annData ?? (yield* zarrIsAnnData(store))
    if (isAnnData) return { _tag: "AnnData", format: "zarr", adata: yield* openAnnDataZarr(store) } as const
    return { _tag: "Zarr", node: yield* openZarr(store) } as const
  })
