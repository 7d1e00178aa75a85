/**
 * The options of a new artifact and the shape of an artifact described but not yet saved.
 * Types only, so the format layer (`../artifact-data.ts`) and the save protocol can share them
 * without importing each other.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Effect } from "effect"
import type { IntegrityError, InvalidArgument, StorageError, ValidationError } from "../../errors.js"
import type { Instance } from "../../instance/Instance.js"
import type { ObjectStore } from "../../storage/ObjectStore.js"
import type { ArtifactRow } from "./model.js"

/** Services artifact operations need. */
export type ArtifactEnv = SqlClient.SqlClient | ObjectStore | Instance

/** Table formats an artifact can hold. */
export type TableFormat = "parquet" | "arrow" | "csv"

/** AnnData formats an artifact can hold (`zarr`: an AnnData zarr v2 folder). */
export type AnnDataFormat = "h5ad" | "zarr"

/** Options for a new artifact. */
export interface ArtifactOptions {
  /** A path-like key inside storage, e.g. `raw/sample1.csv`. */
  readonly key?: string
  readonly description?: string
  /** LaminDB's kind: "dataset", "model", … */
  readonly kind?: string
  readonly otype?: string
  readonly n_observations?: number
  /** A human version tag (else the uid suffix is the version). */
  readonly version_tag?: string
  /** Make this a new version of that artifact's family. */
  readonly revises?: ArtifactRow
  /**
   * Format metadata kept for `describe` (columns, shape …). For a file in a known format
   * `fromPath` fills it (and `otype`, `kind`, `n_observations`) from the file's metadata;
   * entries given here win.
   */
  readonly aux?: Record<string, unknown>
  /**
   * Read the format metadata of `.parquet`, `.arrow`, `.csv`, `.h5ad` and `.zarr` files at
   * `fromPath` (default `true`). A damaged file of those formats then fails with a
   * `ValidationError`; pass `false` to register such a file as plain bytes.
   */
  readonly inspect?: boolean
  /**
   * Feature values (`{ temperature: 21.6 }`), checked against their features before anything
   * is saved and written once the artifact is registered (see `artifact.features.add`).
   */
  readonly features?: Readonly<Record<string, unknown>>
}

/** Options of `Artifact.fromTable`. */
export interface TableArtifactOptions extends Omit<ArtifactOptions, "otype" | "n_observations" | "inspect"> {
  /** `"parquet"` (default unless the key's suffix says otherwise), `"arrow"` (IPC file) or `"csv"`. */
  readonly format?: TableFormat
}

/** Options of `Artifact.fromAnnData`. */
export interface AnnDataArtifactOptions extends Omit<ArtifactOptions, "otype" | "n_observations" | "inspect"> {
  /** `"h5ad"` (default unless the key ends in `.zarr`) or `"zarr"` (an AnnData zarr v2 folder). */
  readonly format?: AnnDataFormat
}

/** What a pending artifact registers: the bytes' location and the options. */
export interface PendingSource {
  readonly localPath: string
  readonly isFolder: boolean
  readonly suffix: string
  readonly options: ArtifactOptions
}

/** Errors of `save()` (`ValidationError`: feature values given at creation). */
export type SaveError = InvalidArgument | StorageError | IntegrityError | ValidationError

/** An artifact that is described but not yet saved; `save()` yields an `A`. */
export interface PendingOf<A> extends PendingSource {
  /** Copy (or hash in place), deduplicate, version and register. */
  readonly save: () => Effect.Effect<A, SaveError, ArtifactEnv>
}
