/**
 * Loading a local file or folder by its format.
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { type Table } from "apache-arrow"
import type * as zarr from "zarrita"
import { InvalidArgument, StorageError, type ValidationError } from "../errors.js"
import type { AnnData } from "./anndata/anndata.js"
import type { DenseArray } from "./anndata/dense-array.js"
import { readH5ad } from "./anndata/h5/read-h5ad.js"
import { formatOf, type FormatName, KNOWN_SUFFIXES } from "./format-of.js"
import { readCsv } from "./table/csv.js"
import { readArrowIpc } from "./table/ipc.js"
import { readParquet } from "./table/parquet.js"
import { readAnnDataZarr } from "./zarr/anndata-zarr.js"
import { openZarr, zarrOtype } from "./zarr/open.js"
import { localZarrStore, type ZarrStore } from "./zarr/store.js"
import { zarrSource } from "./zarr/zarr-source.js"

/** A loaded value, tagged by what it is. */
export type Loaded =
  | { readonly _tag: "DataFrame"; readonly format: "parquet" | "arrow" | "csv"; readonly table: Table }
  | { readonly _tag: "AnnData"; readonly format: "h5ad" | "anndata-zarr"; readonly adata: AnnData }
  | { readonly _tag: "Array"; readonly format: "zarr"; readonly array: DenseArray }
  | { readonly _tag: "Group"; readonly format: "zarr"; readonly group: zarr.Group<ZarrStore> }

/** Errors of {@link loadByFormat}. */
export type LoadError = InvalidArgument | StorageError | ValidationError

/** The format of an existing local path, looking inside `.zarr` folders for AnnData stores. */
export const detectFormat = (localPath: string): Effect.Effect<FormatName, LoadError> =>
  Effect.gen(function*() {
    if (!fs.existsSync(localPath)) {
      return yield* Effect.fail(new StorageError({ message: `${localPath} does not exist`, path: localPath }))
    }
    const format = formatOf(localPath)
    if (format === undefined) {
      return yield* Effect.fail(new InvalidArgument({
        message: `Cannot tell the format of ${localPath}: its suffix is not one of ${KNOWN_SUFFIXES.join(", ")}`
      }))
    }
    if (format === "zarr" && (yield* zarrOtype(localPath)) === "AnnData") return "anndata-zarr"
    return format
  })

/**
 * Loads a local file or folder into memory by its format: Parquet/Arrow/CSV → Arrow table,
 * `.h5ad`/AnnData zarr → {@link AnnData}, a zarr array → {@link DenseArray}, another zarr group →
 * an opened zarrita group.
 */
export const loadByFormat = (localPath: string): Effect.Effect<Loaded, LoadError> =>
  Effect.gen(function*() {
    const format = yield* detectFormat(localPath)
    switch (format) {
      case "parquet":
        return { _tag: "DataFrame", format, table: yield* readParquet(localPath) } as const
      case "arrow":
        return { _tag: "DataFrame", format, table: yield* readArrowIpc(localPath) } as const
      case "csv":
        return { _tag: "DataFrame", format, table: yield* readCsv(localPath) } as const
      case "h5ad":
        return { _tag: "AnnData", format, adata: yield* readH5ad(localPath) } as const
      case "anndata-zarr":
        return { _tag: "AnnData", format, adata: yield* readAnnDataZarr(localPath) } as const
      case "zarr": {
        if ((yield* zarrOtype(localPath)) === "array") {
          return { _tag: "Array", format, array: yield* zarrSource(localZarrStore(localPath), localPath).read("") } as const
        }
        const node = yield* openZarr(localPath)
        if (node.kind !== "group") {
          return yield* Effect.fail(new InvalidArgument({ message: `${localPath}: expected a zarr group` }))
        }
        return { _tag: "Group", format, group: node } as const
      }
    }
  })
