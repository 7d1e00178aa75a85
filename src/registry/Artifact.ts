/**
 * Artifact registry: versioned, hashed files and folders in storage, LaminDB's semantics.
 *
 * - Same content as an existing artifact → that artifact (description updated, key kept, a warning).
 * - Same key, new content → a new version: same uid stem, next base62 suffix, `is_latest` moved.
 * - Bytes are copied and hashed in one pass to a temporary name and renamed; the registry row
 *   commits only once the data is in place, and a failure leaves neither row nor file.
 *
 * This module holds the record class; the work lives in `./artifact/`: the model
 * (`model.ts`), derived facts (`paths.ts`), reads (`reads.ts`), describing new artifacts
 * (`pending.ts`), version families (`family.ts`), the save protocol (`save.ts`), delete and
 * restore (`remove.ts`) and `get` (`get.ts`).
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Table } from "apache-arrow"
import { Effect, Option, type Scope } from "effect"
import { InvalidArgument, type DoesNotExist, type IntegrityError, type MultipleResultsFound, type StorageError, type ValidationError } from "../errors.js"
import type { AnnData } from "../formats/anndata/anndata.js"
import type { BackedAnnData } from "../formats/anndata/backed.js"
import type { FormatName } from "../formats/format-of.js"
import type { QuerySet } from "../query/QuerySet.js"
import type { SearchOptions } from "../query/state.js"
import type { Condition, FilterSpec } from "../query/types.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import { registryAccess } from "./access.js"
import type { OpenedArtifact } from "./artifact-data.js"
import { familyOf } from "./artifact/family.js"
import { artifactGetter } from "./artifact/get.js"
import { ArtifactModel, type ArtifactRow } from "./artifact/model.js"
import type { AnnDataArtifactOptions, ArtifactEnv, ArtifactOptions, PendingOf, PendingSource, TableArtifactOptions } from "./artifact/options.js"
import { formatOfRow, isFolderRow, joinRoot, labelOf, storageKeyOf, type ArtifactView } from "./artifact/paths.js"
import { checkTableArguments, describePath, pendingAnnData, pendingTable, type DescribeError } from "./artifact/pending.js"
import { TableCuration } from "./artifact/curation.js"
import { cacheArtifact, loadAnnData, loadBytes, loadTable, openAnnData, openArtifact } from "./artifact/reads.js"
import { deleteArtifact, restoreArtifact } from "./artifact/remove.js"
import { saveArtifact, saveArtifactOutcome } from "./artifact/save.js"
import { addFeatureValuesMany, planFeatureValues, writeFeatureValues, type FeatureValues } from "./annotate/features.js"
import { describeAnnotations } from "./annotate/describe.js"
import { describeArtifact, type ArtifactJson } from "./describe/artifact.js"
import { featureManager, labelManager, linkManager } from "./annotate/manager.js"
import { ArtifactFeatures } from "./declarations/artifact.js"
import { sqlTransaction } from "./transaction.js"
import { recreatingRunsOf } from "./recreating.js"
import type { Run } from "./Run.js"
import type { Row } from "./model.js"
import { splitUid, UID_LENGTH } from "./uid.js"

export { ArtifactModel, type ArtifactRow } from "./artifact/model.js"
export type { AnnDataArtifactOptions, ArtifactEnv, ArtifactOptions, TableArtifactOptions } from "./artifact/options.js"
export { virtualStorageKey } from "./artifact/paths.js"

/** The JSON form of an artifact: LaminDB's field names, snake_case. */
export type { ArtifactDescription, ArtifactDescriptionData, ArtifactJson } from "./describe/artifact.js"

/** Errors of validating a table against a schema in `fromTable`. */
export type TableCurationError = DoesNotExist | MultipleResultsFound | IntegrityError

/** An artifact that is described but not yet saved. */
export type PendingArtifact = PendingOf<Artifact>

/** A registered artifact. */
export class Artifact implements ArtifactView {
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
  /** Non-categorical feature values by feature uid; read them with `features.get()`. */
  readonly _features!: Record<string, unknown> | null
  readonly created_at!: Date
  readonly updated_at!: Date
  readonly created_by_id!: number | null
  readonly branch!: number
  readonly is_locked!: boolean

  constructor(row: Row | ArtifactRow) {
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
    return isFolderRow(this)
  }

  /** Where the bytes live inside the storage root. */
  get storageKey(): string {
    return storageKeyOf(this)
  }

  /** The full path or URI of the artifact's bytes. */
  get path(): Effect.Effect<string, never, ObjectStore> {
    return Effect.map(ObjectStore, (store) => store.uri(this.storageKey))
  }

