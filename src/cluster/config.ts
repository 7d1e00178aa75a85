/**
 * Cluster settings every process of one Lamina cluster must agree on (shard count, failover
 * timing, table prefix), and their translation into @effect/cluster's `ShardingConfig`.
 *
 * @module
 */
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import { Duration, Option } from "effect"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"

/** Prefix of the tables @effect/cluster creates in the instance's Postgres database. */
export const TABLE_PREFIX = "lamina_cluster"

/** Settings shared by runners and callers. Give every process of a cluster the same values. */
export interface ClusterTiming {
  /**
   * Shards per group (default 64): how finely entity ids spread over runners. Must be equal on
   * every runner and caller of the cluster.
   */
  readonly shards?: number
  /**
   * How long a runner may miss its heartbeat before its work moves to another runner (default
   * 15 seconds): the failover time after a runner dies. Lower is faster failover; too low
   * risks taking work from a runner that is only slow to reach Postgres.
   */
  readonly failoverAfter?: Duration.DurationInput
}

/** Runner address parsed from `HOST:PORT`; undefined for anything else. */
export const parseAddress = (text: string): RunnerAddress.RunnerAddress | undefined => {
  const m = /^(.+):(\d{1,5})$/.exec(text.trim())
  if (m === null) return undefined
  const port = Number(m[2])
  if (port < 1 || port > 65535) return undefined
  return RunnerAddress.make(m[1]!.replace(/^\[(.*)\]$/, "$1"), port)
}

/** The printable `host:port` of a runner address. */
export const formatAddress = (address: { readonly host: string; readonly port: number }): string => `${address.host}:${address.port}`

/** The `ShardingConfig` of a Lamina cluster process. */
export const shardingConfig = (
  timing: ClusterTiming,
  runner?: { readonly address: RunnerAddress.RunnerAddress; readonly listen?: RunnerAddress.RunnerAddress; readonly weight: number; readonly drain: Duration.DurationInput }
): Partial<ShardingConfig.ShardingConfig["Type"]> => {
  const failover = Duration.decode(timing.failoverAfter ?? "15 seconds")
  return {
    shardsPerGroup: timing.shards ?? 64,
    shardLockExpiration: failover,
    // Callers learn about new and lost runners quickly (the cluster's default is 3 s).
    refreshAssignmentsInterval: Duration.seconds(1),
    sendRetryInterval: Duration.millis(100),
    entityMailboxCapacity: "unbounded",
    entityMaxIdleTime: Duration.minutes(5),
    runnerHealthCheckInterval: Duration.seconds(10),
    ...(runner !== undefined
      ? {
          runnerAddress: Option.some(runner.address),
          runnerListenAddress: runner.listen !== undefined ? Option.some(runner.listen) : Option.none(),
          runnerShardWeight: runner.weight,
          entityTerminationTimeout: runner.drain
        }
      : { runnerAddress: Option.none(), runnerListenAddress: Option.none() })
  }
}
