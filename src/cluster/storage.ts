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
import { Duration, Effect, Layer, Redacted } from "effect"
import { isPostgresUrl, redactUrl } from "../db/postgres.js"
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
    Layer.provide(
      Layer.mapError(
        PgClient.layer({
          url: Redacted.make(url),
          // One connection stays reserved for shard locks.
          maxConnections: 4,
          connectTimeout: Duration.seconds(5),
          applicationName: "lamina-cluster"
        }),
        (cause) => new StorageError({ message: `Cannot connect the cluster to ${redactUrl(url)}: ${cause.message}. Check that Postgres is running.`, cause })
      )
    )
  )

