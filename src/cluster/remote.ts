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
import { Cause, Effect, Exit, Schema } from "effect"
import { sqlFailure } from "../db/failure.js"
import { IntegrityError, InvalidArgument, StorageError } from "../errors.js"
import type { Lamina } from "../instance/Lamina.js"
import { isHit, validateHit } from "../tracker/cache.js"
import { encodeResult, Unencodable } from "../tracker/canonical.js"
import { Tracker } from "../tracker/Tracker.js"
import { StepFailed } from "../flow/errors.js"
import { executeHere, type Executed, type Executor, type Placement, type StepInvocation } from "../flow/executor.js"
import { closeRun, type Closed } from "../flow/lifecycle.js"
import { Instance } from "../instance/Instance.js"
import { decodeRow } from "../registry/model.js"
import { decodeRun, RunModel, RunStatus } from "../registry/Run.js"
import { Dispatch, type Outcome, type StepRefused } from "./protocol.js"
import type { Router, Slot } from "./router.js"

/** Sends `Execute` to an entity id (the step entity's client). */
export type StepClient = (entityId: string) => {
  readonly Execute: (payload: Dispatch) => Effect.Effect<Outcome, StepRefused | MailboxFull | AlreadyProcessingMessage | PersistenceError>
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

/** Read a completed run's value back, as a cache hit reads it. */
const valueOf = (inv: StepInvocation, outcome: Outcome) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM lamina_run WHERE id = ${outcome.run.id}`.pipe(Effect.mapError(sqlFailure("Reading a dispatched run")))
    if (rows[0] === undefined) return yield* new IntegrityError({ message: `run ${outcome.run.uid} of step '${inv.def.name}' completed on runner ${outcome.runner} but is not in the registry` })
    const hit = yield* validateHit(decodeRun(decodeRow(RunModel, rows[0])))
    if (!isHit(hit)) return yield* new IntegrityError({ message: `run ${outcome.run.uid} of step '${inv.def.name}' completed on runner ${outcome.runner}, but its result cannot be read back: ${hit?.reason ?? "no result"}` })
    if (inv.result === undefined) return hit.value
    return yield* Schema.decodeUnknown(inv.result)(hit.value).pipe(
      Effect.mapError((e) => new IntegrityError({ message: `step '${inv.def.name}': its stored result does not decode with its result schema: ${e.message}` }))
    )
  })

/** The executor that dispatches step calls through `router` and `client`. */
export const makeRemoteExecutor = (router: Router, client: StepClient, options: RemoteOptions): Executor => {
  // The slot each admitted call holds, by its placement object (scoped to this executor).
  const slots = new WeakMap<Placement, Slot>()
  return {
    admit: (def, _self, use) =>
      def.kind !== "step" || def.method
        ? use({})
        : Effect.acquireUseRelease(
            router.acquire,
            (slot) => {
              const placement: Placement = { runner: slot.runner }
              slots.set(placement, slot)
              return use(placement)
            },
            router.release
          ),
    execute: (inv, restore) => {
      const slot = slots.get(inv.placement)
      return slot === undefined ? executeHere(inv, restore) : dispatch(inv, slot, client, options, restore)
    }
  }
}

const dispatch = (inv: StepInvocation, slot: Slot, client: StepClient, options: RemoteOptions, restore: Restore): Effect.Effect<Executed, IntegrityError | StorageError | InvalidArgument, Lamina> =>
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
    const payload = new Dispatch({
      id: randomUUID(),
      transform: inv.def.keyFor(undefined),
      source: source.hash,
      code: source.reach?.().hash ?? null,
      cacheKey: inv.cacheKey,
      parts: inv.parts,
      run: { id: inv.run.id, uid: inv.run.uid },
      parent: inv.parent,
      user: instance.user.id,
      args,
      maxAttempts: options.attempts
    })
    const exit = yield* restore(client(slot.entityId).Execute(payload)).pipe(Effect.exit)
    if (Exit.isFailure(exit)) {
      if (Cause.isInterruptedOnly(exit.cause)) {
        // The runner was told (an interrupt message) and ends its run aborted; end ours too.
        const closed = yield* closeIfStarted(inv, exit)
        return { _tag: "executed", exit, closed, run: inv.run } as Executed
      }
      const failure = Cause.failureOption(exit.cause)
      if (failure._tag === "Some" && failure.value._tag === "StepRefused") return yield* failHere(inv, failure.value)
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
      const value = yield* valueOf(inv, outcome)
      return { _tag: "executed", exit: Exit.succeed(value), closed: { status: RunStatus.completed }, run: outcome.run, runner } as Executed
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
