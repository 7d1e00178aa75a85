/**
 * The flow a fiber runs in: concurrency limits shared by all its steps, where progress goes,
 * which step failures ended up where, and which runs are still open (so an interrupted flow
 * leaves none `started`).
 *
 * @module
 */
import { Effect, FiberRef, Option } from "effect"
import type { ProgressEvent, ProgressSink } from "./progress.js"

/** Which step a failure came from, so the flow's error can name it. */
export interface FailureOrigin {
  readonly step: string
  readonly run: string
}

/** The state shared by the steps of one flow (or tracked script). */
export interface FlowContext {
  readonly name: string
  readonly runId: number
  readonly runUid: string
  /** Bounds concurrently executing step bodies across the flow. */
  readonly global: Effect.Semaphore | undefined
  /** Per step key: bounds concurrent executions of that step (`concurrency` step option). */
  readonly stepLimits: Map<string, Effect.Semaphore>
  /** Step failures by error value, to name the step in `FlowFailed`. */
  readonly failures: Map<unknown, FailureOrigin>
  readonly progress: ProgressSink | undefined
  /** Runs started in this flow that have not finished. */
  readonly open: Set<number>
}

/** The current flow, inherited by child fibers. */
export const CurrentFlow: FiberRef.FiberRef<Option.Option<FlowContext>> = FiberRef.unsafeMake<Option.Option<FlowContext>>(Option.none())

/**
 * Permits the current fiber already holds ("global", "step:<key>"): a step nested in a step
 * does not wait for a permit its ancestor holds, which would deadlock at limit 1.
 */
export const HeldPermits: FiberRef.FiberRef<ReadonlySet<string>> = FiberRef.unsafeMake<ReadonlySet<string>>(new Set())

/** A new flow context. */
export const makeFlowContext = (options: {
  readonly name: string
  readonly runId: number
  readonly runUid: string
  readonly concurrency: number | undefined
  readonly progress: ProgressSink | undefined
  /** The enclosing flow, whose limits a nested flow shares unless it sets its own. */
  readonly parent: FlowContext | undefined
}): FlowContext => ({
  name: options.name,
  runId: options.runId,
  runUid: options.runUid,
  global:
    options.concurrency !== undefined
      ? Effect.unsafeMakeSemaphore(Math.max(1, options.concurrency))
      : options.parent?.global,
  stepLimits: options.parent?.stepLimits ?? new Map(),
  failures: new Map(),
  progress: options.progress ?? options.parent?.progress,
  open: new Set()
})

/** Emit a progress event, never failing the run because of a broken sink. */
export const report = (flow: FlowContext | undefined, event: ProgressEvent): void => {
  if (flow?.progress === undefined) return
  try {
    flow.progress(event)
  } catch {
    // progress output is best effort
  }
}
