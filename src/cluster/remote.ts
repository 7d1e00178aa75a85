/**
 * The caller's executor when a flow runs on a cluster: each executed step call waits for a
 * runner slot (`admit`), then is sent to that runner as a step-entity message, and its value is
 * read back from the registry like a cache hit's. Cache hits never get here (step.ts resolves
 * them before), so a hit costs no hop.
 *
 * Steps that cannot travel run here: class-method steps (their key depends on the instance).
 *
 * @module
 */
import type { AlreadyProcessingMessage, MailboxFull, PersistenceError } from "@effect/cluster/ClusterError"
import * as SqlClient from "@effect/sql/SqlClient"
import { randomUUID } from "node:crypto"
import { Cause, Duration, Effect, Exit, HashSet, Schema } from "effect"
import { sqlFailure } from "../db/failure.js"
import { IntegrityError, InvalidArgument, StorageError } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import { type HitRow, hitRunOf, isHit, validateHit } from "../tracker/cache.js"
import type { Rechecked } from "../tracker/cacheKey.js"
import { encodeResult, type Json, Unencodable } from "../tracker/canonical.js"
import { Tracker } from "../tracker/Tracker.js"
import { StepFailed } from "../flow/errors.js"
import { executeHere, type Executed, type Executor, type Placement, type StepInvocation } from "../flow/executor.js"
import { closeRun, type Closed } from "../flow/lifecycle.js"
import { makeGate } from "../flow/admission.js"
import { Instance } from "../instance/Instance.js"
import { RunStatus } from "../registry/Run.js"
import { Dispatch, type Outcome, type StepRefused } from "./protocol.js"
import { carriedValue, forCaller } from "./reply.js"
import type { Router, Slot } from "./router.js"

/**
 * Sends `Execute` to an entity id (the step entity's client). It takes the message's fields and
 * builds (and checks) the `Dispatch` itself, once per send.
 */
export type StepClient = (entityId: string) => {
  readonly Execute: (payload: ConstructorParameters<typeof Dispatch>[0]) => Effect.Effect<Outcome, StepRefused | MailboxFull | AlreadyProcessingMessage | PersistenceError>
}

/** Options of the remote executor. */
export interface RemoteOptions {
  /** Attempts per call when runners are lost mid-step. */
  readonly attempts: number
}

type Restore = <X, Y, Z>(e: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>

/**
 * Close the caller's run with `exit` unless it already ended (a runner may have completed or
 * aborted it): the caller never overwrites what a runner recorded.
 */
const closeIfStarted = (inv: StepInvocation, exit: Exit.Exit<unknown, unknown>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tracker = yield* Tracker
    const rows = yield* sql<{ readonly s: number }>`SELECT _status_code AS s FROM lamina_run WHERE id = ${inv.run.id}`.pipe(Effect.mapError(sqlFailure("Closing a dispatched run")))
    if (Number(rows[0]?.s) !== RunStatus.started) {
      // A runner ended it (or took it over): only stop renewing its lease here.
      yield* tracker.heartbeat.release(inv.run.id)
      return { status: Number(rows[0]?.s ?? RunStatus.aborted) } as Closed
    }
    return yield* closeRun(inv.state, exit, { kind: "step", name: inv.def.name, ...(inv.cacheKey !== null ? { releaseClaim: inv.cacheKey } : {}) })
  })

/** End the call here with a failure the caller records on its own run. */
const failHere = (inv: StepInvocation, error: unknown) =>
  Effect.map(closeIfStarted(inv, Exit.fail(error)), (closed): Executed => ({ _tag: "executed", exit: Exit.fail(error), closed, run: inv.run }))

