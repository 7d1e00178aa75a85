/**
 * Calls of several kinds timed in alternating blocks inside one flow (bench/flow/queries.ts,
 * stored.ts): each block runs `BLOCK` calls of one kind and records each call's wall time;
 * a pass runs every kind once per block, in a rotating order, so load drift hits all alike.
 */
import { Effect, type ManagedRuntime } from "effect"
import { flow } from "../../src/flow/index.js"
import type * as Lamina from "../../src/instance/Lamina.js"

const BLOCK = 10

/** Times per kind: what a pass fills. */
export type Times<K extends string> = Record<K, Array<number>>

/** A timer of `call` for `kinds`, in a flow named `name` on `rt`; `steps` calls per kind and pass. */
export const rotatingBlocks = <K extends string>(
  rt: ManagedRuntime.ManagedRuntime<Lamina.Lamina, unknown>,
  name: string,
  kinds: ReadonlyArray<K>,
  steps: number,
  call: (kind: K, i: number) => Effect.Effect<unknown, unknown, Lamina.Lamina>
) => {
  let sink: Array<number> = []
  const blockFlow = flow(name, (kind: K, from: number) =>
    Effect.forEach(
      Array.from({ length: BLOCK }, (_, k) => from + k),
      (i) =>
        Effect.suspend(() => {
          const t0 = performance.now()
          return Effect.map(call(kind, i), () => void sink.push(performance.now() - t0))
        }),
      { discard: true }
    )
  )
  const block = (kind: K, from: number, times: Array<number>) =>
    rt.runPromise(
      Effect.suspend(() => {
        sink = times
        return blockFlow(kind, from)
      })
    )
  const times = (): Times<K> => Object.fromEntries(kinds.map((k) => [k, []])) as unknown as Times<K>
  return {
    times,
    block,
    /** Every kind once per block of calls, in a rotating order. */
    pass: async (into: Times<K>) => {
      for (let from = 0; from < steps; from += BLOCK) {
        const turn = (from / BLOCK) % kinds.length
        for (const kind of [...kinds.slice(turn), ...kinds.slice(0, turn)]) await block(kind, from, into[kind])
      }
    }
  }
}