  /** A local path to the bytes (downloaded and verified for remote storage); records a run input. */
  cache(): Effect.Effect<string, StorageError, ArtifactEnv> {
    return cacheArtifact(this)
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
    return loadBytes(this)
  }

  /**
   * The artifact's format as Lamina reads it: from its suffix, with a `.zarr` folder registered
   * as AnnData (otype) counted as `"anndata-zarr"`. `undefined` for other files.
   */
  get format(): FormatName | undefined {
    return formatOfRow(this)
  }

  /**
   * A Parquet, Arrow IPC (`.arrow`, `.feather`) or CSV/TSV artifact as an Arrow `Table` (CSV
   * column types are inferred: numbers, booleans, strings). Records a run input.
   * Fails with `InvalidArgument` for other artifacts, `ValidationError` for damaged files.
   */
  loadTable(): Effect.Effect<Table, InvalidArgument | ValidationError | StorageError, ArtifactEnv> {
    return loadTable(this)
  }

  /**
   * An `.h5ad` or AnnData zarr artifact read whole into memory. Records a run input.
   * For large data prefer {@link Artifact.open}, which reads only what is asked.
   */
  loadAnnData(): Effect.Effect<AnnData, InvalidArgument | ValidationError | StorageError, ArtifactEnv> {
    return loadAnnData(this)
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
    return openArtifact(this)
  }

  /** {@link Artifact.open} for an artifact that must be an AnnData: the `BackedAnnData` itself. */
  openAnnData(): Effect.Effect<BackedAnnData, InvalidArgument | ValidationError | StorageError, ArtifactEnv | Scope.Scope> {
    return openAnnData(this)
  }

  /**
   * Feature values (LaminDB's `artifact.features`): `add({ temperature: 21.6, experiment: "My
   * experiment" })` checks each value against its feature's dtype (categorical values are
   * resolved to labels) and writes them in one transaction; `get()` returns name → value;
   * `remove(name)`.
   */
  get features() {
    return featureManager(annotated, this.id)
  }

  /** Labels: `add(ulabel | record | [...], { feature? })`, `get()`, `remove(ulabel)`. */
  get labels() {
    return labelManager(annotated, this.id)
  }

  /** Projects the artifact belongs to: `add(project)`, `get()`, `remove(project)`. */
  get projects() {
    return linkManager(annotated, "projects", this.id)
  }

  /** References the artifact cites: `add(reference)`, `get()`, `remove(reference)`. */
  get references() {
    return linkManager(annotated, "references", this.id)
  }

  /** `describe`'s annotation sections: "Linked features" (name, dtype, value) and "Labels" (by link). */
  describeAnnotations() {
    return describeAnnotations(annotated, this.id)
  }

  /**
   * The artifact as LaminDB's `describe()` shows it: identity, content, version, location,
   * provenance (run, transform, creator, recreating runs), format metadata, and the "Linked
   * features", "Dataset features" and "Labels" sections. `text` is the tree `lamina describe`
   * prints; `data` is what `lamina describe --json` prints.
   */
  describe() {
    return describeArtifact(this)
  }

  /** The key, else the uid, for messages. */
  get label(): string {
    return labelOf(this)
  }

  /** Every version of this artifact, oldest first (trash excluded). */
  get versions(): Effect.Effect<ReadonlyArray<Artifact>, StorageError | IntegrityError, SqlClient.SqlClient> {
    return familyOf(this.stem).pipe(Effect.map((all) => all.filter((a) => a.branch !== -1).map((a) => new Artifact(a))))
  }

  /** Move to trash; with `permanent` (or when already in trash) delete the row and the bytes. */
  delete(options?: { readonly permanent?: boolean }) {
    // JavaScript callers: `permanent: "false"` is truthy, and deleting for good loses the bytes.
    const given: unknown = options
    const permanent: unknown = options?.permanent
    const bad = (given !== undefined && (typeof given !== "object" || given === null)) || (permanent !== undefined && typeof permanent !== "boolean")
    return Effect.zipRight(
      bad ? Effect.fail(new InvalidArgument({ message: `delete() takes { permanent: true | false } or nothing, got ${JSON.stringify(given)}.` })) : Effect.void,
      deleteArtifact(this, permanent === true)
    )
  }