/** Read a completed run's value back, as a cache hit reads it (or decode the plain result the reply carries). */
const valueOf = (inv: StepInvocation, outcome: Outcome) =>
  Effect.gen(function* () {
    const carried = outcome.result === undefined ? undefined : carriedValue(outcome.result as Json)
    if (carried !== undefined) return { value: yield* decodeStored(inv, carried.value), rechecked: undefined }
    const sql = yield* SqlClient.SqlClient
    // Only the columns a hit check reads (as a cache lookup reads them).
    const rows = yield* sql<HitRow>`SELECT id, uid, _result, _cache_parts FROM lamina_run WHERE id = ${outcome.run.id}`.pipe(Effect.mapError(sqlFailure("Reading a dispatched run")))
    const run = hitRunOf(rows[0])
    if (run === undefined) return yield* new IntegrityError({ message: `run ${outcome.run.uid} of step '${inv.def.name}' completed on runner ${outcome.runner} but is not in the registry` })
    const hit = yield* validateHit(run, true)
    if (!isHit(hit)) return yield* new IntegrityError({ message: `run ${outcome.run.uid} of step '${inv.def.name}' completed on runner ${outcome.runner}, but its result cannot be read back: ${hit?.reason ?? "no result"}` })
    return { value: yield* decodeStored(inv, hit.value), rechecked: hit.rechecked === undefined ? undefined : forCaller(hit.rechecked) }
  })

/** The step's value from its stored result: through its result schema, if it has one. */
const decodeStored = (inv: StepInvocation, value: unknown) =>
  inv.result === undefined
    ? Effect.succeed(value)
    : Schema.decodeUnknown(inv.result)(value).pipe(
        Effect.mapError((e) => new IntegrityError({ message: `step '${inv.def.name}': its stored result does not decode with its result schema: ${e.message}` }))
      )

/** True when this fiber is being interrupted (its caller's interrupt, not a runner's). */
const interruptedHere = Effect.map(Effect.descriptor, (d) => HashSet.size(d.interruptors) > 0)

/** Pause before sending a call again whose runner stopped it. */
const RESEND_DELAY = Duration.seconds(1)

/** The runner slot an admitted call holds; it moves when a runner refuses the call. */
interface Held {
  slot: Slot | undefined
}

/**
 * Runners that refused a step version (`transform` + source hash), so later calls of it go
 * elsewhere while another runner is known. A refusal is a deployment mismatch that lasts until
 * that runner restarts with other code, so it is forgotten after `REFUSAL_MEMORY_MS`.
 */
class Refusals {
  private readonly byStep = new Map<string, Map<string, number>>()
  static keyOf = (transform: string, source: string): string => `${transform}\u0000${source}`
  of(key: string): ReadonlySet<string> | undefined {
    const runners = this.byStep.get(key)
    if (runners === undefined) return undefined
    const since = Date.now() - REFUSAL_MEMORY_MS
    for (const [runner, at] of runners) if (at < since) runners.delete(runner)
    return new Set(runners.keys())
  }
  add(key: string, runner: string): ReadonlySet<string> {
    const runners = this.byStep.get(key) ?? new Map<string, number>()
    runners.set(runner, Date.now())
    this.byStep.set(key, runners)
    return this.of(key)!
  }
}

/** How long a caller sends no calls of a step version to a runner that refused it. */
const REFUSAL_MEMORY_MS = 5 * 60_000

/** The executor that dispatches step calls through `router` and `client`. */
export const makeRemoteExecutor = (router: Router, client: StepClient, options: RemoteOptions): Executor => {
  // The slot each admitted call holds, by its placement object (scoped to this executor).
  const slots = new WeakMap<Placement, Held>()
  const refusals = new Refusals()
  return {
    gate: makeGate(),
    admit: (def, _self, use) =>
      def.kind !== "step" || def.method
        ? use({})
        : // Not `acquireUseRelease`: its acquire is uninterruptible, and waiting for a slot is a
          // race (a slot, or no runner within `waitForRunners`) whose loser must be interrupted.
          // Uninterruptible, that wait never ended once a runner joined after the call began, and
          // Ctrl-C could not stop it. A slot handed over as the wait is interrupted goes back (slots.ts).
          Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(restore(router.acquire(refusals.of(Refusals.keyOf(def.keyFor(undefined), def.source.hash)))), (slot) => {
              const held: Held = { slot }
              const placement: Placement = { runner: slot.runner }
              slots.set(placement, held)
              return Effect.ensuring(
                restore(use(placement)),
                Effect.suspend(() => (held.slot !== undefined ? router.release(held.slot) : Effect.void))
              )
            })
          ),
    execute: (inv, restore) => {
      const held = slots.get(inv.placement)
      return held?.slot === undefined ? executeHere(inv, restore) : dispatch(inv, held, router, refusals, client, options, restore)
    }
  }
}

