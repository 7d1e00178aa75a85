/**
 * A step call that must execute, on a short path (SQLite's direct path, the local executor).
 *
 * Why: between its cache miss and its body, an executed call went through ~265 Effect
 * operations on `step.ts`' Effect path (the call's generator, the flow's permits and the
 * executor's admission, a flight's Deferred, the claim's trip through the group commit's queue
 * and its leader's scheduler turn), each an allocation and a trip through the fiber's run loop,
 * for work that is a few plain calls: lead the key's flight, commit the claim and the `started`
 * run (with the writes queued behind before it; in a fan-out, in the group commit's shared
 * batch: see `TrackerNow.claimAndStart`), run the body, queue the completion behind.
 * Here those run as plain calls around the body, with the same functions: `startedRunOf` builds
 * the run, `executeHere` runs the body and closes the run, `endExecuted` ends the call.
 *
 * It takes a call only when nothing else is in play: no concurrency limit (flow or step), no
 * boundary (hitNow already refused those), the code fingerprint stored, and a miss read by
 * `hitNow`. When the claim does not come back `claimed` (the connection's permit was held, a
 * transaction was open on it, the lock found a hit or a live or stale claim) this call wrote
 * nothing, and it goes to the Effect path (`fallback`), which decides.
 *
 * @module
 */
import { Context, Effect, type Fiber, FiberRef, Option, type Schema } from "effect"
import type { Lamina } from "../instance/Lamina.js"
import { Instance } from "../instance/Instance.js"
import { Ancestors } from "../registry/sourceGuard.js"
import { isHit } from "../tracker/cache.js"
import { partsOf } from "../tracker/cacheKey.js"
import { withRefusedParts } from "../tracker/claims.js"
import type { Tracker } from "../tracker/Tracker.js"
import { CurrentFlow, report } from "./context.js"
import { CurrentRun } from "./CurrentRun.js"
import type { Definition } from "./definition.js"
import { endExecuted } from "./executed.js"
import { executeHere } from "./executor.js"
import { startedRunOf, type Prepared } from "./hitNow.js"
import { RunState, takesRechecks } from "./runState.js"

const tracingOff = FiberRef.set(FiberRef.currentTracerEnabled, false)

/** The options `executeNow` reads (a step's). */
export interface ExecuteOptions {
  readonly concurrency?: number
  readonly result?: Schema.Schema.AnyNoContext
}

/**
 * The executed call as an Effect when it can take the short path, else undefined (the Effect
 * path takes it with `prepared`). `fallback` is the Effect path, for a claim this path could not
 * commit (`prepared` without its lookup, which the claim made stale).
 */
export const executeNow = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  tracker: Tracker,
  def: Definition,
  options: ExecuteOptions,
  fn: Function,
  self: unknown,
  args: ReadonlyArray<unknown>,
  tracing: boolean,
  prepared: Prepared,
  fallback: (prepared: Prepared) => Effect.Effect<unknown, unknown, Lamina>
): Effect.Effect<unknown, unknown, Lamina> | undefined => {
  const now = tracker.now
  const found = prepared.found
  if (now === undefined || found === undefined || isHit(found.value) || options.concurrency !== undefined) return undefined
  const flow = Option.getOrUndefined(fiber.getFiberRef(CurrentFlow))
  if (flow?.global !== undefined) return undefined
  const parent = fiber.getFiberRef(CurrentRun)
  if (Option.isNone(parent)) return undefined
  // Stored once per process by the Effect path (recordFingerprint), which the first call takes.
  const reach = def.reachFor(self)
  if (reach !== undefined && !now.fingerprintKnown(reach.hash)) return undefined
  const transform = now.transform(def.keyFor(self), def.source.hash)
  const environmentId = now.environmentId()
  if (transform === undefined || environmentId === undefined) return undefined
  const { call, cacheKey } = prepared
  const flight = now.lead(cacheKey, fiber.id())
  if (flight === undefined) return undefined
  const parts = partsOf(prepared.material)
  const basis = { def, self, call, transformId: transform.id, parentRunId: parent.value.runId, environmentId, userId: Context.unsafeGet(fiber.currentContext, Instance).user.id }
  // A short step's records commit behind, with the next calls' (db/writeBehind.ts).
  const behind = now.short(transform.id)
  // Lamina's own work runs untraced (the body gets `tracing` back, invokeInRun): set here and
  // reset with the flight's landing, where `Effect.withTracerEnabled` is ~20 more operations.
  return Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.zipRight(tracingOff, now.claimAndStart(cacheKey, startedRunOf(basis, cacheKey, parts), fiber.id(), fiber.getFiberRef(Ancestors).length, behind)), (start) => {
      if (start === undefined) {
        // Landed before the Effect path joins the key's flight itself.
        flight.land()
        return restore(fallback({ call, material: prepared.material, cacheKey }))
      }
      const { run, refused } = start
      flow?.open.add(run.id)
      const state = new RunState(run.id, run.uid, def.name, call.inputs.map((r) => r.artifact.id), behind)
      report(flow, { status: "running", kind: "step", name: def.name, run: run.uid, ...(flow ? { flow: flow.name } : {}) })
      const t0 = performance.now()
      const invocation = { def, fn, self, args, call, run, parent: parent.value.runId, state, cacheKey, parts: withRefusedParts(parts, refused), callerRechecks: takesRechecks(parent.value), result: options.result, tracing, placement: {} }
      return Effect.flatMap(executeHere(invocation, restore), (executed) => {
        now.took(transform.id, performance.now() - t0)
        flow?.open.delete(run.id)
        return endExecuted(flow, def, executed, t0, parent.value)
      })
    })
  ).pipe(
    // However it ends (a defect included), later calls of the key are let in.
    Effect.onExit(() => Effect.zipRight(FiberRef.set(FiberRef.currentTracerEnabled, tracing), Effect.sync(flight.land)))
  )
}
