/**
 * How an executed step call ends for its caller, whichever path ran it (`step.ts`' Effect path
 * or `executeNow.ts`): its progress line, a failure attributed to its step for the flow's
 * error, a warning when its value cannot be reused, what it checks again handed to its caller's
 * run, and its value or its cause.
 *
 * @module
 */
import { Cause, Effect, Exit, Option } from "effect"
import { report, type FlowContext } from "./context.js"
import type { Definition } from "./definition.js"
import type { RunScope } from "./CurrentRun.js"
import type { CallExecuted } from "./executor.js"
import { passOn } from "./runState.js"

/** The failure value of a cause (a failure, else a defect), to attribute it to a step. */
export const failureValue = <E>(cause: Cause.Cause<E>): unknown => {
  const f = Cause.failureOption(cause)
  if (Option.isSome(f)) return f.value
  const d = Cause.dieOption(cause)
  return Option.isSome(d) ? d.value : undefined
}

/** The caller's side of an executed call whose body started at `t0` (`performance.now()`), made in `caller`'s body. */
export const endExecuted = (flow: FlowContext | undefined, def: Definition, executed: CallExecuted, t0: number, caller: RunScope): Effect.Effect<unknown, unknown> => {
  const { exit, closed } = executed
  const ended = executed.run
  const durationMs = performance.now() - t0
  const remote = executed.runner !== undefined ? { runner: executed.runner.address } : {}
  if (Exit.isSuccess(exit)) {
    passOn(caller, closed.rechecked)
    const done = () => {
      report(flow, { status: "done", kind: "step", name: def.name, run: ended.uid, durationMs, ...remote, ...(flow ? { flow: flow.name } : {}) })
      return exit.value
    }
    if (closed.uncacheable === undefined) return Effect.succeed(done())
    const warning = `step '${def.name}' (run ${ended.uid}) will not be reused: its return value cannot be stored (${closed.uncacheable}). Return artifacts and JSON-like values, give the step a result schema, or set cache: false.`
    return Effect.map(Effect.logWarning(warning), done)
  }
  const interrupted = Cause.isInterruptedOnly(exit.cause)
  if (!interrupted && flow !== undefined) {
    const value = failureValue(exit.cause)
    if (!flow.failures.has(value)) flow.failures.set(value, { step: def.name, run: ended.uid })
  }
  report(flow, {
    status: interrupted ? "aborted" : "failed",
    kind: "step",
    name: def.name,
    run: ended.uid,
    durationMs,
    ...remote,
    ...(flow ? { flow: flow.name } : {}),
    ...(interrupted ? {} : { detail: Cause.pretty(exit.cause).split("\n")[0] ?? "" })
  })
  return Effect.failCause(exit.cause)
}
