/**
 * Describing an artifact before it is saved: a local file or folder (with its format metadata
 * read from the file), an object already in storage, or an in-memory table or AnnData written
 * to a temporary file.
 *
 * @module
 */
import { accessSync, constants as fsConstants, statSync } from "node:fs"
import * as path from "node:path"
import type { Table } from "apache-arrow"
import { Effect, Option } from "effect"
import { InvalidArgument, StorageError, ValidationError } from "../../errors.js"
import type { AnnData } from "../../formats/anndata/anndata.js"
import { formatOf } from "../../formats/format-of.js"
import { ObjectStore, validateKey } from "../../storage/ObjectStore.js"
import { isS3Uri } from "../../storage/s3uri.js"
import type { Inspection } from "../artifact-data.js"
import { suffixOf } from "../suffix.js"
import { UID_LENGTH } from "../uid.js"
import type { AnnDataArtifactOptions, ArtifactOptions, PendingOf, PendingSource, TableArtifactOptions, TableFormat } from "./options.js"

/** Errors of describing an artifact. */
export type DescribeError = InvalidArgument | ValidationError | StorageError

/** The format layer, loaded on first use (it pulls in apache-arrow, parquet-wasm, h5wasm, zarrita). */
export const artifactData = Effect.promise(() => import("../artifact-data.js"))

/** A local file or folder, or an `s3://` URI inside the instance's storage, checked and inspected. */
export const describePath = (localPath: string, options: ArtifactOptions): Effect.Effect<PendingSource, DescribeError> =>
  Effect.gen(function* () {
    if (typeof localPath !== "string" || localPath === "")
      return yield* new InvalidArgument({ message: "Pass the path of a file or folder to register." })
    yield* checkOptions(options)
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
    const inspection =
      options.inspect === false || formatOf(abs) === undefined
        ? undefined
        : yield* Effect.flatMap(artifactData, (data) => data.inspectPath(abs)).pipe(
            // Say how to go on: fix the file, or keep it as plain bytes.
            Effect.mapError((e) =>
              e._tag === "ValidationError"
                ? new ValidationError({
                    message: `${e.message}\nRe-export the file, or register it as plain bytes: inspect: false (CLI: lamina save --no-inspect).`,
                    ...(e.problems === undefined ? {} : { problems: e.problems })
                  })
                : e
            )
          )
    return {
      localPath: abs,
      isFolder: stat.isDirectory(),
      suffix: suffixOf(abs),
      options: inspection === undefined ? options : withInspection(options, inspection)
    }
  })

const isPlainObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === "object" && v !== null && !Array.isArray(v)

const OPTIONAL_STRINGS = ["description", "kind", "otype"] as const
const OPTIONAL_OBJECTS = ["aux", "features"] as const

/**
 * The options' shape, checked before anything is read or written: JavaScript callers can pass
 * anything, and a number stored as a description (or `null` options) must not get that far.
 */
export const checkOptions = (options: ArtifactOptions): Effect.Effect<void, InvalidArgument> =>
  Effect.gen(function* () {
    const fail = (message: string) => new InvalidArgument({ message })
    const given: unknown = options
    if (!isPlainObject(given)) return yield* fail(`Artifact options must be an object like { key: "raw/a.csv" }, got ${String(options)}.`)
    if (options.key !== undefined) yield* validateKey(options.key)
    if (options.version_tag !== undefined && (typeof options.version_tag !== "string" || options.version_tag === ""))
      return yield* fail("version_tag must be a non-empty string or left out.")
    for (const name of OPTIONAL_STRINGS)
      if (options[name] !== undefined && typeof options[name] !== "string") return yield* fail(`${name} must be a string or left out, got ${typeof options[name]}.`)
    for (const name of OPTIONAL_OBJECTS)
      if (options[name] !== undefined && !isPlainObject(options[name])) return yield* fail(`${name} must be an object or left out, got ${JSON.stringify(options[name])}.`)
    const n = options.n_observations
    if (n !== undefined && !(Number.isInteger(n) && n >= 0)) return yield* fail(`n_observations must be a non-negative integer or left out, got ${n}.`)
    const revises: unknown = options.revises
    if (revises !== undefined && !(isPlainObject(revises) && typeof revises["uid"] === "string" && revises["uid"].length === UID_LENGTH.artifact))
      return yield* fail("revises must be a saved artifact (e.g. yield* Artifact.get({ key })) or left out.")
    if (options.inspect !== undefined && typeof options.inspect !== "boolean") return yield* fail(`inspect must be true or false, got ${JSON.stringify(options.inspect)}.`)
  })

