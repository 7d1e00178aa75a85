/**
 * Opening zarr stores (v2 or v3) and telling what they hold.
 *
 * @module
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import * as zarr from "zarrita"
import { StorageError, ValidationError } from "../../errors.js"
import { errorText } from "../atomic.js"
import { registerNodeCodecs } from "./codecs.js"
import { locationName, storeOf, type ZarrLocation, type ZarrStore } from "./store.js"
import { readZarrNode } from "./zarr-source.js"

/** What a `.zarr` store holds, by its root metadata. */
export type ZarrOtype = "AnnData" | "array" | "group"

const missing = (name: string) =>
  Effect.fail(new StorageError({ message: `${name} does not exist`, path: name }))

const checkLocal = (location: ZarrLocation) =>
  typeof location === "string" && !fs.existsSync(location) ? missing(location) : Effect.void

/**
 * Opens the zarr array or group at `path` (default: the root) of a folder or store, v2 or v3.
 * Read arrays with `zarr.get(array, [zarr.slice(0, 10), null])`.
 */
export const openZarr = (
  location: ZarrLocation,
  path = ""
): Effect.Effect<zarr.Array<zarr.DataType, ZarrStore> | zarr.Group<ZarrStore>, StorageError | ValidationError> =>
  Effect.gen(function*() {
    yield* checkLocal(location)
    registerNodeCodecs()
    const name = locationName(location)
    const store = storeOf(location)
    return yield* Effect.tryPromise({
      try: () => zarr.open(zarr.root(store).resolve(path === "" ? "/" : `/${path}`)),
      catch: (cause) =>
        zarr.isZarritaError(cause)
          ? new ValidationError({ message: `${name}${path === "" ? "" : `/${path}`} is not a readable zarr array or group: ${errorText(cause)}` })
          : new StorageError({ message: `Cannot open zarr ${name}: ${errorText(cause)}`, path: name, cause })
    })
  })

/**
 * Detects what a zarr store holds from its root metadata: an AnnData store (a group with
 * `encoding-type: anndata`, or with `obs`/`var` dataframes), a plain array, or another group.
 */
export const zarrOtype = (location: ZarrLocation): Effect.Effect<ZarrOtype, StorageError | ValidationError> =>
  Effect.gen(function*() {
    yield* checkLocal(location)
    const name = locationName(location)
    const store = storeOf(location)
    const read = (path: string) =>
      Effect.tryPromise({
        try: () => readZarrNode(store, path),
        catch: (cause) =>
          cause instanceof SyntaxError
            ? new ValidationError({ message: `${name}: invalid zarr metadata JSON: ${errorText(cause)}` })
            : new StorageError({ message: `Cannot read ${name}: ${errorText(cause)}`, path: name, cause })
      })
    const root = yield* read("")
    if (root === undefined) {
      return yield* Effect.fail(new ValidationError({ message: `${name} is not a zarr store (no .zgroup, .zarray or zarr.json at its root)` }))
    }
    if (root.kind === "array") return "array"
    if (root.attrs["encoding-type"] === "anndata") return "AnnData"
    const obs = yield* read("obs")
    const var_ = yield* read("var")
    return obs?.attrs["encoding-type"] === "dataframe" && var_?.attrs["encoding-type"] === "dataframe" ? "AnnData" : "group"
  })
