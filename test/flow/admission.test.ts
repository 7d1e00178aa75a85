/**
 * The admission gate (src/flow/admission.ts): at most its places of calls between start and
 * admission, places handed over in order, and no deadlock when calls that hold places wait on
 * calls that need them (nested steps, identical keys in flight, the flow's concurrency limit).
 */
import { Deferred, Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { makeGate } from "../../src/flow/admission.js"
import { localExecutor, StepExecutor } from "../../src/flow/executor.js"
import { flow, step } from "../../src/flow/index.js"
import { RunStatus } from "../../src/registry/Run.js"
import { describeBackends } from "../support/backends.js"
import { allRuns } from "./support.js"

describe("makeGate", () => {
  it("lets in at most its places, hands a freed place to the first waiter, and passes on a place an interrupted waiter was handed", async () => {
    const inside: Array<number> = []
    const entered: Array<number> = []
    const program = Effect.gen(function* () {
      const gate = makeGate(2)
      const done = yield* Effect.forEach([0, 1, 2, 3, 4], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach([0, 1, 2, 3, 4], (i) =>
        Effect.fork(
          gate.enter((ticket) =>
            Effect.gen(function* () {
              inside.push(i)
              entered.push(i)
              yield* Deferred.await(done[i]!)
              inside.splice(inside.indexOf(i), 1)
              yield* ticket.leave
            })
          )
        )
      )
      yield* Effect.yieldNow()
      const first = [...entered]
      // A queued call interrupted: its turn is skipped, nobody else's.
      yield* Fiber.interrupt(fibers[2]!)
      yield* Deferred.succeed(done[0]!, undefined)
      yield* Fiber.join(fibers[0]!)
      yield* Effect.yieldNow()
      const second = [...entered]
      yield* Deferred.succeed(done[1]!, undefined)
      yield* Deferred.succeed(done[3]!, undefined)
      yield* Deferred.succeed(done[4]!, undefined)
      yield* Fiber.join(fibers[1]!)
      yield* Fiber.join(fibers[3]!)
      yield* Fiber.join(fibers[4]!)
      return { first, second }
    })
    const { first, second } = await Effect.runPromise(program)
    expect(first).toEqual([0, 1])
    expect(second).toEqual([0, 1, 3])
    expect(entered).toEqual([0, 1, 3, 4])
    expect(inside).toEqual([])
  })

  it("rejoin waits for a place after leave, and the place is given back when the call ends", async () => {
    const program = Effect.gen(function* () {
      const gate = makeGate(1)
      const order: Array<string> = []
      const release = yield* Deferred.make<void>()
      const a = yield* Effect.fork(
        gate.enter((ticket) =>
          Effect.gen(function* () {
            yield* ticket.leave
            yield* Deferred.await(release)
            yield* ticket.rejoin
            order.push("a rejoined")
          })
        )
      )
      yield* Effect.yieldNow()
      const b = yield* Effect.fork(gate.enter(() => Effect.zipRight(Deferred.await(release), Effect.sync(() => void order.push("b in")))))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      // Both ended: the one place is free again.
      yield* gate.enter(() => Effect.sync(() => void order.push("c in")))
      return order
    })
    expect(await Effect.runPromise(program)).toEqual(["b in", "a rejoined", "c in"])
  })
})

describeBackends("admission gate in step()", ({ instance, backend }) => {
  const oneplace = { ...localExecutor, gate: makeGate(1) }

  it("a gate of one place: nested steps and identical keys in flight complete, each key computed once", async () => {
    const i = await instance()
    let computed = 0
    const leaf = step("gate-leaf", (n: number) => Effect.sync(() => (computed++, n)))
    const outer = step("gate-outer", (n: number) => Effect.map(Effect.all([leaf(n), leaf(n + 100)], { concurrency: "unbounded" }), ([a, b]) => a + b))
    const f = flow("gate-flow", (n: number) => Effect.forEach(Array.from({ length: n }, (_, k) => k % 3), (k) => outer(k), { concurrency: "unbounded" }))
    const out = await i.run(f(12).pipe(Effect.provideService(StepExecutor, oneplace)))
    expect(out).toEqual(Array.from({ length: 12 }, (_, k) => 2 * (k % 3) + 100))
    expect(computed).toBe(6)
    const runs = await i.run(allRuns)
    expect(runs.filter((r) => r.status === RunStatus.started)).toEqual([])
    expect(runs.filter((r) => r.name === "gate-outer" && r.status === RunStatus.completed)).toHaveLength(3)
  })

  it("a gate of one place under a flow concurrency of 1: nested steps do not deadlock", async () => {
    const i = await instance()
    const leaf = step("gate-leaf2", (n: number) => Effect.succeed(n))
    const outer = step("gate-outer2", (n: number) => Effect.map(Effect.all([leaf(n), leaf(n + 100)], { concurrency: "unbounded" }), ([a, b]) => a + b))
    const f = flow({ name: "gate-flow2", concurrency: 1 }, () => Effect.forEach([1, 2, 3, 4], (n) => outer(n), { concurrency: "unbounded" }))
    expect(await i.run(f().pipe(Effect.provideService(StepExecutor, oneplace)))).toEqual([102, 104, 106, 108])
  })

  it("the local executor enters its gate on Postgres only; an unbounded fan-out with nested steps completes either way", async () => {
    const i = await instance()
    const gate = localExecutor.gate
    let entered = 0
    // Count the default executor's gate entries (the module-level executor, restored below).
    ;(localExecutor as { gate: typeof gate }).gate = { enter: (use) => Effect.suspend(() => (entered++, gate.enter(use))) }
    try {
      let computed = 0
      const leaf = step("fan-leaf", (n: number) => Effect.sync(() => (computed++, n)))
      const outer = step("fan-outer", (n: number) => Effect.map(Effect.all([leaf(n), leaf(n + 1000)], { concurrency: "unbounded" }), ([a, b]) => a + b))
      const f = flow("fan-flow", (n: number) => Effect.forEach(Array.from({ length: n }, (_, k) => k % 50), (k) => outer(k), { concurrency: "unbounded" }))
      const out = await i.run(f(300))
      expect(out).toEqual(Array.from({ length: 300 }, (_, k) => 2 * (k % 50) + 1000))
      expect(computed).toBe(100)
      // SQLite: lookups and claims are synchronous calls on one connection, no pool to protect.
      if (backend === "sqlite") expect(entered).toBe(0)
      else expect(entered).toBeGreaterThanOrEqual(300)
      const runs = await i.run(allRuns)
      expect(runs.filter((r) => r.status === RunStatus.started)).toEqual([])
      expect(runs.filter((r) => r.name === "fan-outer" && r.status === RunStatus.completed)).toHaveLength(50)
    } finally {
      ;(localExecutor as { gate: typeof gate }).gate = gate
    }
  })
})