/**
 * Send the call to its slot's runner; when that runner refuses it (another version of the step,
 * or no such step), move the call to a runner that has not refused it, while one is known.
 * Nothing ran on a refusing runner, so the caller's run is still the call's run.
 */
const dispatch = (
  inv: StepInvocation,
  held: Held,
  router: Router,
  refusals: Refusals,
  client: StepClient,
  options: RemoteOptions,
  restore: Restore
): Effect.Effect<Executed, IntegrityError | StorageError | InvalidArgument, Lamina> =>
  Effect.gen(function* () {
    const key = Refusals.keyOf(inv.def.keyFor(undefined), inv.def.source.hash)
    for (;;) {
      const slot = held.slot!
      const sent = yield* dispatchTo(inv, slot, client, options, restore)
      if (sent._tag !== "refused") return sent.executed
      const refusal = sent.refusal
      const avoid = refusals.add(key, refusal.runner)
      if (refusal.runner !== slot.runner) refusals.add(key, slot.runner)
      yield* router.release(slot)
      held.slot = undefined
      const next = yield* restore(router.acquireElsewhere(avoid)).pipe(Effect.exit)
      if (Exit.isFailure(next)) {
        // Interrupted or no runner left while waiting: the caller's run ends here.
        const failure = Cause.failureOption(next.cause)
        if (failure._tag === "Some") return yield* failHere(inv, failure.value)
        const closed = yield* closeIfStarted(inv, next)
        return { _tag: "executed", exit: next, closed, run: inv.run } as Executed
      }
      if (next.value._tag === "None") return yield* failHere(inv, refusal)
      held.slot = next.value.value
      yield* Effect.logWarning(`${refusal.message} Sending step '${inv.def.name}' (run ${inv.run.uid}) to runner ${held.slot.runner} instead.`)
    }
  })

/** How one send ended: the call was executed (or failed), or the runner refused it. */
type Sent = { readonly _tag: "executed"; readonly executed: Executed } | { readonly _tag: "refused"; readonly refusal: StepRefused }

const dispatchTo = (inv: StepInvocation, slot: Slot, client: StepClient, options: RemoteOptions, restore: Restore): Effect.Effect<Sent, IntegrityError | StorageError | InvalidArgument, Lamina> =>
  Effect.map(dispatchOnce(inv, slot, client, options, restore), (r): Sent => (r._tag === "StepRefused" ? { _tag: "refused", refusal: r } : { _tag: "executed", executed: r }))

