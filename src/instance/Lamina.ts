/**
 * `Lamina.layer`: one layer that connects an instance — SQL registry, object store, migrations,
 * user and storage records — and provides every service the registries and flows need.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import * as CuratorLayer from "../curate/Curator.js"
import { tableCurationLayer } from "../curate/tableCuration.js"
import type { TableCuration } from "../registry/artifact/curation.js"
import { currentDialect } from "../db/dialect.js"
import { migrate } from "../db/migrate.js"
import * as Sqlite from "../db/sqlite.js"
import { isPostgresUrl, redactUrl } from "../db/url.js"
import { InvalidArgument, type IntegrityError, type StorageError } from "../errors.js"
import { ensureStorage } from "../registry/Storage.js"
import { ensureUser } from "../registry/User.js"
import { layerFromRoot } from "../storage/layer.js"
import { ObjectStore } from "../storage/ObjectStore.js"
import * as Tracker from "../tracker/Tracker.js"
import { Instance } from "./Instance.js"
import { layerStderrLogger } from "./logging.js"
import { defaultDbFor, loadInstanceSettings, loadOrCreateUser, type InstanceSettings, type S3Settings } from "./settings.js"

/** Every service a Lamina program can use (`Curator`: validation against the registries, src/curate). */
export type Lamina = SqlClient.SqlClient | ObjectStore | Instance | Tracker.Tracker | CuratorLayer.Curator | TableCuration

/** Options of `Lamina.layer`. */
export interface LaminaOptions {
  /** Local folder or `s3://bucket/prefix`. */
  readonly storage: string
  /** SQLite file or `postgresql://…`; default: `{storage}/.lamina/lamina.db` for local storage. */
  readonly db?: string
  readonly name?: string
  readonly s3?: S3Settings
}

/**
 * A database string is a Postgres URL or a SQLite file path. Any other URL (`mysql://…`, a
 * `postgres:/…` typo) would otherwise become a SQLite file at a path made from the URL.
 */
const checkDb = (db: unknown): Effect.Effect<void, InvalidArgument> => {
  if (typeof db !== "string" || db.trim() === "")
    return Effect.fail(new InvalidArgument({ message: "Pass a database: a SQLite file path or postgresql://user@host:5432/dbname (or leave it out for the default SQLite file)." }))
  if (!isPostgresUrl(db) && (/^[a-z][a-z0-9+.-]*:\/\//i.test(db) || /^postgres(ql)?:/i.test(db)))
    return Effect.fail(new InvalidArgument({ message: `Unsupported database '${redactUrl(db)}': use a SQLite file path or postgresql://user@host:5432/dbname.` }))
  return Effect.void
}

/** An S3 endpoint is an http(s) URL: the S3 client's own error ("Invalid URL") says neither which nor how. */
const checkEndpoint = (endpoint: unknown): Effect.Effect<void, InvalidArgument> => {
  const url = typeof endpoint === "string" && URL.canParse(endpoint) ? new URL(endpoint) : undefined
  if (url !== undefined && (url.protocol === "http:" || url.protocol === "https:")) return Effect.void
  return Effect.fail(new InvalidArgument({ message: `S3 endpoint '${String(endpoint)}' is not an http(s) URL: pass it like http://host:port or https://s3.example.com.` }))
}

/** Resolve options into complete settings (absolute paths, default database). */
export const resolveSettings = (options: LaminaOptions): Effect.Effect<InstanceSettings, InvalidArgument> =>
  Effect.gen(function* () {
    if (typeof options.storage !== "string" || options.storage.trim() === "")
      return yield* new InvalidArgument({ message: "Pass a storage location: a local folder or s3://bucket/prefix." })
    const remote = options.storage.startsWith("s3://")
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(options.storage) && !remote)
      return yield* new InvalidArgument({ message: `Unsupported storage '${options.storage}': use a local folder or s3://bucket/prefix.` })
    const storage = remote ? options.storage.replace(/\/+$/, "") : path.resolve(options.storage)
    if (remote && options.db === undefined)
      return yield* new InvalidArgument({ message: "S3 storage needs a shared registry: pass --db postgresql://… as well." })
    if (options.db !== undefined) yield* checkDb(options.db)
    // JavaScript callers can pass anything: a number name or s3 settings would be kept as given.
    if (options.name !== undefined && (typeof options.name !== "string" || options.name.trim() === ""))
      return yield* new InvalidArgument({ message: `The instance name must be a non-empty string or left out, got ${JSON.stringify(options.name)}.` })
    if (options.s3 !== undefined && (typeof options.s3 !== "object" || options.s3 === null || Array.isArray(options.s3)))
      return yield* new InvalidArgument({ message: `s3 must be an object like { endpoint, region, forcePathStyle } or left out, got ${JSON.stringify(options.s3)}.` })
    if (options.s3?.endpoint !== undefined) yield* checkEndpoint(options.s3.endpoint)
    const db = options.db === undefined ? defaultDbFor(storage) : isPostgresUrl(options.db) ? options.db : path.resolve(options.db)
    const name = options.name ?? (path.basename(storage.replace(/^s3:\/\//, "")) || "lamina")
    return { name, storage, db, ...(options.s3 ? { s3: options.s3 } : {}) }
  })

/**
 * The SQL client layer for a database string. The Postgres driver loads only for a Postgres
 * URL: an embedded instance does not pay for importing it.
 */
export const layerSql = (db: string): Layer.Layer<SqlClient.SqlClient, StorageError> =>
  isPostgresUrl(db)
    ? Layer.unwrapEffect(Effect.map(Effect.promise(() => import("../db/postgres.js")), (Postgres) => Postgres.layer({ url: db })))
    : Sqlite.layer({ filename: db })

const layerInstance = (settings: InstanceSettings) =>
  Layer.effect(
    Instance,
    Effect.gen(function* () {
      yield* migrate()
      const store = yield* ObjectStore
      const userSettings = yield* loadOrCreateUser
      const user = yield* ensureUser(userSettings)
      const storage = yield* ensureStorage({ root: store.root, type: store.type, userId: user.id, ...(settings.s3?.region ? { region: settings.s3.region } : {}) })
      return { settings, storage, user, dialect: yield* currentDialect }
    })
  )

/** Connect the instance described by `settings` (`tracker`: lease and group-commit tuning, for tests and benchmarks). */
export const layerSettings = (settings: InstanceSettings, tracker: Tracker.TrackerOptions = {}): Layer.Layer<Lamina, StorageError | IntegrityError | InvalidArgument> => {
  const base = Layer.merge(layerFromRoot(settings.storage, settings.s3), layerSql(settings.db))
  // The Curator validates against this instance's registries (see src/curate).
  const curation = Layer.provideMerge(tableCurationLayer, CuratorLayer.layer)
  // Library warnings go to stderr, not into the program's stdout.
  return Layer.merge(Layer.provideMerge(curation, Layer.provideMerge(Tracker.layer(tracker), Layer.provideMerge(layerInstance(settings), base))), layerStderrLogger)
}

/** Connect an instance from explicit options (creates it when new; never destroys data). */
export const layer = (options: LaminaOptions): Layer.Layer<Lamina, StorageError | IntegrityError | InvalidArgument> =>
  Layer.unwrapEffect(Effect.map(resolveSettings(options), (settings) => layerSettings(settings)))

/** Connect the current instance remembered in `$LAMINA_HOME`. */
export const layerFromSettings: Layer.Layer<Lamina, StorageError | IntegrityError | InvalidArgument> = Layer.unwrapEffect(
  Effect.map(loadInstanceSettings, (settings) => layerSettings(settings))
)
