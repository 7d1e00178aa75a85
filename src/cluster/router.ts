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
import { Duration, Effect, HashRing, Option, Schedule } from "effect"
import { StorageError } from "../errors.js"
import { formatAddress } from "./config.js"
import { makeSlots, NONE, type Slot } from "./slots.js"

export type { Slot } from "./slots.js"

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

const GROUP = "default"
const IDS_PER_RUNNER = 8

/** A router over the cluster's runner table, refreshed every second while its scope lives. */
export const makeRouter = (options: { readonly shards: number; readonly waitForRunners: Duration.Duration }) =>
  Effect.gen(function* () {
    const storage = yield* RunnerStorage
    const sharding = yield* Sharding
    const slots = makeSlots()
    let everSeen = false

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
      const runners = new Map<string, { readonly capacity: number; readonly ids: ReadonlyArray<string> }>()
      for (const r of healthy) {
        const key = formatAddress(r.address)
        const list = ids.get(key) ?? []
        if (list.length > 0) runners.set(key, { capacity: r.weight, ids: list })
      }
      slots.update(runners)
      if (slots.known() > 0) everSeen = true
    })

    yield* refresh.pipe(
      Effect.catchAll(() => Effect.void),
      Effect.repeat(Schedule.spaced(Duration.seconds(1))),
      Effect.forkScoped,
      Effect.interruptible
    )

    const waitFor = (avoid: ReadonlySet<string> | undefined, strict: boolean): Effect.Effect<Slot | typeof NONE, StorageError> =>
      Effect.suspend(() => {
        // With runners known (or once seen), a call waits as long as it takes; with none yet, only so long.
        if (slots.known() > 0 || everSeen) return slots.take(avoid, strict)
        return Effect.raceFirst(
          slots.take(avoid, strict),
          // Only while no runner was ever seen: once one joined, its slots are worth waiting for.
          Effect.sleep(options.waitForRunners).pipe(
            Effect.zipRight(
              Effect.suspend(() =>
                everSeen
                  ? Effect.never
                  : Effect.fail(
                      new StorageError({
                        message: `No Lamina runner joined this instance's cluster within ${Duration.format(options.waitForRunners)}: start one on a host that reaches the instance's Postgres, with \`lamina worker --module <your pipeline module>\` (see docs/distributed.md).`
                      })
                    )
              )
            )
          )
        )
      })

    const acquire = (avoid?: ReadonlySet<string>) => Effect.map(waitFor(avoid, false), (slot) => slot as Slot)
    const acquireElsewhere = (avoid: ReadonlySet<string>) => Effect.map(waitFor(avoid, true), (slot) => (slot === NONE ? Option.none<Slot>() : Option.some(slot)))

    const release = (slot: Slot) => Effect.sync(() => slots.release(slot))

    return {
      acquire,
      acquireElsewhere,
      release,
      runners: Effect.sync(slots.runners)
    } satisfies Router
  })
