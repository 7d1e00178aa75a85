/**
 * `connect()`: a connection to a Lamina instance for code that uses Promises — a
 * `ManagedRuntime` over `Lamina.layer`, with every registry, the query language and the lineage
 * engine under the same names as the Effect API, returning Promises.
 *
 * ```ts
 * import { connect } from "lamina/promise"
 * await using lm = await connect({ storage: "./mydata" })
 * const artifact = await (await lm.Artifact.fromPath("m.csv", { key: "raw/m.csv" })).save()
 * ```
 *
 * @module
 */
import { Deferred, Effect, Exit, Fiber, FiberRefs, Layer, ManagedRuntime, Option, type Runtime } from "effect"
import * as Api from "../index.js"
import { InvalidArgument } from "../errors.js"
import { CurrentRun, layerFlowConfig, tracked, type FlowOptions, type Grid, type ProgressSink, type StepOptions, type SweepOptions, type TrackOptions } from "../flow/index.js"
import * as LaminaLayer from "../instance/Lamina.js"
import type { Run } from "../registry/Run.js"
import { Bridge } from "./bridge.js"
import { makeContext } from "./context.js"
import { rejectionOf } from "./rejection.js"
import { Runner } from "./runner.js"
import { runSweep, type SweepResult } from "./sweep.js"
import { makeFlow, makeStep, type PromiseFlow, type PromiseMethodDecorator, type PromiseStep } from "./tracking.js"
import type { Accepting, Promised } from "./types.js"

/** Options of `connect()`: the instance (as `Lamina.layer` takes it) and engine settings. */
export interface ConnectOptions extends LaminaLayer.LaminaOptions {
  /** At most this many step bodies execute at once in a flow (default: no limit). */
  readonly concurrency?: number
  /** Where step progress goes, e.g. `stderrProgress` (default: nowhere). */
  readonly progress?: ProgressSink
}

/** What the public API exports that is a registry (has `filter` and `get`). */
type RegistryName = {
  [K in keyof typeof Api]: (typeof Api)[K] extends { readonly filter: (...args: never) => unknown; readonly get: (...args: never) => unknown } ? K : never
}[keyof typeof Api]

/** Every registry of the Effect API, in its Promise form: `lm.Artifact`, `lm.Run`, `lm.Transform`… */
export type Registries = { readonly [K in RegistryName]: Promised<(typeof Api)[K]> }

const isRegistry = (v: unknown): boolean =>
  (typeof v === "object" || typeof v === "function") &&
  v !== null &&
  typeof (v as { readonly filter?: unknown }).filter === "function" &&
  typeof (v as { readonly get?: unknown }).get === "function"

/** A script run started by `lm.track()`. */
interface Script {
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly done: Deferred.Deferred<void, unknown>
}

/** A connected Lamina instance, for Promise code. Close it with `close()` or `await using`. */
export interface Connection extends Registries {}

/** A connected Lamina instance, for Promise code. Close it with `close()` or `await using`. */
export class Connection implements AsyncDisposable {
  /** The lineage graph of an artifact or run (`upstream`, renderers), as Promises. */
  readonly Lineage: Promised<typeof Api.Lineage>
  private readonly bridge: Bridge
  private script: Script | undefined
  private closing: Promise<void> | undefined

  /** @internal use `connect()` */
  constructor(private readonly managed: ManagedRuntime.ManagedRuntime<LaminaLayer.Lamina, unknown>, runtime: Runtime.Runtime<LaminaLayer.Lamina>) {
    this.bridge = new Bridge(new Runner(runtime))
    for (const [name, value] of Object.entries(Api))
      if (isRegistry(value)) Object.defineProperty(this, name, { value: this.bridge.proxy(value as object), enumerable: true })
    this.Lineage = this.bridge.proxy({ ...Api.Lineage }) as Promised<typeof Api.Lineage>
  }

  /**
   * The Effect runtime of the code running now: inside a step's or flow's async body, the
   * run's (an Effect run with it is part of the run tree); elsewhere the connection's.
   */
  get runtime(): Runtime.Runtime<LaminaLayer.Lamina> {
    return this.bridge.runner.current().runtime
  }

