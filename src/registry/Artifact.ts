/**
 * Artifact registry: versioned, hashed files and folders in storage, LaminDB's semantics.
 *
 * - Same content as an existing artifact → that artifact (description updated, key kept, a warning).
 * - Same key, new content → a new version: same uid stem, next base62 suffix, `is_latest` moved.
 * - Bytes are copied and hashed in one pass to a temporary name and renamed; the registry row
 *   commits only once the data is in place, and a failure leaves neither row nor file.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { accessSync, constants as fsConstants, promises as fs, statSync } from "node:fs"
import * as path from "node:path"
import type { Table } from "apache-arrow"
import { Effect, Option, type Scope } from "effect"
import { DoesNotExist, IntegrityError, InvalidArgument, StorageError, ValidationError } from "../errors.js"
import type { AnnData } from "../formats/anndata/anndata.js"
import type { BackedAnnData } from "../formats/anndata/backed.js"
import { formatOf, type FormatName } from "../formats/format-of.js"
import { currentRun } from "../flow/CurrentRun.js"
import { Instance } from "../instance/Instance.js"
import { QuerySet } from "../query/QuerySet.js"
import type { SearchOptions } from "../query/state.js"
import type { Condition, FilterSpec } from "../query/types.js"
import type { ContentHash } from "../storage/hash.js"
import { ObjectStore, validateKey, type FolderSummary } from "../storage/ObjectStore.js"
import { isS3Uri } from "../storage/s3uri.js"
import type { AnnDataFormat, Inspection, OpenedArtifact, TableFormat } from "./artifact-data.js"
import { insertRow, now, selectRows, sqlFailure, updateRow } from "./crud.js"
import { defineModel, encodeValue, recordFieldTypes, type Row } from "./model.js"
import { ObjectStoreZarrStore } from "./object-store-zarr.js"
import { ownFilesProblem } from "./ownFiles.js"
import { recreatingRunsOf } from "./recreating.js"
import type { Run } from "./Run.js"
import { checkSource } from "./sourceGuard.js"
import { suffixOf } from "./suffix.js"
import { incrementBase62, isBase62, newFamilyUid, splitUid, UID_LENGTH } from "./uid.js"

/** The artifact model. */
export const ArtifactModel = defineModel({
  name: "Artifact",
  table: "lamina_artifact",
  fields: {
    ...recordFieldTypes,
    key: "str",
    description: "str",
    storage_id: "int",
    suffix: "str",
    kind: "str",
    otype: "str",
    size: "int",
    hash: "str",
    hash_type: "str",
    n_files: "int",
    n_observations: "int",
    version_tag: "str",
    is_latest: "bool",
    run_id: "int",
    _key_is_virtual: "bool",
    updated_at: "datetime"
  },
  relations: {
    storage: { model: "Storage", column: "storage_id" },
    run: { model: "Run", column: "run_id" },
    created_by: { model: "User", column: "created_by_id" }
  },
  links: {
    input_of_runs: { model: "Run", table: "lamina_run_input_artifact", selfColumn: "artifact_id", otherColumn: "run_id" },
    recreating_runs: { model: "Run", table: "lamina_artifact_recreating_run", selfColumn: "artifact_id", otherColumn: "run_id" }
  },
  searchFields: ["key", "description"],
  versioned: true
})

/** The JSON form of an artifact: LaminDB's field names, snake_case. */
export interface ArtifactJson {
  readonly uid: string
  readonly key: string | null
  readonly description: string | null
  readonly suffix: string
  readonly kind: string | null
  readonly otype: string | null
  readonly size: number | null
  readonly hash: string | null
  readonly hash_type: string | null
  readonly n_files: number | null
  readonly n_observations: number | null
  readonly version: string
  readonly is_latest: boolean
  readonly branch: number
  readonly created_at: string
  readonly path: string
}

/** Services artifact operations need. */
export type ArtifactEnv = SqlClient.SqlClient | ObjectStore | Instance

/** A registered artifact. */
export class Artifact {
  readonly id!: number
  readonly uid!: string
  readonly key!: string | null
  readonly description!: string | null
  readonly storage_id!: number
  readonly suffix!: string
  readonly kind!: string | null
  readonly otype!: string | null
  readonly size!: number | null
  readonly hash!: string | null
  readonly hash_type!: string | null
  readonly n_files!: number | null
  readonly n_observations!: number | null
  readonly version_tag!: string | null
  readonly is_latest!: boolean
  readonly run_id!: number | null
  readonly _key_is_virtual!: boolean
  readonly _aux!: Record<string, unknown> | null
  readonly created_at!: Date
  readonly updated_at!: Date
  readonly created_by_id!: number | null
  readonly branch!: number
  readonly is_locked!: boolean

  constructor(row: Row) {
    Object.assign(this, row)
  }

  /** The version: the version tag if set, else the uid's 4-char suffix. */
  get version(): string {
    return this.version_tag ?? splitUid(this.uid).suffix
  }

  /** The uid stem shared by all versions. */
  get stem(): string {
    return splitUid(this.uid).stem
  }

  /** True for folder artifacts. */
  get isFolder(): boolean {
    return this.hash_type === "md5-d" || (this.n_files ?? 0) > 1
  }

  /** Where the bytes live inside the storage root. */
  get storageKey(): string {
    return this._key_is_virtual ? virtualStorageKey(this.uid, this.suffix, this.isFolder) : this.key!
  }

  /** The full path or URI of the artifact's bytes. */
  get path(): Effect.Effect<string, never, ObjectStore> {
    return Effect.map(ObjectStore, (store) => store.uri(this.storageKey))
  }

