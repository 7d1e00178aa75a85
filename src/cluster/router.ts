/**
 * Caller-side placement: which runner gets the next call. The cluster delivers a message to
 * whichever runner owns its entity id's shard; left to hashing, 40 calls on two runners often
 * split 24/16. So the router reads the cluster's runner list, computes the shard assignment
 * the cluster computes (the same hash ring over the same runners and weights), keeps a few
 * entity ids per runner, and sends each call to the runner with the most free slots (a
 * runner's weight is its concurrency). A call waits here, holding no run, while every runner
 * is busy.
 *
 * The assignment is only a hint: if it is stale, the cluster still routes the message to the
 * shard's real owner, which runs it.
 *
 * @module
 */
import * as EntityId from "@effect/cluster/EntityId"
import type { RunnerAddress } from "@effect/cluster/RunnerAddress"
import { RunnerStorage } from "@effect/cluster/RunnerStorage"
import { Sharding } from "@effect/cluster/Sharding"
import { Deferred, Duration, Effect, HashRing, Option, Schedule } from "effect"
import { StorageError } from "../errors.js"
import { formatAddress } from "./config.js"

/** A reserved place on a runner. */
export interface Slot {
  readonly runner: string
  readonly entityId: string
}

/** Runner choice for calls. */
export interface Router {
  /**
   * Wait for a free slot on some runner (fails when no runner joins in time). Runners in
   * `avoid` (ones that refused the step) are passed over while any other runner is known.
   */
  readonly acquire: (avoid?: ReadonlySet<string>) => Effect.Effect<Slot, StorageError>
  /**
   * Wait for a free slot on a runner not in `avoid`; `None` at once when every known runner is
   * in `avoid` (no runner can take the call).
   */
  readonly acquireElsewhere: (avoid: ReadonlySet<string>) => Effect.Effect<Option.Option<Slot>, StorageError>
  readonly release: (slot: Slot) => Effect.Effect<void>
  /** Runners currently known, with their capacity and calls in flight. */
  readonly runners: Effect.Effect<ReadonlyArray<{ readonly address: string; readonly capacity: number; readonly inflight: number }>>
}

interface Known {
  capacity: number
  inflight: number
  ids: Array<string>
  next: number
}

const GROUP = "default"
const IDS_PER_RUNNER = 8

/** A router over the cluster's runner table, refreshed every second while its scope lives. */
export const makeRouter = (options: { readonly shards: number; readonly waitForRunners: Duration.Duration }) =>
  Effect.gen(function* () {
    const storage = yield* RunnerStorage
    const sharding = yield* Sharding
    const known = new Map<string, Known>()
    const waiters: Array<Deferred.Deferred<void>> = []
    let everSeen = false

    const wake = () => {
      while (waiters.length > 0) {
        const free = [...known.values()].some((k) => k.inflight < k.capacity)
        if (!free) return
        Deferred.unsafeDone(waiters.shift()!, Effect.void)
      }
    }

    const refresh = Effect.gen(function* () {
      const all = yield* storage.getRunners
      const healthy = all.filter(([r, ok]) => ok && r.groups.includes(GROUP)).map(([r]) => r)
      const ring = HashRing.make<RunnerAddress>()
      for (const r of healthy) HashRing.add(ring, r.address, { weight: r.weight })
      const owners = healthy.length > 0 ? HashRing.getShards(ring, options.shards) : undefined
      const ids = new Map<string, Array<string>>()
      if (owners !== undefined) {
        for (let i = 0; i < options.shards * 16 && [...ids.values()].filter((l) => l.length >= IDS_PER_RUNNER).length < healthy.length; i++) {
          const id = `slot-${i}`
          const owner = owners[sharding.getShardId(EntityId.make(id), GROUP).id - 1]
          if (owner === undefined) continue
          const key = formatAddress(owner)
          const list = ids.get(key) ?? []
          if (list.length < IDS_PER_RUNNER) list.push(id)
          ids.set(key, list)
        }
      }
      const present = new Set<string>()
      for (const r of healthy) {
        const key = formatAddress(r.address)
        present.add(key)
        const k = known.get(key)
        const list = ids.get(key) ?? []
        if (list.length === 0) continue
        if (k === undefined) known.set(key, { capacity: Math.max(1, r.weight), inflight: 0, ids: list, next: 0 })
        else {
          k.capacity = Math.max(1, r.weight)
          k.ids = list
        }
      }
      for (const key of [...known.keys()]) if (!present.has(key)) known.delete(key)
      if (known.size > 0) everSeen = true
      wake()
    })

    yield* refresh.pipe(
      Effect.catchAll(() => Effect.void),
      Effect.repeat(Schedule.spaced(Duration.seconds(1))),
      Effect.forkScoped,
      Effect.interruptible
    )

    const NONE = "none" as const
    /** The least loaded free runner; `NONE` when `strict` and every known runner is avoided. */
    const pick = (avoid: ReadonlySet<string> | undefined, strict: boolean): Slot | typeof NONE | undefined => {
      const others = avoid === undefined || avoid.size === 0 ? [...known] : [...known].filter(([address]) => !avoid.has(address))
      if (others.length === 0 && strict && known.size > 0) return NONE
      let best: [string, Known] | undefined
      for (const entry of others.length > 0 ? others : known) {
        const k = entry[1]
        if (k.inflight >= k.capacity) continue
        if (best === undefined || k.inflight / k.capacity < best[1].inflight / best[1].capacity) best = entry
      }
      if (best === undefined) return undefined
      const [runner, k] = best
      k.inflight++
      const entityId = k.ids[k.next++ % k.ids.length]!
      return { runner, entityId }
    }

    const waitFor = <A>(avoid: ReadonlySet<string> | undefined, strict: boolean, found: (slot: Slot | typeof NONE) => A): Effect.Effect<A, StorageError> =>
      Effect.suspend(function loop(): Effect.Effect<A, StorageError> {
        const slot = pick(avoid, strict)
        if (slot !== undefined) return Effect.succeed(found(slot))
        return Effect.flatMap(Deferred.make<void>(), (waiter) => {
          waiters.push(waiter)
          const wait = Deferred.await(waiter).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                const i = waiters.indexOf(waiter)
                if (i >= 0) waiters.splice(i, 1)
              })
            )
          )
          // With runners known, a call waits as long as it takes; with none, only so long.
          if (known.size > 0 || everSeen) return Effect.flatMap(wait, loop)
          return wait.pipe(
            Effect.timeoutOption(options.waitForRunners),
            Effect.flatMap((o) =>
              Option.isSome(o) || known.size > 0
                ? loop()
                : Effect.fail(
                    new StorageError({
                      message: `No Lamina runner joined this instance's cluster within ${Duration.format(options.waitForRunners)}: start one on a host that reaches the instance's Postgres, with \`lamina worker --module <your pipeline module>\` (see docs/distributed.md).`
                    })
                  )
            )
          )
        })
      })

    const acquire = (avoid?: ReadonlySet<string>) => waitFor(avoid, false, (slot) => slot as Slot)
    const acquireElsewhere = (avoid: ReadonlySet<string>) => waitFor(avoid, true, (slot) => (slot === NONE ? Option.none<Slot>() : Option.some(slot)))

    const release = (slot: Slot) =>
      Effect.sync(() => {
        const k = known.get(slot.runner)
        if (k !== undefined && k.inflight > 0) k.inflight--
        wake()
      })

    return {
      acquire,
      acquireElsewhere,
      release,
      runners: Effect.sync(() => [...known].map(([address, k]) => ({ address, capacity: k.capacity, inflight: k.inflight })))
    } satisfies Router
  })
