/**
 * Reading `.h5ad` files into memory.
 *
 * @module
 */
import { Effect } from "effect"
import type { StorageError, ValidationError } from "../../../errors.js"
import type { AnnData } from "../anndata.js"
import { readAnnData } from "../read-elements.js"
import { h5Source, type H5ReadOptions, openH5File } from "./h5-source.js"

/**
 * Reads a whole `.h5ad` file (anndata ≥ 0.8 encodings) into an {@link AnnData}.
 *
 * Fails with a {@link ValidationError} for files that are not HDF5, truncated or corrupted, have
 * an unknown encoding-type, or are misaligned (obs length ≠ rows of X, …); with a
 * {@link StorageError} when the file cannot be opened.
 */
export const readH5ad = (path: string, options: H5ReadOptions = {}): Effect.Effect<AnnData, StorageError | ValidationError> =>
  Effect.scoped(Effect.flatMap(openH5File(path), (file) => readAnnData(h5Source(file, options))))