  /** A local path to the bytes (downloaded and verified for remote storage); records a run input. */
  cache(): Effect.Effect<string, StorageError, ArtifactEnv> {
    return Effect.gen(this, function* () {
      const store = yield* ObjectStore
      const expected = this.hash && this.hash_type && this.size !== null
        ? { hash: this.hash, hash_type: this.hash_type as ContentHash["hash_type"], size: this.size }
        : undefined
      const local = yield* store.localPath(this.storageKey, { folder: this.isFolder, ...(expected ? { expected } : {}) })
      yield* recordInput(this)
      return local
    })
  }

  /**
   * The raw bytes of a file artifact, whatever its format. Records a run input.
   *
   * Format-aware access has its own typed methods: {@link Artifact.loadTable} (Parquet, Arrow,
   * CSV → Arrow `Table`), {@link Artifact.loadAnnData} (`.h5ad`, AnnData zarr → `AnnData`) and
   * {@link Artifact.open} (partial reads of `.h5ad` and `.zarr`). A folder has no bytes: use
   * `cache()` for its local path, or the methods above for zarr folders.
   */
  load(): Effect.Effect<Uint8Array, StorageError | InvalidArgument, ArtifactEnv> {
    return Effect.gen(this, function* () {
      if (this.isFolder)
        return yield* new InvalidArgument({
          message: `Artifact ${this.uid} is a folder: use cache() for its local path${this.suffix.endsWith(".zarr") ? ", loadAnnData() or open() to read the zarr store" : ""}.`
        })
      const local = yield* this.cache()
      return yield* Effect.tryPromise({
        try: async () => new Uint8Array(await fs.readFile(local)),
        catch: (cause) => new StorageError({ message: `Reading artifact ${this.uid} failed: ${String(cause)}`, path: local, cause })
      })
    })
  }

  /**
   * The artifact's format as Lamina reads it: from its suffix, with a `.zarr` folder registered
   * as AnnData (otype) counted as `"anndata-zarr"`. `undefined` for other files.
   */
  get format(): FormatName | undefined {
    const f = formatOf(this.suffix)
    return f === "zarr" && this.otype === "AnnData" ? "anndata-zarr" : f
  }

  /**
   * A Parquet, Arrow IPC (`.arrow`, `.feather`) or CSV/TSV artifact as an Arrow `Table` (CSV
   * column types are inferred: numbers, booleans, strings). Records a run input.
   * Fails with `InvalidArgument` for other artifacts, `ValidationError` for damaged files.
   */
  loadTable(): Effect.Effect<Table, InvalidArgument | ValidationError | StorageError, ArtifactEnv> {
    return Effect.gen(this, function* () {
      const format = this.format
      if (format !== "parquet" && format !== "arrow" && format !== "csv")
        return yield* new InvalidArgument({
          message: `Artifact ${this.label} (${this.suffix || "no suffix"}) is not a table: loadTable() reads .parquet, .arrow and .csv artifacts${this.isFolder ? "" : "; load() gives its bytes"}.`
        })
      const local = yield* this.cache()
      const data = yield* artifactData
      return yield* data.readTableFile(local, format, this.suffix).pipe(Effect.mapError(inArtifact(this)))
    })
  }

  /**
   * An `.h5ad` or AnnData zarr artifact read whole into memory. Records a run input.
   * For large data prefer {@link Artifact.open}, which reads only what is asked.
   */
  loadAnnData(): Effect.Effect<AnnData, InvalidArgument | ValidationError | StorageError, ArtifactEnv> {
    return Effect.gen(this, function* () {
      const format = yield* this.annDataFormat()
      const local = yield* this.cache()
      const data = yield* artifactData
      if (format === "zarr" && this.otype !== "AnnData" && !(yield* data.zarrIsAnnData(yield* data.localStore(local)).pipe(Effect.mapError(inArtifact(this)))))
        return yield* new InvalidArgument({ message: `Artifact ${this.label} is a zarr store but not an AnnData: use open() for its arrays and groups.` })
      return yield* data.readAnnDataFile(local, format).pipe(Effect.mapError(inArtifact(this)))
    })
  }

  /**
   * Opens an `.h5ad` or `.zarr` artifact for partial reads and records a run input:
   * `{ _tag: "AnnData", adata }` (a `BackedAnnData`: `adata.X.slice(rows, cols)`,
   * `adata.obs(["cell_type"])`, … read only what is asked) or, for a zarr store that is not an
   * AnnData, `{ _tag: "Zarr", node }` (a zarrita array or group).
   *
   * Needs a `Scope`: an `.h5ad` file stays open until the scope closes (`Effect.scoped`).
   * On S3, zarr stores are read in place (one listing, then only the chunks that are read);
   * an `.h5ad` is first downloaded into the cache (verified against its hash), then opened.
   */
  open(): Effect.Effect<OpenedArtifact, InvalidArgument | ValidationError | StorageError, ArtifactEnv | Scope.Scope> {
    return Effect.gen(this, function* () {
      const format = this.format
      if (format !== "h5ad" && format !== "zarr" && format !== "anndata-zarr")
        return yield* new InvalidArgument({
          message: `Artifact ${this.label} (${this.suffix || "no suffix"}) cannot be opened: open() reads .h5ad and .zarr artifacts; use loadTable() for tables, load() or cache() for other files.`
        })
      const data = yield* artifactData
      if (format === "h5ad") {
        const local = yield* this.cache()
        return yield* data.openH5adFile(local).pipe(Effect.mapError(inArtifact(this)))
      }
      const store = yield* ObjectStore
      const annData = format === "anndata-zarr" ? true : undefined
      if (store.type === "local") {
        const local = yield* this.cache()
        return yield* data.openZarrStore(yield* data.localStore(local), annData).pipe(Effect.mapError(inArtifact(this)))
      }
      yield* recordInput(this)
      return yield* data.openZarrStore(new ObjectStoreZarrStore(store, this.storageKey), annData).pipe(Effect.mapError(inArtifact(this)))
    })
  }

