/**
 * Backed `.h5ad` access: open once, then read slices of `X`/layers and selected `obs`/`var`
 * columns on demand. Reads go through the WASM heap in blocks of `chunkBytes`, so files of any
 * size (including > 2 GiB, beyond h5wasm's heap cap) can be sliced.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import type { StorageError, ValidationError } from "../../../errors.js"
import { type BackedAnnData, backedAnnData } from "../backed.js"
import { h5Source, type H5ReadOptions, openH5File } from "./h5-source.js"

/**
 * Opens a `.h5ad` file for partial reads. The file stays open until the enclosing scope
 * closes (use `Effect.scoped`).
 *
 * ```ts
 * const rows = yield* Effect.scoped(Effect.gen(function*() {
 *   const adata = yield* openH5ad("pbmc.h5ad")
 *   return yield* adata.X!.slice(range(0, 100))
 * }))
 * ```
 */
export const openH5ad = (
  path: string,
  options: H5ReadOptions = {}
): Effect.Effect<BackedAnnData, StorageError | ValidationError, Scope.Scope> =>
  Effect.flatMap(openH5File(path), (file) => backedAnnData(h5Source(file, options)))
