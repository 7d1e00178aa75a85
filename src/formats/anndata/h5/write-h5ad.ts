/**
 * Writing `.h5ad` files that Python's anndata (0.8.0 as shipped by Debian, and later) reads:
 * booleans and categorical `ordered` flags included (see `bool-enum-patch.ts`).
 *
 * @module
 */
import { Effect } from "effect"
import { StorageError, ValidationError } from "../../../errors.js"
import { errorText, writeAtomically } from "../../atomic.js"
import { type AnnData, validateAnnData } from "../anndata.js"
import { writeAnnData } from "../write-elements.js"
import { appendDeferredArrays, type DeferredArray } from "./append-large.js"
import { type BoolTarget, patchBoolPlaceholders } from "./bool-enum-patch.js"
import { FormatError } from "./hdf5-objects.js"
import { createH5File, h5Sink, type H5WriteOptions } from "./h5-sink.js"
import { h5module } from "./hdf5.js"

/**
 * Writes `adata` to `path` as `.h5ad` (atomically: a temporary file in the same directory is
 * renamed into place). Fails with a {@link ValidationError} when `adata` is misaligned or holds
 * values AnnData cannot store.
 */
export const writeH5ad = (
  adata: AnnData,
  path: string,
  options: H5WriteOptions = {}
): Effect.Effect<void, StorageError | ValidationError> =>
  Effect.gen(function*() {
    yield* validateAnnData(adata, path)
    const M = yield* h5module
    yield* writeAtomically(path, (tmp) =>
      Effect.gen(function*() {
        const fid = yield* createH5File(M, tmp, path)
        const targets: BoolTarget[] = []
        const deferred: DeferredArray[] = []
        yield* writeAnnData(h5Sink(M, fid, path, targets, deferred, options), adata).pipe(
          Effect.ensuring(Effect.sync(() => {
            try {
              M.close_file(fid)
            } catch {
              // already failing; the temporary file is removed
            }
          }))
        )
        yield* patchBoolPlaceholders(tmp, targets)
        yield* Effect.try({
          try: () => appendDeferredArrays(tmp, deferred),
          catch: (cause) =>
            cause instanceof FormatError
              ? new ValidationError({ message: `${path}: cannot append large arrays: ${cause.message}` })
              : new StorageError({ message: `Cannot write ${path}: ${errorText(cause)}`, path, cause })
        })
      }))
  })