  /** {@link Artifact.open} for an artifact that must be an AnnData: the `BackedAnnData` itself. */
  openAnnData(): Effect.Effect<BackedAnnData, InvalidArgument | ValidationError | StorageError, ArtifactEnv | Scope.Scope> {
    return Effect.flatMap(this.open(), (opened) =>
      opened._tag === "AnnData"
        ? Effect.succeed(opened.adata)
        : Effect.fail(new InvalidArgument({ message: `Artifact ${this.label} is a zarr store but not an AnnData: use open() for its arrays and groups.` }))
    )
  }

  /** The AnnData format of this artifact, or an error saying which loader fits. */
  private annDataFormat(): Effect.Effect<AnnDataFormat, InvalidArgument> {
    const format = this.format
    if (format === "h5ad") return Effect.succeed("h5ad")
    if (format === "zarr" || format === "anndata-zarr") return Effect.succeed("zarr")
    return Effect.fail(
      new InvalidArgument({
        message: `Artifact ${this.label} (${this.suffix || "no suffix"}) is not an AnnData: loadAnnData() reads .h5ad and AnnData .zarr artifacts${format === undefined ? "" : "; use loadTable() for tables"}.`
      })
    )
  }

  /** The key, else the uid, for messages. */
  get label(): string {
    return this.key === null ? this.uid : `'${this.key}' (${this.uid})`
  }

  /** Every version of this artifact, oldest first (trash excluded). */
  get versions(): Effect.Effect<ReadonlyArray<Artifact>, StorageError | IntegrityError, SqlClient.SqlClient> {
    return familyOf(this.stem).pipe(Effect.map((all) => all.filter((a) => a.branch !== -1)))
  }

  /** Move to trash; with `permanent` (or when already in trash) delete the row and the bytes. */
  delete(options?: { readonly permanent?: boolean }) {
    return deleteArtifact(this, options?.permanent ?? false)
  }

  /**
   * Bring a trashed artifact back. The only way out of trash: a save of the same content never
   * revives a trashed artifact (it registers a new one). Inside a run, the run is recorded as a
   * recreating run of the artifact. Fails with `IntegrityError` while a live artifact holds the
   * same content under the same key (restore would duplicate it).
   */
  restore() {
    return Effect.gen(this, function* () {
      const sql = yield* SqlClient.SqlClient
      const duplicate = yield* selectRows(
        ArtifactModel,
        (q) => q`storage_id = ${this.storage_id} AND hash = ${this.hash} AND branch <> -1 AND id <> ${this.id} AND ${this.key === null ? q`key IS NULL` : q`key = ${this.key}`}`,
        "LIMIT 1"
      )
      if (duplicate[0] !== undefined)
        return yield* new IntegrityError({
          message: `Cannot restore artifact ${this.label}: artifact ${String(duplicate[0].uid)} holds the same content${this.key === null ? "" : " under the same key"} and is not in trash. Use that one, or delete it first.`
        })
      yield* sql.withTransaction(
        Effect.zipRight(updateRow(ArtifactModel, this.id, { branch: 1, updated_at: now() }), refreshLatest(this.stem))
      ).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Restoring an artifact")(e))))
      const run = yield* currentRun
      if (Option.isSome(run) && run.value.runId !== this.run_id && run.value.recordRecreated !== undefined) yield* run.value.recordRecreated(this.id)
      yield* Effect.logInfo(`restored artifact ${this.label} from trash`)
      return yield* getById(this.id)
    })
  }

  /**
   * The runs that recreated this artifact (LaminDB's `recreating_runs`): later runs whose save
   * produced the same bytes and got this artifact back. `run_id` stays the creating run.
   */
  recreatingRuns(): Effect.Effect<ReadonlyArray<Run>, StorageError | IntegrityError, SqlClient.SqlClient> {
    return Effect.map(recreatingRunsOf([this.id]), (links) => links.map((l) => l.run))
  }

  /** LaminDB's field names, snake_case, with the resolved `path`. */
  toJSON(storageRoot?: string): ArtifactJson {
    const key = this.storageKey
    return {
      uid: this.uid,
      key: this.key,
      description: this.description,
      suffix: this.suffix,
      kind: this.kind,
      otype: this.otype,
      size: this.size,
      hash: this.hash,
      hash_type: this.hash_type,
      n_files: this.n_files,
      n_observations: this.n_observations,
      version: this.version,
      is_latest: this.is_latest,
      branch: this.branch,
      created_at: this.created_at.toISOString(),
      path: storageRoot === undefined ? key : joinRoot(storageRoot, key)
    }
  }

