/**
 * Runner slots on the caller's side (src/cluster/slots.ts): a freed slot goes to one waiting
 * call, in order, without waking the others; avoided runners are passed over; a slot handed
 * to a call interrupted at that moment is given back.
 */
import { Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { makeSlots, NONE, type Slot } from "../../src/cluster/slots.js"

const runner = (capacity: number) => ({ capacity, ids: ["a", "b"] })

describe("makeSlots", () => {
  it("hands each freed slot to the first waiting call only (one wake-up per release, FIFO)", async () => {
    const slots = makeSlots()
    slots.update(new Map([["r1:1", runner(2)]]))
    const got: Array<number> = []
    await Effect.runPromise(
      Effect.gen(function* () {
        const held: Array<Slot> = []
        for (let i = 0; i < 2; i++) held.push((yield* slots.take(undefined, false)) as Slot)
        const fibers = yield* Effect.forEach(Array.from({ length: 64 }, (_, i) => i), (i) =>
          Effect.fork(Effect.map(slots.take(undefined, false), (s) => { got.push(i); return s as Slot }))
        )
        yield* Effect.yieldNow()
        expect(slots.waiting()).toBe(64)
        // Release one slot at a time: exactly one waiter wakes each time (before: all 64 raced).
        for (let i = 0; i < 64; i++) {
          slots.release(held.shift()!)
          expect(slots.wakeups()).toBe(i + 1)
          expect(slots.waiting()).toBe(63 - i)
          held.push(yield* Fiber.join(fibers[i]!))
        }
      })
    )
    expect(got).toEqual(Array.from({ length: 64 }, (_, i) => i))
    expect(slots.runners()).toEqual([{ address: "r1:1", capacity: 2, inflight: 2 }])
  })

  it("serves a later waiter a slot an earlier one must avoid, and answers NONE to strict waiters that avoid every runner", async () => {
    const slots = makeSlots()
    slots.update(new Map([["r1:1", runner(1)], ["r2:1", runner(1)]]))
    await Effect.runPromise(
      Effect.gen(function* () {
        const s1 = (yield* slots.take(undefined, false)) as Slot
        const s2 = (yield* slots.take(undefined, false)) as Slot
        const onR1 = s1.runner === "r1:1" ? s1 : s2
        const onR2 = s1.runner === "r1:1" ? s2 : s1
        const avoidR1 = yield* Effect.fork(slots.take(new Set(["r1:1"]), true))
        const any = yield* Effect.fork(slots.take(undefined, false))
        yield* Effect.yieldNow()
        slots.release(onR1)
        // r1's slot skips the waiter avoiding r1 and goes to the next one.
        expect(((yield* Fiber.join(any)) as Slot).runner).toBe("r1:1")
        slots.release(onR2)
        expect(((yield* Fiber.join(avoidR1)) as Slot).runner).toBe("r2:1")
        expect(yield* slots.take(new Set(["r1:1", "r2:1"]), true)).toBe(NONE)
      })
    )
  })

  it("gives back a slot when its waiting call is interrupted, and drops runners no longer listed", async () => {
    const slots = makeSlots()
    slots.update(new Map([["r1:1", runner(1)]]))
    await Effect.runPromise(
      Effect.gen(function* () {
        const held = (yield* slots.take(undefined, false)) as Slot
        const waiting = yield* Effect.fork(slots.take(undefined, false))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(waiting)
        expect(slots.waiting()).toBe(0)
        slots.release(held)
        expect(slots.runners()).toEqual([{ address: "r1:1", capacity: 1, inflight: 0 }])
        slots.update(new Map())
        expect(slots.known()).toBe(0)
      })
    )
  })
})