  /** Run an Effect (an Effect-API step, a query) in the current run context; resolves with its Promise-API value. */
  runPromise<A, E>(effect: Effect.Effect<A, E, LaminaLayer.Lamina>): Promise<Promised<A>> {
    if (!Effect.isEffect(effect)) return Promise.reject(new InvalidArgument({ message: "runPromise(effect): pass an Effect, e.g. an Effect-API step call." }))
    return this.bridge.runner.run(effect).then((a) => this.bridge.promised(a) as Promised<A>)
  }

  /** An Effect-API function (a step, a registry function) as a Promise function on this connection. */
  promisify<F extends (...args: never) => unknown>(fn: F): Promised<F> {
    if (typeof fn !== "function") throw new InvalidArgument({ message: `promisify(fn): pass a function returning an Effect, got ${typeof fn}.` })
    return this.bridge.fn(fn as unknown as (...args: Array<unknown>) => unknown) as Promised<F>
  }

  /**
   * A tracked, cached step: each call is a Run of a versioned Transform, a child of the run it
   * is called in. Called with only a name or options: the `@lm.step()` method decorator.
   */
  step<F extends (...args: never[]) => unknown>(nameOrOptions: string | StepOptions, fn: F): PromiseStep<Parameters<F>, Awaited<ReturnType<F>>>
  step(nameOrOptions?: string | StepOptions): PromiseMethodDecorator
  step(nameOrOptions?: string | StepOptions, fn?: unknown): unknown {
    return makeStep(this.bridge, nameOrOptions, fn)
  }

  /**
   * A tracked pipeline: each call is a top-level Run; the steps it calls are its children. It
   * rejects with `FlowFailed` naming the failed step. Called with only a name or options: the
   * `@lm.flow()` method decorator.
   */
  flow<F extends (...args: never[]) => unknown>(nameOrOptions: string | FlowOptions, fn: F): PromiseFlow<Parameters<F>, Awaited<ReturnType<F>>>
  flow(nameOrOptions?: string | FlowOptions): PromiseMethodDecorator
  flow(nameOrOptions?: string | FlowOptions, fn?: unknown): unknown {
    return makeFlow(this.bridge, nameOrOptions, fn)
  }

  /** Run `fn` for every point of a param grid (or a list of param objects); outcomes like `Promise.allSettled`'s. */
  sweep<P extends object, R>(fn: (params: P) => Promise<R>, space: Grid<P> | ReadonlyArray<P>, options?: SweepOptions): Promise<ReadonlyArray<SweepResult<P, R>>> {
    if (typeof fn !== "function") return Promise.reject(new InvalidArgument({ message: "sweep(fn, grid): fn must be a function (e.g. a flow)." }))
    if (typeof space !== "object" || space === null) return Promise.reject(new InvalidArgument({ message: "sweep(fn, grid): pass a grid ({ lr: [0.1, 0.01] }) or a list of param objects." }))
    return runSweep(this.bridge, fn, space, options)
  }

  /**
   * Track the running script as a Run (LaminDB's `ln.track()`): the steps called afterwards
   * at the top level of the script are its children. Resolves with the run.
   */
  async track(options: TrackOptions = {}): Promise<Run> {
    if (this.script !== undefined) throw new InvalidArgument({ message: "A script run is already tracked on this connection: call lm.finish() before lm.track()." })
    if (typeof options !== "object" || options === null) throw new InvalidArgument({ message: "track(options): pass an options object (or nothing)." })
    const runner = this.bridge.runner
    const started = await runner.run(
      Effect.gen(function* () {
        const ready = yield* Deferred.make<Runtime.Runtime<LaminaLayer.Lamina>>()
        const done = yield* Deferred.make<void, unknown>()
        // The run lives in its own fiber until finish(): the engine's `tracked` closes it
        // completed, errored or (interrupted by close()) aborted.
        const body = Effect.zipRight(
          Effect.flatMap(Effect.runtime<LaminaLayer.Lamina>(), (rt) => Deferred.succeed(ready, rt)),
          Deferred.await(done)
        )
        const fiber = yield* Effect.forkDaemon(tracked(body, options))
        const runtime = yield* Effect.raceFirst(Deferred.await(ready), Effect.zipRight(Fiber.join(fiber), Effect.never))
        return { fiber, done, runtime }
      })
    )
    this.script = { fiber: started.fiber, done: started.done }
    runner.setScript(makeContext(started.runtime, undefined))
    const scope = FiberRefs.getOrDefault(started.runtime.fiberRefs, CurrentRun)
    return runner.run(Api.Run.get(Option.getOrThrow(scope).runUid))
  }