  /**
   * Start an artifact from a local file or folder — `save()` copies, hashes and registers it —
   * or from an `s3://` URI inside the instance's storage, registered in place without a copy.
   *
   * A local `.parquet`, `.arrow`/`.feather`, `.csv`/`.tsv`, `.h5ad` or `.zarr` is recognized here
   * from its metadata (a Parquet footer, HDF5/zarr metadata; a CSV up to 64 MiB is parsed): the
   * artifact gets otype `"DataFrame"` or `"AnnData"`, kind `"dataset"`, `n_observations`, and
   * its shape and columns in `_aux` for `describe`. Options given explicitly win. A damaged
   * file of those formats fails with a `ValidationError` naming the file (and element); pass
   * `inspect: false` to register it as plain bytes. A CSV that does not parse as a table, and
   * `s3://` URIs, are registered without format metadata.
   */
  static fromPath(localPath: string, options: ArtifactOptions = {}): Effect.Effect<PendingArtifact, InvalidArgument | ValidationError | StorageError> {
    return fromPath(localPath, options)
  }

  /**
   * Start an artifact from an Arrow table: written as Parquet (default), Arrow IPC or CSV to a
   * temporary file, registered by `save()` like any file (the temporary copy is removed after),
   * with otype `"DataFrame"`, kind `"dataset"`, `n_observations` = rows, and the column names
   * and types kept for `describe`. Read it back with {@link Artifact.loadTable}.
   *
   * The format follows `options.format`, else the key's suffix (`.parquet`, `.arrow`, `.csv`,
   * `.tsv`), else Parquet; a key whose suffix names another format is an `InvalidArgument`.
   */
  static fromTable(table: Table, options: TableArtifactOptions = {}): Effect.Effect<PendingArtifact, InvalidArgument | ValidationError | StorageError> {
    return Effect.gen(function* () {
      const data = yield* artifactData
      const keyFormat = options.key === undefined ? undefined : data.tableFormatOf(options.key)
      const format = options.format ?? keyFormat ?? "parquet"
      const fileName = yield* memoryFileName(options.key, keyFormat === format, TABLE_SUFFIX[format], "table")
      const { format: _format, ...rest } = options
      return yield* data.pendingFromMemory(fileName, (file) => data.writeTableFile(table, file, format), { kind: "dataset", ...rest }, fromPath)
    })
  }

  /**
   * Start an artifact from an AnnData: written as `.h5ad` (default) or as an AnnData zarr v2
   * folder (`format: "zarr"`, or a key ending in `.zarr`), registered by `save()` like any file,
   * with otype `"AnnData"`, kind `"dataset"`, `n_observations` = `n_obs`, and the shape, X
   * layout and obs/var columns kept for `describe`. Fails with a `ValidationError` when the
   * AnnData is misaligned (obs length ≠ rows of X, …). Read it back with
   * {@link Artifact.loadAnnData} or {@link Artifact.open}.
   */
  static fromAnnData(adata: AnnData, options: AnnDataArtifactOptions = {}): Effect.Effect<PendingArtifact, InvalidArgument | ValidationError | StorageError> {
    return Effect.gen(function* () {
      const data = yield* artifactData
      yield* data.checkAnnData(adata)
      const keyFormat = options.key === undefined ? undefined : data.annDataFormatOf(options.key)
      const format = options.format ?? keyFormat ?? "h5ad"
      const fileName = yield* memoryFileName(options.key, keyFormat === format, format === "h5ad" ? ".h5ad" : ".zarr", "adata")
      const { format: _format, ...rest } = options
      return yield* data.pendingFromMemory(fileName, (file) => data.writeAnnDataFile(adata, file, format), { kind: "dataset", ...rest }, fromPath)
    })
  }

  /** A lazy query over artifacts (trash hidden unless asked for by uid, id, hash or branch). */
  static filter(...conditions: ReadonlyArray<Condition<typeof ArtifactModel>>): QuerySet<Artifact, typeof ArtifactModel> {
    return QuerySet.of(ArtifactModel, (row) => new Artifact(row)).filter(...conditions)
  }

  /** Artifacts not matching all `conditions`. */
  static exclude(...conditions: ReadonlyArray<Condition<typeof ArtifactModel>>): QuerySet<Artifact, typeof ArtifactModel> {
    return QuerySet.of(ArtifactModel, (row) => new Artifact(row)).exclude(...conditions)
  }

  /** Ranked search over key and description (LaminDB's ranking; 20 results unless `limit`). */
  static search(text: string, options?: SearchOptions): QuerySet<Artifact, typeof ArtifactModel> {
    return QuerySet.of(ArtifactModel, (row) => new Artifact(row)).search(text, options)
  }

  /**
   * One artifact: by full uid, by uid stem (the latest version), or by fields (`{ key }` finds
   * the latest version of that key).
   */
  static get(idOrFields: string | FilterSpec<typeof ArtifactModel>) {
    return getArtifact(idOrFields)
  }
}

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
  readonly revises?: Artifact
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
}

/** Options of {@link Artifact.fromTable}. */
export interface TableArtifactOptions extends Omit<ArtifactOptions, "otype" | "n_observations" | "inspect"> {
  /** `"parquet"` (default unless the key's suffix says otherwise), `"arrow"` (IPC file) or `"csv"`. */
  readonly format?: TableFormat
}

/** Options of {@link Artifact.fromAnnData}. */
export interface AnnDataArtifactOptions extends Omit<ArtifactOptions, "otype" | "n_observations" | "inspect"> {
  /** `"h5ad"` (default unless the key ends in `.zarr`) or `"zarr"` (an AnnData zarr v2 folder). */
  readonly format?: AnnDataFormat
}