/** An Apache Arrow `Table` by shape (a caller's apache-arrow copy fails `instanceof`). */
const isTable = (v: unknown): boolean =>
  typeof v === "object" && v !== null && "schema" in v && "batches" in v && Array.isArray(v.batches) && "numRows" in v && typeof v.numRows === "number"

const ANNDATA_MAPPINGS = ["obsm", "varm", "layers", "obsp", "varp", "uns"] as const

/** An `AnnData` by shape: obs and var tables and the mappings `validateAnnData` walks. */
const isAnnData = (v: unknown): boolean =>
  isPlainObject(v) && isTable(v["obs"]) && isTable(v["var"]) && ANNDATA_MAPPINGS.every((m) => isPlainObject(v[m]))

const describeValue = (v: unknown): string => {
  if (v === null || typeof v !== "object") return v === null ? "null" : `a ${typeof v}`
  const name: unknown = v.constructor?.name
  return typeof name === "string" && name !== "Object" ? `a ${name}` : "a plain object"
}

/** Checks an in-memory value and its options before the format layer reads them. */
const checkMemory = (
  what: string,
  ok: boolean,
  value: unknown,
  options: TableArtifactOptions | AnnDataArtifactOptions,
  formats: ReadonlyArray<string>
): Effect.Effect<void, InvalidArgument> =>
  Effect.gen(function* () {
    if (!ok) return yield* new InvalidArgument({ message: `${what}, got ${describeValue(value)}.` })
    yield* checkOptions(options)
    if (options.format !== undefined && !formats.includes(options.format))
      return yield* new InvalidArgument({ message: `format must be one of ${formats.join(", ")} or left out, got ${JSON.stringify(options.format)}.` })
  })

/** `fromTable`'s arguments, checked before anything reads them (also before a schema check). */
export const checkTableArguments = (table: unknown, options: TableArtifactOptions): Effect.Effect<void, InvalidArgument> =>
  checkMemory("Artifact.fromTable() takes an Apache Arrow Table (tableFromArrays, tableFromIPC …)", isTable(table), table, options, Object.keys(TABLE_SUFFIX))

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
    return { localPath: uri.replace(/\/+$/, ""), isFolder, suffix: suffixOf(key), options } satisfies PendingSource
  })

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

/** A table written to a temporary file in its format, described by `fromPath`. */
export const pendingTable = <A>(
  table: Table,
  options: TableArtifactOptions,
  fromPath: (file: string, options: ArtifactOptions) => Effect.Effect<PendingOf<A>, DescribeError>
): Effect.Effect<PendingOf<A>, DescribeError> =>
  Effect.gen(function* () {
    yield* checkTableArguments(table, options)
    const data = yield* artifactData
    const keyFormat = options.key === undefined ? undefined : data.tableFormatOf(options.key)
    const format = options.format ?? keyFormat ?? "parquet"
    const fileName = yield* memoryFileName(options.key, keyFormat === format, TABLE_SUFFIX[format], "table")
    const { format: _format, ...rest } = options
    return yield* data.pendingFromMemory(fileName, (file) => data.writeTableFile(table, file, format), { kind: "dataset", ...rest }, fromPath)
  })

/** An AnnData written to a temporary `.h5ad` or zarr folder, described by `fromPath`. */
export const pendingAnnData = <A>(
  adata: AnnData,
  options: AnnDataArtifactOptions,
  fromPath: (file: string, options: ArtifactOptions) => Effect.Effect<PendingOf<A>, DescribeError>
): Effect.Effect<PendingOf<A>, DescribeError> =>
  Effect.gen(function* () {
    yield* checkMemory("Artifact.fromAnnData() takes an AnnData (build one with makeAnnData from lamina/formats)", isAnnData(adata), adata, options, ["h5ad", "zarr"])
    const data = yield* artifactData
    yield* data.checkAnnData(adata)
    const keyFormat = options.key === undefined ? undefined : data.annDataFormatOf(options.key)
    const format = options.format ?? keyFormat ?? "h5ad"
    const fileName = yield* memoryFileName(options.key, keyFormat === format, format === "h5ad" ? ".h5ad" : ".zarr", "adata")
    const { format: _format, ...rest } = options
    return yield* data.pendingFromMemory(fileName, (file) => data.writeAnnDataFile(adata, file, format), { kind: "dataset", ...rest }, fromPath)
  })
