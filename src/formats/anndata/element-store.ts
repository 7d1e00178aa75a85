/**
 * The storage-neutral view of an AnnData container (an HDF5 file or a zarr store) that the
 * encoding logic reads from and writes to: a tree of groups and arrays with attributes.
 * HDF5 (`h5/`) and zarr (`../zarr/`) implement it; `read-elements.ts` and `write-elements.ts`
 * implement AnnData's on-disk specification once, over it.
 *
 * Paths are `/`-separated and relative to the container root (`""` is the root).
 *
 * @module
 */
import type { Effect } from "effect"
import type { StorageError, ValidationError } from "../../errors.js"
import type { DenseArray, DType } from "./dense-array.js"

/** A node of the tree. */
export type NodeKind = "group" | "array"

/** An attribute value (HDF5 attributes / zarr `.zattrs` entries). */
export type AttrValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | ReadonlyArray<string>
  | ReadonlyArray<number>
  | ReadonlyArray<boolean>

/** Attributes of a node. */
export type Attrs = Readonly<Record<string, AttrValue>>

/** Shape and element type of an array. */
export interface ArrayInfo {
  readonly shape: ReadonlyArray<number>
  readonly dtype: DType
}

/** A hyper-rectangle: one `[start, stop)` per dimension. */
export type Region = ReadonlyArray<readonly [number, number]>

/** Errors a store fails with: unreadable/corrupt content, or I/O. */
export type StoreError = ValidationError | StorageError

/** Read access to an AnnData container. */
export interface ElementSource {
  /** What to call the container in error messages (its path). */
  readonly name: string
  /** The kind of node at `path`, or `undefined` when there is none. */
  readonly kind: (path: string) => Effect.Effect<NodeKind | undefined, StoreError>
  /** The attributes of the node at `path`. */
  readonly attrs: (path: string) => Effect.Effect<Attrs, StoreError>
  /** Names of the children of the group at `path`, sorted. */
  readonly children: (path: string) => Effect.Effect<ReadonlyArray<string>, StoreError>
  /** Shape and dtype of the array at `path`. */
  readonly info: (path: string) => Effect.Effect<ArrayInfo, StoreError>
  /** Reads the array at `path`, or a region of it (in bounded chunks). */
  readonly read: (path: string, region?: Region) => Effect.Effect<DenseArray, StoreError>
}

/** Write access to an AnnData container being created. */
export interface ElementSink {
  /** What to call the container in error messages (its path). */
  readonly name: string
  /** Creates a group (parents must exist) with attributes. */
  readonly createGroup: (path: string, attrs: Attrs) => Effect.Effect<void, StoreError>
  /** Writes an array (any dtype, `[]` shape for scalars) with attributes. */
  readonly writeArray: (path: string, array: DenseArray, attrs: Attrs) => Effect.Effect<void, StoreError>
}

/** Joins store paths. */
export const joinPath = (...parts: ReadonlyArray<string>): string =>
  parts.filter((p) => p !== "" && p !== "/").map((p) => p.replace(/^\/+|\/+$/g, "")).join("/")