/** An artifact that is described but not yet saved. */
export interface PendingArtifact {
  readonly localPath: string
  readonly isFolder: boolean
  readonly suffix: string
  readonly options: ArtifactOptions
  /** Copy (or hash in place), deduplicate, version and register. */
  readonly save: () => Effect.Effect<Artifact, InvalidArgument | StorageError | IntegrityError, ArtifactEnv>
}

const joinRoot = (root: string, key: string): string => (root.includes("://") ? `${root}/${key}` : path.join(root, key))

/** `.lamina/{uid}{suffix}` for files; `.lamina/{uid}` for folders (one immutable prefix per version). */
export const virtualStorageKey = (uid: string, suffix: string, folder: boolean): string =>
  folder ? `.lamina/${uid}` : `.lamina/${uid}${suffix}`

const fromPath = (localPath: string, options: ArtifactOptions) =>
  Effect.gen(function* () {
    if (typeof localPath !== "string" || localPath === "")
      return yield* new InvalidArgument({ message: "Pass the path of a file or folder to register." })
    if (options.key !== undefined) yield* validateKey(options.key)
    if (options.version_tag !== undefined && (typeof options.version_tag !== "string" || options.version_tag === ""))
      return yield* new InvalidArgument({ message: "version_tag must be a non-empty string or left out." })
    if (isS3Uri(localPath)) return yield* fromStorageUri(localPath, options)
    const abs = path.resolve(localPath)
    const stat = yield* Effect.try({
      try: () => {
        const st = statSync(abs)
        if (st.isFile()) accessSync(abs, fsConstants.R_OK)
        return st
      },
      catch: (cause) => {
        const code = (cause as NodeJS.ErrnoException).code
        return new StorageError({
          message:
            code === "ENOENT"
              ? `Path '${localPath}' does not exist. Check the path and try again.`
              : code === "EACCES"
                ? `Path '${localPath}' is not readable: check its permissions.`
                : `Cannot read '${localPath}': ${String(cause)}`,
          path: abs,
          cause
        })
      }
    })
    if (!stat.isFile() && !stat.isDirectory())
      return yield* new InvalidArgument({ message: `'${localPath}' is neither a regular file nor a folder.` })
    const inspection = options.inspect === false || formatOf(abs) === undefined ? undefined : yield* Effect.flatMap(artifactData, (data) => data.inspectPath(abs))
    const pending: PendingArtifact = {
      localPath: abs,
      isFolder: stat.isDirectory(),
      suffix: suffixOf(abs),
      options: inspection === undefined ? options : withInspection(options, inspection),
      save: () => saveArtifact(pending)
    }
    return pending
  })

/** Options completed with what the file's format says; what the caller passed wins. */
const withInspection = (options: ArtifactOptions, found: Inspection): ArtifactOptions => {
  const otype = options.otype ?? found.otype
  const kind = options.kind ?? found.kind
  const n_observations = options.n_observations ?? found.n_observations
  return {
    ...options,
    ...(otype === undefined ? {} : { otype }),
    ...(kind === undefined ? {} : { kind }),
    ...(n_observations === undefined ? {} : { n_observations }),
    aux: { ...found.aux, ...options.aux }
  }
}

/** The format layer, loaded on first use (it pulls in apache-arrow, parquet-wasm, h5wasm, zarrita). */
const artifactData = Effect.promise(() => import("./artifact-data.js"))

const TABLE_SUFFIX: Readonly<Record<TableFormat, string>> = { parquet: ".parquet", arrow: ".arrow", csv: ".csv" }

/**
 * The temporary file name of an in-memory value: the key's base name when its suffix fits the
 * format (so `.tsv` or `.anndata.zarr` keys keep their suffix), else `{fallback}{suffix}`.
 */
const memoryFileName = (key: string | undefined, keyFits: boolean, suffix: string, fallback: string): Effect.Effect<string, InvalidArgument> => {
  if (key === undefined) return Effect.succeed(`${fallback}${suffix}`)
  if (!keyFits)
    return Effect.fail(new InvalidArgument({ message: `The suffix '${suffixOf(key)}' of the provided key is incorrect, it should be '${suffix}'.` }))
  return Effect.succeed(path.posix.basename(key.replace(/\/+$/, "")))
}

