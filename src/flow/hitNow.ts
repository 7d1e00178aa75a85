/**
 * A step call answered from the cache within its caller's turn, on SQLite's direct path.
 *
 * Why: a hit is a few µs of SQLite reads, but through `step.ts`' Effect path it was ~60 Effect
 * operations (FiberRef reads, the call's preparation, transform and environment look-ups, the
 * lookup's permit check, the `cached` record's queueing), each an allocation and a trip through
 * the fiber's run loop. Here the same steps run as plain calls, in the same order and with the
 * same functions: bind and record the params, build the key material and the cache key, read the
 * newest completed run and check its outputs, decode the value, queue the `cached` run behind
 * (`Tracker.now.recordCached`). Anything not at hand — a transform or environment id not yet
 * resolved, a params schema, boundaries, `cache: false`, another fiber's transaction open on the
 * connection, a miss — returns to the Effect path, with what was computed so it is not redone.
 *
 * @module
 */
import { Context, Effect, type Fiber, Option, Schema } from "effect"
import { InvalidArgument } from "../errors.js"
import { Instance } from "../instance/Instance.js"
import { RunStatus, type NewRun } from "../registry/Run.js"
import type { Hit, Refusal } from "../tracker/cache.js"
import { isHit } from "../tracker/cache.js"
import { cacheKeyOf, type CacheParts, type KeyMaterial } from "../tracker/cacheKey.js"
import type { Tracker } from "../tracker/Tracker.js"
import { hasBoundary, type BoundaryOptions } from "../curate/boundary.js"
import { CurrentFlow, report, type FlowContext } from "./context.js"
import { CurrentRun } from "./CurrentRun.js"
import { passOn } from "./runState.js"
import { keyMaterialOf, prepareCallSync, type CacheOptions, type Definition, type PreparedCall } from "./definition.js"
import { environmentNow, fingerprint } from "./environment.js"
import { schemaFingerprint } from "./schemaFingerprint.js"

/** The options `hitNow` reads (a step's). */
export interface HitOptions extends CacheOptions, BoundaryOptions {
  readonly result?: Schema.Schema.AnyNoContext
}

/** What a call that was not answered here already computed, for the Effect path to reuse. */
export interface Prepared {
  readonly call: PreparedCall
  readonly material: KeyMaterial
  readonly cacheKey: string
  /** The first lookup's answer (a refusal, or nothing), when it could be read. */
  readonly found?: { readonly value: Hit | Refusal | undefined }
}

/** What a step call's run is made of, whatever it turns out to be (started, or cached). */
export interface RunBasis {
  readonly def: Definition
  readonly self: unknown
  readonly call: PreparedCall
  readonly transformId: number
  readonly parentRunId: number
  readonly environmentId: number
  readonly userId: number
}

/** The `started` run of a call with `basis`, keyed by `cacheKey` (null: uncached). */
export const startedRunOf = (basis: RunBasis, cacheKey: string | null, parts: CacheParts | null): NewRun => ({
  transformId: basis.transformId,
  name: basis.def.name,
  entrypoint: basis.def.entrypointFor(basis.self),
  params: basis.call.params,
  status: RunStatus.started,
  startedAt: new Date(),
  initiatedByRunId: basis.parentRunId,
  environmentId: basis.environmentId,
  cacheKey,
  cacheParts: parts,
  userId: basis.userId
})

/** The `cached` run that reuses `hit.run` for a call whose started run would be `run`. */
export const cachedRunOf = (run: NewRun, hit: Hit, call: PreparedCall) => {
  const now = new Date()
  return {
    run: { ...run, status: RunStatus.cached, startedAt: now, finishedAt: now, reusedRunId: hit.run.id } satisfies NewRun,
    inputs: [...call.inputs.map((r) => r.artifact.id), ...hit.loaded.map((l) => l.id)]
  }
}

/** The progress line of a cache hit. */
export const reportCached = (flow: FlowContext | undefined, name: string, uid: string, hit: Hit): void => {
  if (flow?.progress === undefined) return
  report(flow, { status: "cached", kind: "step", name, run: uid, detail: `reused run ${hit.run.uid}`, flow: flow.name })
}

/**
 * The hit's value as an Effect when the call could be answered here; else what was computed
 * (undefined when nothing was). Call only for the local executor on the embedded registry.
 */
export const hitNow = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  tracker: Tracker,
  def: Definition,
  options: HitOptions,
  self: unknown,
  args: ReadonlyArray<unknown>
): { readonly _tag: "hit"; readonly effect: Effect.Effect<unknown> } | { readonly _tag: "prepared"; readonly prepared: Prepared } | undefined => {
  const now = tracker.now
  if (now === undefined || options.cache === false || hasBoundary(options)) return undefined
  const parent = fiber.getFiberRef(CurrentRun)
  if (Option.isNone(parent)) return undefined
  const call = prepareCallSync(def, args)
  if (call === undefined || call instanceof InvalidArgument) return undefined
  const key = def.keyFor(self)
  const material = keyMaterialOf(def, call, self, key, fingerprint(environmentNow(), def.env), options.cacheVersion, options.result && schemaFingerprint(options.result))
  if (material instanceof InvalidArgument) return undefined
  const cacheKey = cacheKeyOf(material)
  const transform = now.transform(key, def.source.hash)
  const environmentId = now.environmentId()
  const looked = transform === undefined || environmentId === undefined ? undefined : now.lookupHit(cacheKey, fiber.currentContext)
  if (looked === undefined) return { _tag: "prepared", prepared: { call, material, cacheKey } }
  const hit = looked.found
  if (!isHit(hit)) return { _tag: "prepared", prepared: { call, material, cacheKey, found: { value: hit } } }
  let value = hit.value
  if (options.result !== undefined) {
    try {
      value = Schema.decodeUnknownSync(options.result)(hit.value)
    } catch {
      // The Effect path decodes again and dies with the decoding error.
      return { _tag: "prepared", prepared: { call, material, cacheKey } }
    }
  }
  const basis: RunBasis = {
    def,
    self,
    call,
    transformId: transform!.id,
    parentRunId: parent.value.runId,
    environmentId: environmentId!,
    userId: Context.unsafeGet(fiber.currentContext, Instance).user.id
  }
  const cached = cachedRunOf(startedRunOf(basis, cacheKey, null), hit, call)
  const recorded = now.recordCached(cached.run, cached.inputs)
  reportCached(Option.getOrUndefined(fiber.getFiberRef(CurrentFlow)), def.name, recorded.uid, hit)
  passOn(parent.value, hit.rechecked)
  // The commit it may start runs untraced, as Lamina's registry work does on the Effect path.
  return { _tag: "hit", effect: recorded.flush === undefined ? Effect.succeed(value) : Effect.as(Effect.withTracerEnabled(recorded.flush, false), value) }
}
