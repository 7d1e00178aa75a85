/**
 * The cluster's storage: @effect/cluster's runner registry, shard locks and message tables in
 * the instance's own Postgres database (tables prefixed `lamina_cluster_`), over a small
 * connection pool of their own — the cluster keeps one connection for its shard locks, and
 * its snowflake ids need Postgres's default BIGINT decoding, which Lamina's pool changes.
 *
 * @module
 */
import type * as MessageStorage from "@effect/cluster/MessageStorage"
import type * as RunnerStorage from "@effect/cluster/RunnerStorage"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Layer, Redacted } from "effect"
import { isPostgresUrl, redactUrl, withLibpqUser } from "../db/url.js"
import { InvalidArgument, StorageError } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { TABLE_PREFIX } from "./config.js"

/** The Postgres URL of the connected instance, or an error saying a cluster needs one. */
export const clusterDatabase = (what: string): Effect.Effect<string, InvalidArgument, Instance> =>
  Effect.flatMap(Instance, (instance) =>
    isPostgresUrl(instance.settings.db)
      ? Effect.succeed(instance.settings.db)
      : Effect.fail(
          new InvalidArgument({
            message: `${what} needs a team instance: its runners and callers meet in the instance's Postgres registry, and this instance's registry is ${instance.settings.db}. Create one with \`lamina init --storage <shared folder or s3://…> --db postgresql://…\` and use it on every host.`
          })
        )
  )

/** The advisory lock key under which the cluster's tables are created ("lamina_c" in ASCII). */
const TABLE_CREATION_LOCK = 0x6c616d696e615f63n

/**
 * Build `tables` holding a Postgres advisory lock. Runners starting together race to create the
 * tables: `CREATE TABLE IF NOT EXISTS` is not atomic in Postgres (the loser fails on pg_type's
 * unique index), and @effect/cluster's message storage turns that failure into a defect.
 */
const creatingTablesUnderLock = (url: string) => <A, E, R>(tables: Layer.Layer<A, E, R>): Layer.Layer<A, E | StorageError, R | SqlClient.SqlClient> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const layerScope = yield* Effect.scope
      return yield* Effect.scoped(
        Effect.gen(function* () {
          // A session lock lives on one connection: take and release it on the same one.
          const connection = yield* sql.reserve.pipe(
            Effect.tap((c) => c.executeRaw(`SELECT pg_advisory_lock(${TABLE_CREATION_LOCK})`, [])),
            Effect.mapError((cause) => new StorageError({ message: `Cannot lock the cluster's table creation in ${redactUrl(url)}: ${cause.message}`, cause }))
          )
          return yield* Layer.buildWithScope(tables, layerScope).pipe(
            Effect.ensuring(Effect.ignore(connection.executeRaw(`SELECT pg_advisory_unlock(${TABLE_CREATION_LOCK})`, [])))
          )
        })
      )
    })
  )

/** `RunnerStorage` and `MessageStorage` in the instance's Postgres, on a pool of their own. */
export const layerStorage = (
  url: string
): Layer.Layer<RunnerStorage.RunnerStorage | MessageStorage.MessageStorage, StorageError, ShardingConfig.ShardingConfig> =>
  Layer.merge(
    Layer.mapError(
      SqlRunnerStorage.layerWith({ prefix: TABLE_PREFIX }),
      (cause) => new StorageError({ message: `Cannot create the cluster's runner tables in ${redactUrl(url)}: ${cause.message}`, cause })
    ),
    SqlMessageStorage.layerWith({ prefix: TABLE_PREFIX })
  ).pipe(
    creatingTablesUnderLock(url),
    Layer.provide(
      Layer.mapError(
        PgClient.layer({
          // The same user as the registry connection when the URL names none.
          url: Redacted.make(withLibpqUser(url)),
          // One connection stays reserved for shard locks.
          maxConnections: 4,
          connectTimeout: Duration.seconds(5),
          applicationName: "lamina-cluster"
        }),
        (cause) => new StorageError({ message: `Cannot connect the cluster to ${redactUrl(url)}: ${cause.message}. Check that Postgres is running.`, cause })
      )
    )
  )