/** The same error, its message prefixed with the artifact it came from. */
const inArtifact = (artifact: Artifact) => (e: InvalidArgument | ValidationError | StorageError): InvalidArgument | ValidationError | StorageError => {
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

/**
 * An object or prefix already in (remote) storage, registered in place: the URI must lie inside
 * the connected instance's storage root. A key is a file when an object has it, else a folder
 * when objects lie below it.
 */
const fromStorageUri = (uri: string, options: ArtifactOptions) =>
  Effect.gen(function* () {
    const store = yield* Effect.serviceOption(ObjectStore)
    if (Option.isNone(store))
      return yield* new InvalidArgument({ message: `Connect to the instance whose storage holds '${uri}' before registering it.` })
    const key = store.value.keyOf(uri)
    if (key === undefined)
      return yield* new InvalidArgument({
        message: `'${uri}' is outside this instance's storage (${store.value.root}): register objects inside it, or download the file and save it from a local path.`
      })
    const isFolder = !(yield* store.value.exists(key))
    if (isFolder && (yield* store.value.list(key)).length === 0)
      return yield* new StorageError({ message: `'${uri}' does not exist: no object or folder has that key. Check the URI and try again.`, path: uri })
    const pending: PendingArtifact = {
      localPath: uri.replace(/\/+$/, ""),
      isFolder,
      suffix: suffixOf(key),
      options,
      save: () => saveArtifact(pending)
    }
    return pending
  })

/** The latest non-trash artifact at `key` in `storageId`. */
const headOfKey = (storageId: number, key: string) =>
  Effect.map(
    selectRows(ArtifactModel, (sql) => sql`storage_id = ${storageId} AND key = ${key} AND branch <> -1`, "ORDER BY is_latest DESC, uid DESC LIMIT 1"),
    (rows) => (rows[0] ? new Artifact(rows[0]) : undefined)
  )

/** Every artifact of a uid family (trash included), oldest first. */
const familyOf = (stem: string) =>
  Effect.map(
    selectRows(ArtifactModel, (sql) => sql`uid >= ${stem + "0000"} AND uid <= ${stem + "zzzz"}`, "ORDER BY uid"),
    (rows) => rows.map((r) => new Artifact(r))
  )

/**
 * The next free uid of a family: one past the highest uid (trash included), skipping slots
 * that saves in flight have claimed (`lamina_artifact_slot`).
 */
const nextFreeUid = (stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lo = stem + "0000"
    const hi = stem + "zzzz"
    const max = yield* sql<{ readonly uid: string | null }>`SELECT MAX(uid) AS uid FROM lamina_artifact WHERE uid >= ${lo} AND uid <= ${hi}`
    const top = max[0]?.uid ?? null
    const claimed = yield* sql<{ readonly uid: string }>`SELECT uid FROM lamina_artifact_slot WHERE uid >= ${top ?? lo} AND uid <= ${hi}`
    const taken = new Set(claimed.map((r) => r.uid))
    let uid = top === null ? lo : stem + incrementBase62(splitUid(top).suffix)
    while (taken.has(uid)) uid = stem + incrementBase62(splitUid(uid).suffix)
    return uid
  }).pipe(Effect.mapError(sqlFailure("Choosing the next version")))

/**
 * Claim the next free version slot of a family before uploading, so that concurrent writers
 * of new versions never write their bytes to the same storage key. The claim is released when
 * the save commits (the slot becomes the version's uid) or fails.
 */
const claimSlot = (stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* lockFor([`lamina-artifact-family:${stem}`])
        const uid = yield* nextFreeUid(stem)
        yield* sql`INSERT INTO lamina_artifact_slot (uid, created_at) VALUES (${uid}, ${now().toISOString()})`
        return uid
      })
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Claiming a version slot")(e))))

