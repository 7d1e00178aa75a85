/**
 * Running Effects for Promise code: in the context of the run around the caller (see
 * `context.ts`), else at the connection's top level, rejecting with the original error.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { type Effect, Exit, Runtime } from "effect"
import { InvalidArgument } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import { CurrentContext, makeContext, type PromiseContext } from "./context.js"
import { rejectionOf } from "./rejection.js"

/** Runs Effects on one connection. */
export class Runner {
  private readonly root: PromiseContext
  /** The script run `lm.track()` started: the context of top-level code until `finish()`. */
  private script: PromiseContext | undefined
  private closed = false

  constructor(runtime: Runtime.Runtime<Lamina>) {
    this.root = makeContext(runtime, undefined)
  }

  /** The registry client of this connection. */
  get client(): SqlClient.SqlClient {
    return this.root.client
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed
  }

  /** The context code runs in now: the enclosing run's on this connection, else the tracked script's, else the top level. */
  current(): PromiseContext {
    const store = CurrentContext.getStore()
    return store !== undefined && store.client === this.root.client ? store : (this.script ?? this.root)
  }

  /** Set (or clear) the tracked script's context. */
  setScript(ctx: PromiseContext | undefined): void {
    this.script = ctx
  }

  /** Refuse work from now on (the connection is closing). */
  markClosed(): void {
    this.closed = true
  }

  /**
   * Run `effect` in the current context; resolves with its value, rejects with its error. An
   * extra `signal` (a flow's) interrupts it too.
   */
  run<A, E>(effect: Effect.Effect<A, E, Lamina>, extra?: AbortSignal): Promise<A>
  /** `run`, resolving with `map(value)`: one Promise hop fewer than `run(…).then(map)`. */
  run<A, E, B>(effect: Effect.Effect<A, E, Lamina>, extra: AbortSignal | undefined, map: (a: A) => B): Promise<B>
  run<A, E, B>(effect: Effect.Effect<A, E, Lamina>, extra?: AbortSignal, map?: (a: A) => B): Promise<A | B> {
    if (this.closed)
      return Promise.reject(new InvalidArgument({ message: "This Lamina connection is closed: call connect() again to use the instance." }))
    const ctx = this.current()
    if (extra === undefined && ctx.execute !== undefined)
      // Inside a run's async body: the run runs it (see `runContext.ts`).
      return new Promise<A | B>((resolve, reject) =>
        ctx.execute!(effect, (exit) => {
          if (Exit.isFailure(exit)) return reject(rejectionOf(exit.cause, ctx.signal))
          try {
            resolve(map === undefined ? exit.value : map(exit.value))
          } catch (e) {
            reject(e)
          }
        })
      )
    const signal = extra === undefined ? ctx.signal : ctx.signal === undefined ? extra : AbortSignal.any([ctx.signal, extra])
    return Runtime.runPromiseExit(ctx.runtime, effect, signal === undefined ? undefined : { signal }).then((exit) => {
      if (Exit.isFailure(exit)) throw rejectionOf(exit.cause, signal)
      return map === undefined ? exit.value : map(exit.value)
    })
  }
}
