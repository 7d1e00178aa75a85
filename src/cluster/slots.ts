/**
 * Runner slots on the caller's side: how many calls each known runner may take (its
 * capacity) and has in flight, and the calls waiting for a free one. The router (router.ts)
 * keeps the runner list current; this file only hands out slots.
 *
 * A freed slot is handed to one waiting call directly (FIFO among the waiters it can serve).
 * Waking every waiter on each release and letting them race for the slot, as before, cost
 * O(waiters) fibers, Deferreds and closures per dispatched call: with the gate's 64 calls
 * waiting on a runner with 2 slots, ~1.5 MB of garbage per call in the caller, which is what
 * made its heap (and peak RSS) grow with fan-outs of thousands of steps.
 *
 * @module
 */
import { Effect } from "effect"

/** A reserved place on a runner. */
export interface Slot {
  readonly runner: string
  readonly entityId: string
}

/** A runner as the slots see it. */
interface Known {
  capacity: number
  inflight: number
  ids: ReadonlyArray<string>
  next: number
}

/** What `take` returns when every known runner is avoided (strict mode). */
export const NONE = "none" as const

interface Waiter {
  readonly avoid: ReadonlySet<string> | undefined
  readonly strict: boolean
  readonly resume: (slot: Slot | typeof NONE) => void
  /** The slot handed to it (set before `resume`). */
  handed?: Slot | typeof NONE
}

/** The slots of the known runners. */
export interface Slots {
  /**
   * Take a free slot now, or wait for one. Runners in `avoid` are passed over while another
   * runner is known; with `strict`, `NONE` at once when every known runner is in `avoid`.
   */
  readonly take: (avoid: ReadonlySet<string> | undefined, strict: boolean) => Effect.Effect<Slot | typeof NONE>
  readonly release: (slot: Slot) => void
  /** Replace the runner list: `address → capacity and entity ids`; runners not listed are dropped. */
  readonly update: (runners: ReadonlyMap<string, { readonly capacity: number; readonly ids: ReadonlyArray<string> }>) => void
  readonly known: () => number
  readonly waiting: () => number
  readonly runners: () => ReadonlyArray<{ readonly address: string; readonly capacity: number; readonly inflight: number }>
  /** Waiters woken so far (each woken waiter got a slot): for tests. */
  readonly wakeups: () => number
}

/** Empty slots (no runner known yet). */
export const makeSlots = (): Slots => {
  const known = new Map<string, Known>()
  const waiters: Array<Waiter> = []
  let wakeups = 0

  /** The least loaded free runner (reserved); `NONE` when `strict` and every known runner is avoided. */
  const pick = (avoid: ReadonlySet<string> | undefined, strict: boolean): Slot | typeof NONE | undefined => {
    let others = 0
    let best: [string, Known] | undefined
    for (const entry of known) {
      if (avoid !== undefined && avoid.has(entry[0])) continue
      others++
      const k = entry[1]
      if (k.inflight >= k.capacity) continue
      if (best === undefined || k.inflight / k.capacity < best[1].inflight / best[1].capacity) best = entry
    }
    if (others === 0 && known.size > 0) {
      if (strict) return NONE
      // Only avoided runners are known: use them rather than wait for another.
      for (const entry of known) {
        const k = entry[1]
        if (k.inflight >= k.capacity) continue
        if (best === undefined || k.inflight / k.capacity < best[1].inflight / best[1].capacity) best = entry
      }
    }
    if (best === undefined) return undefined
    const [runner, k] = best
    k.inflight++
    return { runner, entityId: k.ids[k.next++ % k.ids.length]! }
  }

  const anyFree = () => {
    for (const k of known.values()) if (k.inflight < k.capacity) return true
    return false
  }

  /** Hand free slots to the first waiters they can serve. */
  const wake = () => {
    for (let i = 0; i < waiters.length; ) {
      const w = waiters[i]!
      // A strict waiter may be answered `NONE` even without a free slot.
      if (!w.strict && !anyFree()) return
      const slot = pick(w.avoid, w.strict)
      if (slot === undefined) {
        i++
        continue
      }
      waiters.splice(i, 1)
      w.handed = slot
      wakeups++
      w.resume(slot)
    }
  }

  const release = (slot: Slot) => {
    const k = known.get(slot.runner)
    if (k !== undefined && k.inflight > 0) k.inflight--
    wake()
  }

  const take = (avoid: ReadonlySet<string> | undefined, strict: boolean): Effect.Effect<Slot | typeof NONE> =>
    Effect.suspend(() => {
      // With calls queued, a new call queues behind them (wake serves them first).
      const now = waiters.length === 0 ? pick(avoid, strict) : undefined
      if (now !== undefined) return Effect.succeed(now)
      return Effect.async<Slot | typeof NONE>((resume) => {
        const w: Waiter = { avoid, strict, resume: (slot) => resume(Effect.succeed(slot)) }
        waiters.push(w)
        wake()
        return Effect.sync(() => {
          const i = waiters.indexOf(w)
          if (i >= 0) waiters.splice(i, 1)
          // Handed a slot as it was interrupted: give it back.
          else if (w.handed !== undefined && w.handed !== NONE) release(w.handed)
        })
      })
    })

  return {
    take,
    release,
    update: (runners) => {
      for (const [address, r] of runners) {
        const k = known.get(address)
        if (k === undefined) known.set(address, { capacity: Math.max(1, r.capacity), inflight: 0, ids: r.ids, next: 0 })
        else {
          k.capacity = Math.max(1, r.capacity)
          k.ids = r.ids
        }
      }
      for (const address of [...known.keys()]) if (!runners.has(address)) known.delete(address)
      wake()
    },
    known: () => known.size,
    waiting: () => waiters.length,
    runners: () => [...known].map(([address, k]) => ({ address, capacity: k.capacity, inflight: k.inflight })),
    wakeups: () => wakeups
  }
}
