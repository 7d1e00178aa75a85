/**
 * The admission gate: a bound on the step calls of one executor that have started but are not
 * yet admitted (given a runner slot, or about to run here).
 *
 * Before admission a call resolves its transform, looks up the cache and joins its key's flight
 * in the caller, so that a hit costs no hop. Without a bound, an unbounded fan-out of N calls
 * starts N sets of registry queries at once and waits for runner slots with all of them done:
 * thousands of queued pool acquisitions time out (`Saving a Transform: registry query failed`)
 * or overflow pg-pool's stack when they are cancelled together. With the gate, calls beyond its
 * places are plain suspended fibers until a place frees.
 *
 * A call leaves the gate when it is admitted (its run started), and before any wait that other calls' progress
 * ends (a flight led by another call, a claim held elsewhere, the flow's concurrency permits): a place is only ever held
 * by a call that needs nothing but the registry and a free runner slot to move on, so nested
 * step calls (a body calling steps) can never wait for places held by calls waiting on them.
 *
 * @module
 */
import { Effect } from "effect"

/** One call's place in the gate. */
export interface Ticket {
  /** Give the place back; does nothing when it is not held. */
  readonly leave: Effect.Effect<void>
  /** Take a place again after `leave` (waits while the gate is full); does nothing when held. */
  readonly rejoin: Effect.Effect<void>
}

/**
 * The ticket of a call that did not pass a gate: nothing to leave or rejoin. The local executor
 * on the embedded SQLite registry runs without its gate (see `step.ts`' `callStep`): there the
 * lookup and the claim are synchronous calls on one connection, with no pool to exhaust, so a
 * place would bound nothing and cost a dozen Effect operations per call.
 */
export const ungated: Ticket = { leave: Effect.void, rejoin: Effect.void }

/** Calls started and not yet admitted, at most `places` at a time. */
export interface Gate {
  /** Run `use` holding a place until it calls `ticket.leave` or ends. */
  readonly enter: <A, E, R>(use: (ticket: Ticket) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * Places of an executor's gate: enough that lookups stay well ahead of the runners (a place is
 * given back at admission, so it does not cap how many calls run), few enough that a registry
 * pool of a few connections queues at most this many queries.
 */
export const DEFAULT_PLACES = 64

/**
 * A gate with `places` places. A FIFO of waiters, each handed a freed place directly: Effect's
 * `Semaphore` wakes every waiter on each release (they re-check and queue again), which with
 * thousands of queued calls costs O(waiters) per release.
 */
export const makeGate = (places: number = DEFAULT_PLACES): Gate => {
  let free = Math.max(1, places)
  // Waiters' resume callbacks, FIFO. `Effect.async` with a canceler rather than a Deferred and
  // `onInterrupt`: a queued call is a suspended fiber, and with thousands of them the frames
  // each one holds while it waits are most of the caller's memory.
  const queue: Array<{ handed: boolean; readonly resume: () => void }> = []
  const give = () => {
    const next = queue.shift()
    if (next === undefined) free++
    else {
      next.handed = true
      next.resume()
    }
  }
  const take: Effect.Effect<void> = Effect.suspend(() => {
    if (free > 0) {
      free--
      return Effect.void
    }
    return Effect.async<void>((resume) => {
      const waiter = { handed: false, resume: () => resume(Effect.void) }
      queue.push(waiter)
      return Effect.sync(() => {
        const i = queue.indexOf(waiter)
        if (i >= 0) queue.splice(i, 1)
        // Handed a place as it was interrupted: pass it on.
        else if (waiter.handed) give()
      })
    })
  })
  return {
    enter: (use) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(take), () => {
          let held = true
          const leave = Effect.sync(() => {
            if (!held) return
            held = false
            give()
          })
          const rejoin = Effect.uninterruptibleMask((again) =>
            Effect.suspend(() =>
              held
                ? Effect.void
                : Effect.map(again(take), () => {
                    held = true
                  })
            )
          )
          return restore(use({ leave, rejoin })).pipe(Effect.ensuring(leave))
        })
      )
  }
}