const dispatchOnce = (inv: StepInvocation, slot: Slot, client: StepClient, options: RemoteOptions, restore: Restore): Effect.Effect<Executed | StepRefused, IntegrityError | StorageError | InvalidArgument, Lamina> =>
  Effect.gen(function* () {
    let args: unknown
    try {
      args = encodeResult(inv.args)
    } catch (e) {
      if (!(e instanceof Unencodable)) throw e
      return yield* failHere(
        inv,
        new InvalidArgument({
          message: `step '${inv.def.name}' cannot be sent to a runner: its argument ${e.message.replace(/^result/, "")}. Pass JSON-like values, artifacts or records (or register a codec with registerCodec() in the pipeline module).`
        })
      )
    }
    const instance = yield* Instance
    const source = inv.def.source
    const payload: ConstructorParameters<typeof Dispatch>[0] = {
      id: randomUUID(),
      transform: inv.def.keyFor(undefined),
      source: source.hash,
      code: source.reach?.().hash ?? null,
      cacheKey: inv.cacheKey,
      parts: inv.parts,
      callerRechecks: inv.callerRechecks,
      run: { id: inv.run.id, uid: inv.run.uid },
      parent: inv.parent,
      user: instance.user.id,
      args,
      maxAttempts: options.attempts
    }
    let exit = yield* restore(client(slot.entityId).Execute(payload)).pipe(Effect.exit)
    // An interrupt this fiber did not ask for came from the runner: it shut down or lost its
    // shard (e.g. its Postgres session) mid-call. Send the same call again (same id, so the next
    // runner continues it as the next attempt, within the attempt limit).
    for (let resent = 0; Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) && resent < options.attempts && !(yield* interruptedHere); resent++) {
      yield* Effect.logWarning(`step '${inv.def.name}' (run ${inv.run.uid}) was stopped on runner ${slot.runner} (it shut down or lost its shard); sending it again`)
      yield* restore(Effect.sleep(RESEND_DELAY))
      exit = yield* restore(client(slot.entityId).Execute(payload)).pipe(Effect.exit)
    }
    if (Exit.isFailure(exit)) {
      if (Cause.isInterruptedOnly(exit.cause)) {
        // The runner was told (an interrupt message) and ends its run aborted; end ours too.
        const closed = yield* closeIfStarted(inv, exit)
        return { _tag: "executed", exit, closed, run: inv.run } as Executed
      }
      const failure = Cause.failureOption(exit.cause)
      if (failure._tag === "Some" && failure.value._tag === "StepRefused") return failure.value
      const reason = failure._tag === "Some" ? `${failure.value._tag}: ${String((failure.value as { readonly message?: unknown }).message ?? "")}` : Cause.pretty(exit.cause).split("\n")[0]
      return yield* failHere(
        inv,
        new StepFailed({ step: inv.def.name, run: inv.run.uid, message: `could not run step '${inv.def.name}' on runner ${slot.runner}: ${reason}` })
      )
    }
    const outcome = exit.value
    // The runner renews the lease now; this process stops.
    yield* (yield* Tracker).heartbeat.release(inv.run.id)
    const runner = { address: outcome.runner, host: outcome.host, attempts: outcome.attempts }
    if (outcome.status === "superseded") {
      yield* closeIfStarted(inv, Exit.interrupt(inv.run.id as never))
      return { _tag: "superseded" } as Executed
    }
    if (outcome.status === "completed") {
      if (outcome.uncacheable !== undefined)
        return yield* failHere(
          inv,
          new InvalidArgument({
            message: `step '${inv.def.name}' completed on runner ${outcome.runner} (run ${outcome.run.uid}), but its return value cannot travel back: ${outcome.uncacheable}. Return artifacts and JSON-like values, or give the step a result schema.`
          })
        )
      const read = yield* valueOf(inv, outcome)
      // An uncached run's is in the reply only (see `Outcome.rechecked`).
      const rechecked = inv.cacheKey === null ? (outcome.rechecked as Rechecked | undefined) : read.rechecked
      const value = read.value
      return { _tag: "executed", exit: Exit.succeed(value), closed: { status: RunStatus.completed, ...(rechecked !== undefined ? { rechecked } : {}) }, run: outcome.run, runner } as Executed
    }
    const error = new StepFailed({
      step: inv.def.name,
      run: outcome.run.uid,
      message: `${outcome.error?.message ?? "the step failed"} (on runner ${outcome.runner})`,
      ...(outcome.error?.errorTag !== undefined ? { errorTag: outcome.error.errorTag } : {}),
      ...(outcome.error?.errorStack !== undefined ? { errorStack: outcome.error.errorStack } : {}),
      ...(outcome.status === "aborted" ? { aborted: true } : {})
    })
    // A failure before the runner's attempt started leaves the caller's run to close.
    if (outcome.run.id === inv.run.id) yield* closeIfStarted(inv, Exit.fail(error))
    return { _tag: "executed", exit: Exit.fail(error), closed: { status: outcome.status === "aborted" ? RunStatus.aborted : RunStatus.errored }, run: outcome.run, runner } as Executed
  })
