/**
 * AnnData in zarr: reading (v2 or v3 stores, as anndata writes them) and writing zarr v2 stores
 * that Python zarr 2.x / anndata 0.8 read.
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { StorageError, type ValidationError } from "../../errors.js"
import { writeAtomically } from "../atomic.js"
import { type AnnData, validateAnnData } from "../anndata/anndata.js"
import { type BackedAnnData, backedAnnData } from "../anndata/backed.js"
import { readAnnData } from "../anndata/read-elements.js"
import { writeAnnData } from "../anndata/write-elements.js"
import { localZarrStore, locationName, storeOf, type WritableZarrStore, type ZarrLocation } from "./store.js"
import { zarrSink, type ZarrWriteOptions } from "./zarr-sink.js"
import { zarrSource } from "./zarr-source.js"

const exists = (location: ZarrLocation) =>
  typeof location === "string" && !fs.existsSync(location)
    ? Effect.fail(new StorageError({ message: `${location} does not exist`, path: location }))
    : Effect.void

/** Reads a whole AnnData zarr store (folder or store) into memory and validates it. */
export const readAnnDataZarr = (location: ZarrLocation): Effect.Effect<AnnData, StorageError | ValidationError> =>
  Effect.flatMap(exists(location), () => readAnnData(zarrSource(storeOf(location), locationName(location))))

/** Opens an AnnData zarr store for partial reads (slices of X, selected obs/var columns). */
export const openAnnDataZarr = (location: ZarrLocation): Effect.Effect<BackedAnnData, StorageError | ValidationError> =>
  Effect.flatMap(exists(location), () => backedAnnData(zarrSource(storeOf(location), locationName(location))))

const writeTo = (adata: AnnData, store: WritableZarrStore, name: string, options: ZarrWriteOptions) =>
  Effect.gen(function*() {
    const sink = zarrSink(store, name, options)
    yield* writeAnnData(sink, adata)
    yield* sink.finish()
  })

/**
 * Writes `adata` as a zarr v2 AnnData store. A folder path is written atomically (to a temporary
 * sibling folder, then renamed); a store is written in place.
 */
export const writeAnnDataZarr = (
  adata: AnnData,
  target: string | WritableZarrStore,
  options: ZarrWriteOptions = {}
): Effect.Effect<void, StorageError | ValidationError> =>
  Effect.gen(function*() {
    const name = locationName(target)
    yield* validateAnnData(adata, name)
    if (typeof target === "string") {
      yield* writeAtomically(target, (tmp) => writeTo(adata, localZarrStore(tmp), target, options))
    } else {
      yield* writeTo(adata, target, name, options)
    }
  })
