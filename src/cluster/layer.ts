/**
 * `cluster(options)` (lamina/cluster): the layer that makes flows run their steps on runners. It joins
 * the instance's cluster as a client (no server socket, owns no shards), routes each executed
 * step call to a runner, and replaces the engine's local executor. Everything else — cache
 * lookups, claims, run records, progress — works as without it.
 *
 * ```ts
 * const layer = cluster({ attempts: 3 }).pipe(Layer.provideMerge(Lamina.layerFromSettings))
 * await runMain(pipeline(inputs), { layer })
 * ```
 *
 * @module
 */
import * as RunnerStorage from "@effect/cluster/RunnerStorage"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import { layerClientProtocol } from "@effect/platform-node/NodeClusterSocket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import { Duration, Effect, Layer } from "effect"
import { InvalidArgument, type StorageError } from "../errors.js"
import { StepExecutor } from "../flow/executor.js"
import type { Lamina } from "../instance/Lamina.js"
import { type ClusterTiming, shardingConfig } from "./config.js"
import { StepEntity } from "./protocol.js"
import { makeRemoteExecutor } from "./remote.js"
import { makeRouter } from "./router.js"
import { clusterDatabase, layerStorage } from "./storage.js"

/** Options of `cluster` (lamina/cluster). */
export interface ClusterOptions extends ClusterTiming {
  /**
   * Attempts per step call when the runner executing it is lost (killed, out of memory, host
   * down): each lost attempt's run ends `aborted`, the next runs on another runner. Default 3.
   */
  readonly attempts?: number
  /** How long a step call waits for a first runner to join before failing (default 60 s). */
  readonly waitForRunners?: Duration.DurationInput
}

/** The cluster client: `Sharding` without a server, plus the runner table it reads. */
const layerClient = (url: string, options: ClusterOptions) =>
  Layer.provide(SocketRunner.layerClientOnly, layerClientProtocol).pipe(
    Layer.provideMerge(layerStorage(url)),
    Layer.provide(ShardingConfig.layer(shardingConfig(options))),
    Layer.provide(RpcSerialization.layerMsgPack)
  )

/** Run the steps of flows on the instance's runners (`lamina worker`). Needs a Postgres instance. */
export const cluster = (options: ClusterOptions = {}): Layer.Layer<StepExecutor, StorageError | InvalidArgument, Lamina> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const attempts = options.attempts ?? 3
      if (!Number.isInteger(attempts) || attempts < 1)
        return yield* new InvalidArgument({ message: `cluster(): attempts must be a positive whole number, got ${String(options.attempts)}.` })
      if (options.shards !== undefined && (!Number.isInteger(options.shards) || options.shards < 1))
        return yield* new InvalidArgument({ message: `cluster(): shards must be a positive whole number (the same on every runner), got ${String(options.shards)}.` })
      const url = yield* clusterDatabase("cluster()")
      const executor = Layer.scoped(
        StepExecutor,
        Effect.gen(function* () {
          yield* Sharding.Sharding
          yield* RunnerStorage.RunnerStorage
          const router = yield* makeRouter({ shards: options.shards ?? 64, waitForRunners: Duration.decode(options.waitForRunners ?? "60 seconds") })
          const client = yield* StepEntity.client
          return makeRemoteExecutor(router, client, { attempts })
        })
      )
      return Layer.provide(executor, layerClient(url, options))
    })
  )