  /**
   * Bring a trashed artifact back: the only way out of trash (a save of the same content
   * registers a new artifact instead). Inside a run, the run is recorded as recreating it.
   * Fails with `IntegrityError` while a live artifact holds the same content under the same key.
   */
  restore() {
    return Effect.map(restoreArtifact(this), (row) => new Artifact(row))
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
  static fromPath(localPath: string, options: ArtifactOptions = {}): Effect.Effect<PendingArtifact, DescribeError> {
    return fromPath(localPath, options)
  }

  /**
   * Feature values for many saved artifacts at once:
   * `Artifact.features.addMany([[a, { temperature: 21.6 }], [b, { temperature: 19 }]])`. Each
   * entry is checked as `artifact.features.add` checks it; then all are written in one
   * transaction (a few multi-row statements per 500 artifacts instead of several statements and
   * a commit per artifact). A bad value fails the whole batch, naming its artifact; nothing is
   * written then.
   */
  static readonly features = {
    addMany: (entries: Iterable<readonly [Artifact, FeatureValues]>) => {
      // JavaScript callers can pass anything: `5` would be an empty batch, `[[null, …]]` a TypeError.
      const given: unknown = entries
      const iterable = typeof given === "object" && given !== null && Symbol.iterator in given
      // Read once: a generator gives its entries a single time.
      const pairs = iterable ? Array.from(entries) : []
      const isPair = (e: unknown) =>
        Array.isArray(e) && e.length === 2 && e[0] instanceof Artifact && typeof e[1] === "object" && e[1] !== null && !Array.isArray(e[1])
      if (!iterable || !pairs.every(isPair))
        return Effect.fail(new InvalidArgument({ message: "Artifact.features.addMany takes [artifact, { feature: value }] pairs of saved artifacts, e.g. [[a, { temperature: 21.6 }]]." }))
      return addFeatureValuesMany(annotated, pairs.map(([a, values]) => ({ id: a.id, values })))
    }
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
  static fromTable(table: Table, options: TableArtifactOptions = {}): Effect.Effect<PendingArtifact, DescribeError | TableCurationError> {
    if (options?.schema === undefined) return pendingTable(table, options, fromPath)
    const { schema, ...rest } = options
    return Effect.gen(function* () {
      yield* checkTableArguments(table, rest)
      const curation = yield* Effect.serviceOption(TableCuration)
      if (Option.isNone(curation))
        return yield* new InvalidArgument({ message: "Artifact.fromTable with a schema needs the curation layer: run it with Lamina.layer (or provide Curate.tableCurationLayer)." })
      const annotate = yield* curation.value.prepare(table, schema)
      const pending = yield* pendingTable(table, rest, fromPath)
      return { ...pending, save: () => Effect.tap(pending.save(), (a) => sqlTransaction(annotate(a.id))) }
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
  static fromAnnData(adata: AnnData, options: AnnDataArtifactOptions = {}): Effect.Effect<PendingArtifact, DescribeError> {
    return pendingAnnData(adata, options, fromPath)
  }

  /** A lazy query over artifacts (trash hidden unless asked for by uid, id, hash or branch). */
  static filter(...conditions: ReadonlyArray<Condition<typeof ArtifactModel>>): QuerySet<Artifact, typeof ArtifactModel> {
    return access.filter(...conditions)
  }

  /** Artifacts not matching all `conditions`. */
  static exclude(...conditions: ReadonlyArray<Condition<typeof ArtifactModel>>): QuerySet<Artifact, typeof ArtifactModel> {
    return access.exclude(...conditions)
  }

  /** Ranked search over key and description (LaminDB's ranking; 20 results unless `limit`). */
  static search(text: string, options?: SearchOptions): QuerySet<Artifact, typeof ArtifactModel> {
    return access.search(text, options)
  }

  /**
   * One artifact: by full uid, by uid stem (the latest version), or by fields (`{ key }` finds
   * the latest version of that key).
   */
  static get(idOrFields: string | FilterSpec<typeof ArtifactModel>) {
    return get(idOrFields)
  }
}

const wrap = (row: Row | ArtifactRow): Artifact => new Artifact(row)
const access = registryAccess(ArtifactModel, wrap, UID_LENGTH.artifact)
const get = artifactGetter<Artifact>(access.filter, wrap)

const annotated = { model: ArtifactModel, ...ArtifactFeatures }

// Feature values given at creation are validated before the bytes are saved and written in
// the transaction that registers the row: a failing write leaves no artifact. A same-content
// save returns the artifact registered before and annotates it in a transaction of its own.
const pendingOf = (source: PendingSource): PendingArtifact => ({
  ...source,
  save: () =>
    Effect.gen(function* () {
      const values = source.options.features
      if (values === undefined) return wrap(yield* saveArtifact(source))
      const plan = yield* planFeatureValues(annotated, values)
      const saved = yield* saveArtifactOutcome(source, (id) => writeFeatureValues(annotated, id, plan))
      if (!saved.created) yield* sqlTransaction(writeFeatureValues(annotated, saved.row.id, plan))
      return wrap(saved.row)
    })
})

const fromPath = (localPath: string, options: ArtifactOptions): Effect.Effect<PendingArtifact, DescribeError> =>
  Effect.map(describePath(localPath, options), pendingOf)