  /**
   * Finish the run `track()` started: completed, or errored with `error` when given (the
   * script caught it). Resolves once the run is recorded.
   */
  async finish(options: { readonly error?: unknown } = {}): Promise<void> {
    const script = this.script
    if (script === undefined) throw new InvalidArgument({ message: "Nothing is tracked on this connection: call lm.track() first (lm.finish() closes the run it started)." })
    this.script = undefined
    this.bridge.runner.setScript(undefined)
    const end = "error" in options ? Deferred.fail(script.done, options.error) : Deferred.succeed(script.done, undefined)
    const exit = await Effect.runPromise(Effect.zipRight(end, Fiber.await(script.fiber)))
    // A failure the caller reported is recorded, not rethrown; anything else is a recording failure.
    if (Exit.isFailure(exit) && !("error" in options)) throw rejectionOf(exit.cause, undefined)
  }

  /**
   * Close the connection: a script run still tracked ends `aborted`, opened files close, and
   * the database connections and storage client are released. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const script = this.script
      this.script = undefined
      this.bridge.runner.setScript(undefined)
      if (script !== undefined) await Effect.runPromise(Fiber.interrupt(script.fiber))
      this.bridge.runner.markClosed()
      await this.bridge.closeAll()
      await this.managed.dispose()
    })()
    return this.closing
  }

  /** `await using lm = await connect()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

const checkOptions = (options: ConnectOptions | undefined): InvalidArgument | undefined => {
  if (options === undefined) return undefined
  if (typeof options !== "object" || options === null || Array.isArray(options))
    return new InvalidArgument({ message: "connect(options): pass { storage, db? } or nothing (the current instance)." })
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1))
    return new InvalidArgument({ message: `connect(): concurrency must be a positive integer, got ${String(options.concurrency)}.` })
  if (options.progress !== undefined && typeof options.progress !== "function")
    return new InvalidArgument({ message: "connect(): progress must be a function receiving progress events (e.g. stderrProgress)." })
  return undefined
}

/**
 * Connect a Lamina instance: with no options the current one (`lamina init`, `$LAMINA_HOME`),
 * else `{ storage, db }` (created when new; never destroys data). Rejects with the same typed
 * errors as `Lamina.layer` (`InvalidArgument`, `StorageError`, `IntegrityError`).
 */
export const connect = async (options?: ConnectOptions): Promise<Connection> => {
  const invalid = checkOptions(options)
  if (invalid !== undefined) throw invalid
  const instance = options === undefined ? LaminaLayer.layerFromSettings : LaminaLayer.layer(options)
  const settings = options?.concurrency !== undefined || options?.progress !== undefined
  const layer = settings
    ? Layer.merge(instance, layerFlowConfig({ ...(options?.concurrency !== undefined ? { concurrency: options.concurrency } : {}), ...(options?.progress !== undefined ? { progress: options.progress } : {}) }))
    : instance
  const managed = ManagedRuntime.make(layer as Layer.Layer<LaminaLayer.Lamina, unknown>)
  const exit = await Effect.runPromiseExit(managed.runtimeEffect)
  if (Exit.isFailure(exit)) {
    await managed.dispose()
    throw rejectionOf(exit.cause, undefined)
  }
  return new Connection(managed, exit.value)
}

export type { Accepting }