/** Give a claimed slot back. */
const releaseSlot = (uid: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM lamina_artifact_slot WHERE uid = ${uid}`).pipe(
    Effect.mapError(sqlFailure("Releasing a version slot"))
  )

/** Make the newest non-trash member of a family the only `is_latest`. */
const refreshLatest = (stem: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const lo = stem + "0000"
    const hi = stem + "zzzz"
    const head = yield* sql<{ readonly uid: string }>`SELECT MAX(uid) AS uid FROM lamina_artifact WHERE uid >= ${lo} AND uid <= ${hi} AND branch <> -1`
    const headUid = head[0]?.uid ?? ""
    // `(uid = ?)` is a boolean in Postgres and 0/1 in SQLite: one statement for both.
    yield* sql`UPDATE lamina_artifact SET is_latest = (uid = ${headUid}) WHERE uid >= ${lo} AND uid <= ${hi}`
    return headUid
  }).pipe(Effect.mapError(sqlFailure("Updating the latest version")))

/** The existing non-trash artifact with this content, if any (empty files never match). */
const byHash = (content: ContentHash) =>
  content.size === 0
    ? Effect.succeed(undefined)
    : Effect.map(
        selectRows(ArtifactModel, (sql) => sql`hash = ${content.hash} AND branch <> -1`, "ORDER BY id LIMIT 1"),
        (rows) => (rows[0] ? new Artifact(rows[0]) : undefined)
      )

/** Take Postgres transaction-scoped locks so concurrent saves of one key or content serialize. */
const lockFor = (names: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // SQLite: BEGIN IMMEDIATE already holds the database's single write lock.
    yield* sql.onDialectOrElse({
      // One round trip; the select list is evaluated left to right, in sorted (deadlock-free) order.
      pg: () => sql`SELECT ${sql.csv([...names].sort().map((n) => sql`pg_advisory_xact_lock(hashtext(${n}))`))}`,
      orElse: () => Effect.void
    })
  })

type SaveOutcome = { readonly kind: "created" | "existing"; readonly artifact: Artifact }

const saveArtifact = (pending: PendingArtifact) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const store = yield* ObjectStore
    const instance = yield* Instance
    const run = yield* currentRun
    const { options } = pending
    const storageId = instance.storage.id

    const own = ownFilesProblem(pending.localPath, instance.settings)
    if (own !== undefined) return yield* own
    // Two concurrent runs saving from one path may each have saved the other's bytes: refused.
    const source = isS3Uri(pending.localPath) ? ({ _tag: "ok" } as const) : yield* checkSource(pending.localPath)
    if (source._tag === "conflict") {
      for (const c of source.completed) yield* withdrawRun(c.runId, c.message)
      return yield* source.error
    }

    // A path already inside the storage root is registered in place, without a copy.
    const inPlaceKey = store.keyOf(pending.localPath)
    if (inPlaceKey !== undefined && inPlaceKey.startsWith(".lamina/"))
      return yield* new InvalidArgument({ message: `'${pending.localPath}' is inside Lamina's own '.lamina/' folder: load that artifact by uid instead.` })
    if (inPlaceKey !== undefined && options.key !== undefined && options.key !== inPlaceKey)
      return yield* new InvalidArgument({
        message: `'${pending.localPath}' is already in storage at key '${inPlaceKey}': leave out the key or pass '${inPlaceKey}'.`
      })
    const key = inPlaceKey ?? options.key ?? null
    if (key === null && options.description === undefined && Option.isNone(run) && options.revises === undefined)
      return yield* new InvalidArgument({ message: "Pass one of key, run or description as a parameter" })

    // Choose the uid before writing so the bytes go straight to their final name. A new version
    // claims its slot first: concurrent writers of one family each get their own slot (and
    // storage key), and commit in any order without moving bytes. A new family's stem is random.
    const revises = options.revises ?? (key === null ? undefined : yield* headOfKey(storageId, key))
    const virtual = inPlaceKey === undefined
    const claimed = virtual && revises ? yield* claimSlot(revises.stem) : undefined
    const guessUid = claimed ?? newFamilyUid(UID_LENGTH.artifact)
    let written: string | undefined = virtual ? virtualStorageKey(guessUid, pending.suffix, pending.isFolder) : undefined
    let slotHeld = claimed !== undefined

    const upload: Effect.Effect<ContentHash & Partial<FolderSummary>, StorageError> = virtual
      ? pending.isFolder
        ? store.putFolder(pending.localPath, written!)
        : store.putFile(pending.localPath, written!)
      : pending.isFolder
        ? store.hashFolder(inPlaceKey)
        : store.hashObject(inPlaceKey)

    const register = (content: ContentHash & Partial<FolderSummary>) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* lockFor([`lamina-artifact-key:${storageId}:${key ?? ""}`, `lamina-artifact-hash:${content.hash}`])
          if (claimed !== undefined) {
            // Released in this transaction whatever the outcome: committed or rolled back together.
            yield* releaseSlot(claimed)
          }
          const same = yield* byHash(content)
          if (same !== undefined) return { kind: "existing", artifact: same } as SaveOutcome
          // Re-read the family inside the lock: another writer may have added a version meanwhile.
          const head = options.revises ?? (key === null ? undefined : yield* headOfKey(storageId, key))
          if (head !== undefined) yield* lockFor([`lamina-artifact-family:${head.stem}`])
          const uid =
            head === undefined
              ? claimed === undefined
                ? guessUid
                : newFamilyUid(UID_LENGTH.artifact) // every earlier version went to trash: a new family
              : claimed !== undefined && splitUid(claimed).stem === head.stem
                ? claimed
                : yield* nextFreeUid(head.stem)
          const stem = splitUid(uid).stem
          if (options.version_tag !== undefined) {
            const taken = (yield* familyOf(stem)).some((a) => a.version_tag === options.version_tag)
            if (taken)
              return yield* new IntegrityError({ message: `Please change the version tag or leave it \`None\`, '${options.version_tag}' is already taken` })
          }
          if (virtual && uid !== guessUid) {
            // Only when the family changed under us: the target slot is unclaimed, so no
            // other writer is writing it.
            const target = virtualStorageKey(uid, pending.suffix, pending.isFolder)
            yield* store.move(written!, target)
            written = target
          }
          const t = now()
          const row = yield* insertRow(ArtifactModel, {
            uid,
            key: head?.key ?? key,
            description: options.description ?? null,
            storage_id: storageId,
            suffix: pending.suffix,
            kind: options.kind ?? null,
            otype: options.otype ?? null,
            size: content.size,
            hash: content.hash,
            hash_type: content.hash_type,
            n_files: content.n_files ?? 1,
            n_observations: options.n_observations ?? null,
            version_tag: options.version_tag ?? null,
            is_latest: true,
            run_id: Option.isSome(run) ? run.value.runId : null,
            _key_is_virtual: virtual,
            _aux: options.aux ?? null,
            created_at: t,
            updated_at: t,
            created_by_id: instance.user.id,
            branch: 1,
            is_locked: false
          })
          // A new family has one member, already the latest.
          const latest = head === undefined ? uid : yield* refreshLatest(stem)
          return { kind: "created", artifact: new Artifact({ ...row, is_latest: latest === uid }) } as SaveOutcome
        })
      ).pipe(
        Effect.tap(() => Effect.sync(() => void (slotHeld = false))),
        Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Saving an artifact")(e)))
      )

    const outcome = yield* Effect.flatMap(upload, (content) =>
      register(content).pipe(
        // A live row with this storage, key and hash that the locked lookup did not see: return it.
        Effect.catchTag("IntegrityError", (e) =>
          Effect.flatMap(
            selectRows(ArtifactModel, (q) => q`storage_id = ${storageId} AND hash = ${content.hash} AND branch <> -1 AND ${key === null ? q`key IS NULL` : q`key = ${key}`}`),
            (rows) => (rows[0] ? Effect.succeed<SaveOutcome>({ kind: "existing", artifact: new Artifact(rows[0]) }) : Effect.fail(e))
          )
        )
      )
    ).pipe(
      // Failed or interrupted: no row was committed, so take back the bytes and the slot.
      Effect.onExit((exit) =>
        exit._tag === "Success"
          ? Effect.void
          : Effect.zipRight(
              written !== undefined ? Effect.ignore(store.remove(written)) : Effect.void,
              slotHeld && claimed !== undefined ? Effect.ignore(releaseSlot(claimed)) : Effect.void
            )
      )
    )
    if (outcome.kind === "created") {
      if (Option.isSome(run)) yield* run.value.recordOutput(outcome.artifact.id)
      return outcome.artifact
    }
    // Same content exists (never a trashed artifact: those are not matched, see byHash): drop
    // the copy, return the existing record (LaminDB's behaviour). The saving run, if it did not
    // create it, becomes one of its recreating runs when it completes.
    if (written !== undefined) yield* Effect.ignore(store.remove(written))
    const existing = outcome.artifact
    yield* Effect.logWarning(
      `returning artifact with same hash: ${existing.uid}` +
        (key !== null && existing.key !== key ? ` (key '${existing.key}' kept; '${key}' not applied)` : "")
    )
    if (Option.isSome(run) && existing.run_id !== run.value.runId && run.value.recordRecreated !== undefined) yield* run.value.recordRecreated(existing.id)
    if (options.description !== undefined && options.description !== existing.description) {
      const changes: Row = { updated_at: now(), description: options.description }
      yield* updateRow(ArtifactModel, existing.id, changes)
      return new Artifact({ ...existing, ...changes })
    }
    return existing
  })

