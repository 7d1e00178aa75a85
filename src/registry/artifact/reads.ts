/**
 * Reading an artifact's bytes: a verified local copy, raw bytes, Arrow tables, AnnData (whole
 * or opened for partial reads). Each read records the artifact as an input of the current run.
 *
 * @module
 */
import { promises as fs } from "node:fs"
import type { Table } from "apache-arrow"
import { Effect, Option, type Scope } from "effect"
import { InvalidArgument, StorageError, ValidationError } from "../../errors.js"
import type { AnnData } from "../../formats/anndata/anndata.js"
import type { BackedAnnData } from "../../formats/anndata/backed.js"
import { currentRun } from "../../flow/CurrentRun.js"
import type { ContentHash } from "../../storage/hash.js"
import { ObjectStore } from "../../storage/ObjectStore.js"
import type { AnnDataFormat, OpenedArtifact } from "../artifact-data.js"
import { ObjectStoreZarrStore } from "../object-store-zarr.js"
import type { ArtifactEnv } from "./options.js"
import type { ArtifactView } from "./paths.js"
import { artifactData } from "./pending.js"

type ReadError = InvalidArgument | ValidationError | StorageError

/** Record `artifact` as an input of the current run, unless that run created it. */
export const recordInput = (artifact: ArtifactView) =>
  Effect.flatMap(currentRun, (run) =>
    Option.isSome(run) && run.value.runId !== artifact.run_id ? run.value.recordInput(artifact.id) : Effect.void
  )

/** The same error, its message prefixed with the artifact it came from. */
const inArtifact = (artifact: ArtifactView) => (e: ReadError): ReadError => {
  const message = `Artifact ${artifact.label}: ${e.message}`
  switch (e._tag) {
    case "InvalidArgument":
      return new InvalidArgument({ message })
    case "ValidationError":
      return new ValidationError({ message })
    case "StorageError":
      return new StorageError({ message, ...(e.path === undefined ? {} : { path: e.path }), cause: e.cause ?? e })
  }
}

/** A local path to the bytes (downloaded and verified for remote storage); records a run input. */
export const cacheArtifact = (a: ArtifactView): Effect.Effect<string, StorageError, ArtifactEnv> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore
    const expected = a.hash && a.hash_type && a.size !== null ? { hash: a.hash, hash_type: a.hash_type as ContentHash["hash_type"], size: a.size } : undefined
    const local = yield* store.localPath(a.storageKey, { folder: a.isFolder, ...(expected ? { expected } : {}) })
    yield* recordInput(a)
    return local
  })

/** The raw bytes of a file artifact. */
export const loadBytes = (a: ArtifactView): Effect.Effect<Uint8Array, StorageError | InvalidArgument, ArtifactEnv> =>
  Effect.gen(function* () {
    if (a.isFolder)
      return yield* new InvalidArgument({
        message: `Artifact ${a.uid} is a folder: use cache() for its local path${a.suffix.endsWith(".zarr") ? ", loadAnnData() or open() to read the zarr store" : ""}.`
      })
    const local = yield* cacheArtifact(a)
    return yield* Effect.tryPromise({
      try: async () => new Uint8Array(await fs.readFile(local)),
      catch: (cause) => new StorageError({ message: `Reading artifact ${a.uid} failed: ${String(cause)}`, path: local, cause })
    })
  })

/** A Parquet, Arrow IPC or CSV artifact as an Arrow `Table`. */
export const loadTable = (a: ArtifactView): Effect.Effect<Table, ReadError, ArtifactEnv> =>
  Effect.gen(function* () {
    const format = a.format
    if (format !== "parquet" && format !== "arrow" && format !== "csv")
      return yield* new InvalidArgument({
        message: `Artifact ${a.label} (${a.suffix || "no suffix"}) is not a table: loadTable() reads .parquet, .arrow and .csv artifacts${a.isFolder ? "" : "; load() gives its bytes"}.`
      })
    const local = yield* cacheArtifact(a)
    const data = yield* artifactData
    return yield* data.readTableFile(local, format, a.suffix).pipe(Effect.mapError(inArtifact(a)))
  })

/** The AnnData format of an artifact, or an error saying which loader fits. */
const annDataFormat = (a: ArtifactView): Effect.Effect<AnnDataFormat, InvalidArgument> => {
  const format = a.format
  if (format === "h5ad") return Effect.succeed("h5ad")
  if (format === "zarr" || format === "anndata-zarr") return Effect.succeed("zarr")
  return Effect.fail(
    new InvalidArgument({
      message: `Artifact ${a.label} (${a.suffix || "no suffix"}) is not an AnnData: loadAnnData() reads .h5ad and AnnData .zarr artifacts${format === undefined ? "" : "; use loadTable() for tables"}.`
    })
  )
}

const notAnnData = (a: ArtifactView) =>
  new InvalidArgument({ message: `Artifact ${a.label} is a zarr store but not an AnnData: use open() for its arrays and groups.` })

/** An `.h5ad` or AnnData zarr artifact read whole into memory. */
export const loadAnnData = (a: ArtifactView): Effect.Effect<AnnData, ReadError, ArtifactEnv> =>
  Effect.gen(function* () {
    const format = yield* annDataFormat(a)
    const local = yield* cacheArtifact(a)
    const data = yield* artifactData
    if (format === "zarr" && a.otype !== "AnnData" && !(yield* data.zarrIsAnnData(yield* data.localStore(local)).pipe(Effect.mapError(inArtifact(a)))))
      return yield* notAnnData(a)
    return yield* data.readAnnDataFile(local, format).pipe(Effect.mapError(inArtifact(a)))
  })

/** An `.h5ad` or `.zarr` artifact opened for partial reads (see `Artifact.open`). */
export const openArtifact = (a: ArtifactView): Effect.Effect<OpenedArtifact, ReadError, ArtifactEnv | Scope.Scope> =>
  Effect.gen(function* () {
    const format = a.format
    if (format !== "h5ad" && format !== "zarr" && format !== "anndata-zarr")
      return yield* new InvalidArgument({
        message: `Artifact ${a.label} (${a.suffix || "no suffix"}) cannot be opened: open() reads .h5ad and .zarr artifacts; use loadTable() for tables, load() or cache() for other files.`
      })
    const data = yield* artifactData
    if (format === "h5ad") {
      const local = yield* cacheArtifact(a)
      return yield* data.openH5adFile(local).pipe(Effect.mapError(inArtifact(a)))
    }
    const store = yield* ObjectStore
    const annData = format === "anndata-zarr" ? true : undefined
    if (store.type === "local") {
      const local = yield* cacheArtifact(a)
      return yield* data.openZarrStore(yield* data.localStore(local), annData).pipe(Effect.mapError(inArtifact(a)))
    }
    yield* recordInput(a)
    return yield* data.openZarrStore(new ObjectStoreZarrStore(store, a.storageKey), annData).pipe(Effect.mapError(inArtifact(a)))
  })

/** {@link openArtifact} for an artifact that must be an AnnData. */
export const openAnnData = (a: ArtifactView): Effect.Effect<BackedAnnData, ReadError, ArtifactEnv | Scope.Scope> =>
  Effect.flatMap(openArtifact(a), (opened) => (opened._tag === "AnnData" ? Effect.succeed(opened.adata) : Effect.fail(notAnnData(a))))
