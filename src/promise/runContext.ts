/**
 * The context of a step's or flow's async body (see `context.ts`), and the loop its run's fiber
 * runs while the body is pending.
 *
 * A run's fiber has nothing to do while its async body runs, so it serves the body: an Effect
 * the body hands over (a step it calls, a registry call) while the fiber is idle runs on that
 * fiber, as an Effect step called from an Effect flow does: no fiber of its own to make (its
 * FiberRefs forked, a scheduler runner of its own, its garbage). In a sequential body (`for … await
 * step(i)`) every call runs so. A call made while the fiber is busy (a second branch of
 * `Promise.all`) runs in a fiber of its own, forked from the run's runtime and interrupted
 * with the run. The body settles → the loop finishes the call it is running, then ends with
 * the body's outcome.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, type Fiber, FiberId, Runtime } from "effect"
import type { Lamina } from "../instance/Lamina.js"
import type { PromiseContext } from "./context.js"

/** An Effect the body handed over, and where its exit goes. */
interface Mail {
  readonly effect: Effect.Effect<unknown, unknown, Lamina>
  readonly done: (exit: Exit.Exit<unknown, unknown>) => void
}

/**
 * The context of one async body. No AbortController is made until the body's code reads
 * `signal` (a body that calls nothing, or only Promise-API functions, never does). A class, not
 * closures: one is made per executed Promise step.
 */
export class RunContext implements PromiseContext {
  private controller: AbortController | undefined
  private interrupted = false
  /** Fibers of calls made while the run's fiber was busy. */
  private live: Set<Fiber.RuntimeFiber<unknown, unknown>> | undefined
  /** Set while the run's fiber waits for mail: calling it resumes the fiber. */
  private wake: (() => void) | undefined
  private mail: Mail | undefined
  /** The body's outcome, once it settled. */
  private outcome: Effect.Effect<unknown, unknown> | undefined

  constructor(
    readonly runtime: Runtime.Runtime<Lamina>,
    readonly client: SqlClient.SqlClient
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.interrupted) this.controller.abort()
    }
    return this.controller.signal
  }

  execute<A, E>(effect: Effect.Effect<A, E, Lamina>, done: (exit: Exit.Exit<A, E>) => void): void {
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      this.mail = { effect, done: done as Mail["done"] }
      return wake()
    }
    const fiber = Runtime.runFork(this.runtime, effect)
    if (this.interrupted) fiber.unsafeInterruptAsFork(fiber.id())
    const live = (this.live ??= new Set())
    live.add(fiber)
    fiber.addObserver((exit) => {
      live.delete(fiber)
      done(exit)
    })
  }

  /**
   * The run's side of the body: `start` it, run the Effects it hands over while it is pending,
   * and end with its outcome (what `settle` was given). Interrupting this interrupts the body's
   * calls and aborts its signal.
   */
  serve(start: () => void): Effect.Effect<unknown, unknown, Lamina> {
    let pending: (() => void) | undefined = start
    const stopWaiting = Effect.sync(() => {
      this.wake = undefined
    })
    // Wait for mail or the outcome; the body starts once the fiber waits, so its first call finds it idle.
    const wait = Effect.async<void>((resume) => {
      this.wake = () => resume(Effect.void)
      if (pending !== undefined) {
        const s = pending
        pending = undefined
        s()
      }
      return stopWaiting
    })
    const loop: Effect.Effect<unknown, unknown, Lamina> = Effect.suspend(() => {
      // Mail first: a body may settle right after a call it does not await.
      const mail = this.mail
      if (mail !== undefined) {
        this.mail = undefined
        // The call's failure is its caller's, not the run's: only its exit goes on.
        return Effect.zipRight(Effect.exit(Effect.onExit(mail.effect, (exit) => Effect.sync(() => mail.done(exit)))), loop)
      }
      return this.outcome ?? waitThenLoop
    })
    const waitThenLoop = Effect.zipRight(wait, loop)
    return Effect.onInterrupt(waitThenLoop, () => Effect.sync(() => this.interrupt()))
  }

  /** The body settled with `outcome` (a success or a failure, as an Effect). */
  settle(outcome: Effect.Effect<unknown, unknown>): void {
    this.outcome = outcome
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  /**
   * The run was interrupted: abort the signal, interrupt every call still running in a fiber of
   * its own, and end a call handed over that the fiber did not take (its interruption came first).
   */
  private interrupt(): void {
    this.interrupted = true
    this.wake = undefined
    this.controller?.abort()
    if (this.live !== undefined) for (const fiber of this.live) fiber.unsafeInterruptAsFork(fiber.id())
    const mail = this.mail
    if (mail !== undefined) {
      this.mail = undefined
      mail.done(Exit.interrupt(FiberId.none))
    }
  }
}
