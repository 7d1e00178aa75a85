/**
 * A runner: a process that joins the instance's cluster and executes the steps its pipeline
 * modules export, when flows using `cluster` (lamina/cluster) dispatch them. `lamina worker` starts one.
 *
 * It registers in the cluster's runner table (in the instance's Postgres), serves the step
 * entity over TCP on its listen address, and runs at most `concurrency` step bodies at once;
 * its shard weight is its concurrency, so a bigger runner receives proportionally more calls.
 * On SIGTERM it drains: calls in flight get `drain` to finish, then the rest are re-sent by
 * their callers to other runners.
 *
 * @module
 */
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import { layerClientProtocol, layerSocketServer } from "@effect/platform-node/NodeClusterSocket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as os from "node:os"
import { Context, Duration, Effect, Layer } from "effect"
import { InvalidArgument } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import type { RunnerIdentity } from "./attempt.js"
import type { StepCatalog } from "./catalog.js"
import { type ClusterTiming, formatAddress, parseAddress, shardingConfig } from "./config.js"
import { handleDispatch, type HandlerContext } from "./handler.js"
import { StepEntity } from "./protocol.js"
import { clusterDatabase, layerStorage } from "./storage.js"

/** Options of a runner. */
export interface WorkerOptions extends ClusterTiming {
  /** The steps it executes (see `loadCatalog`). */
  readonly catalog: StepCatalog
  /** What the catalog was loaded from, for messages. */
  readonly modules?: string
  /** Step bodies running at once (default: the number of CPUs). */
  readonly concurrency?: number
  /** `HOST:PORT` to listen on (default `0.0.0.0:34431`). */
  readonly listen?: string
  /**
   * `HOST:PORT` other processes reach this runner at (default: the listen address, with this
   * machine's host name when listening on all interfaces).
   */
  readonly advertise?: string
  /** How long calls in flight may finish after SIGTERM (default 1 minute). */
  readonly drain?: Duration.DurationInput
}

/** A running runner's identity, as it registered. */
export interface WorkerInfo {
  readonly address: string
  readonly host: string
  readonly concurrency: number
  readonly steps: ReadonlyArray<string>
}

/** The running runner (provided by `layerWorker`). */
export class Worker extends Context.Tag("lamina/cluster/Worker")<Worker, WorkerInfo>() {}

const badAddress = (flag: string, value: string) =>
  new InvalidArgument({ message: `--${flag} '${value}' is not HOST:PORT (e.g. 0.0.0.0:34431 or 10.0.0.5:34431).` })

/** Resolve listen and advertised addresses and the concurrency. */
export const resolveWorker = (options: WorkerOptions) =>
  Effect.gen(function* () {
    const listenText = options.listen ?? "0.0.0.0:34431"
    const listen = parseAddress(listenText)
    if (listen === undefined) return yield* badAddress("listen", listenText)
    const advertised = options.advertise !== undefined ? parseAddress(options.advertise) : undefined
    if (options.advertise !== undefined && advertised === undefined) return yield* badAddress("advertise", options.advertise)
    const anyHost = listen.host === "0.0.0.0" || listen.host === "::"
    const address = advertised ?? (anyHost ? parseAddress(`${os.hostname()}:${listen.port}`)! : listen)
    const concurrency = options.concurrency ?? os.availableParallelism()
    if (!Number.isInteger(concurrency) || concurrency < 1)
      return yield* new InvalidArgument({ message: `--concurrency must be a positive whole number, got ${String(options.concurrency)}.` })
    return { listen, address, concurrency }
  })

/**
 * The runner as a layer over a connected instance: building it registers the runner and
 * starts serving; releasing it drains and unregisters.
 */
export const layerWorker = (options: WorkerOptions): Layer.Layer<Worker, unknown, Lamina> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const url = yield* clusterDatabase("lamina worker")
      const { listen, address, concurrency } = yield* resolveWorker(options)
      const config = ShardingConfig.layer(
        shardingConfig(options, { address, listen, weight: concurrency, drain: options.drain ?? Duration.minutes(1) })
      )
      const me: RunnerIdentity = { address: formatAddress(address), host: os.hostname(), token: `${formatAddress(address)}/${process.pid}/${Date.now()}` }
      const ctx: HandlerContext = {
        catalog: options.catalog,
        me,
        slots: yield* Effect.makeSemaphore(concurrency),
        modules: options.modules ?? "the given catalog"
      }
      const lamina = yield* Effect.context<Lamina>()
      const entity = StepEntity.toLayer(
        { Execute: (request) => Effect.provide(handleDispatch(ctx, request.payload), lamina) },
        // Calls share entity ids (routing slots), so one entity instance runs many at once;
        // the runner's semaphore bounds the bodies.
        { concurrency: "unbounded", mailboxCapacity: "unbounded" }
      )
      const storage = layerStorage(url)
      const cluster = Layer.provide(SocketRunner.layer, [layerSocketServer, layerClientProtocol]).pipe(
        Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(layerClientProtocol))),
        Layer.provide(storage),
        Layer.provide(config),
        Layer.provide(RpcSerialization.layerMsgPack)
      )
      const info: WorkerInfo = { address: me.address, host: me.host, concurrency, steps: [...options.catalog.keys()] }
      return Layer.merge(Layer.provide(entity, cluster), Layer.succeed(Worker, info))
    })
  )