/**
 * Withdraw a completed run whose output may hold another run's bytes (see sourceGuard.ts): it
 * becomes errored with `message`, its outputs go to trash and its recreating links go, so
 * neither lineage nor the cache ever presents its outputs as computed.
 */
const withdrawRun = (runId: number, message: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outputs = yield* selectRows(ArtifactModel, (q) => q`run_id = ${runId} AND branch <> -1`)
    for (const row of outputs) yield* deleteArtifact(new Artifact(row), false)
    const runs = yield* sql<{ readonly uid: string; readonly name: string | null }>`SELECT uid, name FROM lamina_run WHERE id = ${runId}`
    const error = { _tag: "StepFailed", step: runs[0]?.name ?? "", run: runs[0]?.uid ?? "", message }
    // 1 = errored (RunStatus.errored; Run.ts is not imported here, it depends on the flow engine).
    yield* sql`UPDATE lamina_run SET _status_code = ${1}, error = ${encodeValue("json", error)} WHERE id = ${runId}`
    yield* sql`DELETE FROM lamina_artifact_recreating_run WHERE run_id = ${runId}`
    yield* Effect.logWarning(`run ${runs[0]?.uid ?? runId} marked errored and its outputs moved to trash: ${message}`)
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Withdrawing a run")(e))))

/** Record `artifact` as an input of the current run, unless that run created it. */
const recordInput = (artifact: Artifact) =>
  Effect.flatMap(currentRun, (run) =>
    Option.isSome(run) && run.value.runId !== artifact.run_id ? run.value.recordInput(artifact.id) : Effect.void
  )

const getById = (id: number) =>
  Effect.flatMap(selectRows(ArtifactModel, (sql) => sql`id = ${id}`), (rows) =>
    rows[0]
      ? Effect.succeed(new Artifact(rows[0]))
      : Effect.fail(new DoesNotExist({ registry: "Artifact", message: `No artifact with id ${id}.` }))
  )

const getArtifact = (idOrFields: string | FilterSpec<typeof ArtifactModel>) =>
  Effect.gen(function* () {
    if (typeof idOrFields === "string") {
      const uid = idOrFields
      const stemLength = UID_LENGTH.artifact - 4
      if (!isBase62(uid) || (uid.length !== UID_LENGTH.artifact && uid.length !== stemLength))
        return yield* new InvalidArgument({
          message: `'${uid}' is not an artifact uid: pass the ${UID_LENGTH.artifact}-character uid, its ${stemLength}-character stem, or { key }.`
        })
      const rows =
        uid.length === UID_LENGTH.artifact
          ? yield* selectRows(ArtifactModel, (sql) => sql`uid = ${uid}`)
          : yield* selectRows(ArtifactModel, (sql) => sql`uid >= ${uid + "0000"} AND uid <= ${uid + "zzzz"}`, "ORDER BY is_latest DESC, branch DESC, uid DESC LIMIT 1")
      if (rows[0]) return new Artifact(rows[0])
      return yield* new DoesNotExist({ registry: "Artifact", message: `No artifact with uid '${uid}'. List artifacts with 'lamina ls artifact'.` })
    }
    // Versioned registries: prefer the latest version, then fall back to any match.
    const latest = yield* Artifact.filter({ ...idOrFields, is_latest: true }).first()
    if (latest !== undefined) return latest
    return yield* Artifact.filter(idOrFields).one()
  })

const deleteArtifact = (artifact: Artifact, permanent: boolean) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const store = yield* ObjectStore
    const hard = permanent || artifact.branch === -1
    yield* sql
      .withTransaction(
        Effect.gen(function* () {
          if (hard) {
            yield* sql`UPDATE lamina_run SET report_id = NULL WHERE report_id = ${artifact.id}`
            yield* sql`UPDATE lamina_run SET environment_id = NULL WHERE environment_id = ${artifact.id}`
            yield* sql`DELETE FROM lamina_run_input_artifact WHERE artifact_id = ${artifact.id}`
            yield* sql`DELETE FROM lamina_artifact WHERE id = ${artifact.id}`
          } else {
            yield* updateRow(ArtifactModel, artifact.id, { branch: -1, updated_at: now() })
          }
          yield* refreshLatest(artifact.stem)
        })
      )
      .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(sqlFailure("Deleting an artifact")(e))))
    // Bytes go after the row is gone: a crash in between leaves an unreferenced file, never a
    // row pointing at nothing.
    if (hard) yield* store.remove(artifact.storageKey).pipe(Effect.catchAll((e) => Effect.logWarning(`artifact row deleted, bytes left in storage: ${e.message}`)))
  })
