/**
 * Concurrent saves from one path. Two runs executing at the same time that both save from the
 * same local file (`/tmp/clean.csv` written and saved by two concurrent calls of a step) race:
 * each may save the bytes the other wrote, and content dedup then hands both the same
 * artifact, holding one input's data, cached for later processes. Lamina cannot see the
 * writes, only the saves, so it refuses the pattern itself: when two runs whose bodies
 * overlapped in time (and neither of which runs inside the other) save from the same path,
 *
 * - the later save fails with an `IntegrityError` naming both runs and the path;
 * - the earlier run, if still executing, fails when its body returns (its outputs go to trash
 *   like any failed run's); if it already completed, it is marked errored and its outputs are
 *   trashed, so no completed run and no cache entry holds data the other run may have written.
 *
 * Sequential use of one scratch path (one run ended before the other began) is not affected.
 * Runs are tracked per process (files are per machine; concurrent processes are not seen), by
 * the spans of step and flow bodies (`guardBody`); scripts tracked with `track()` are not.
 *
 * @module
 */
import * as path from "node:path"
import { Effect, FiberRef, Option } from "effect"
import { IntegrityError } from "../errors.js"
import { currentRun } from "../flow/CurrentRun.js"

/** An executing (or recently ended) step or flow body. */
interface Span {
  readonly runId: number
  readonly runUid: string
  readonly name: string
  readonly start: number
  end?: number
  /** Runs this body executes inside (never in conflict with it). */
  readonly ancestors: ReadonlySet<number>
  /** Paths this body saved from. */
  readonly paths: Set<string>
  /** Set when a concurrent run saved from one of its paths: the body fails when it returns. */
  conflict?: string
  /** Ended savers kept alive until this body ends (they could still conflict with it). */
  readonly watching: Set<Span>
  /** In-flight bodies still able to conflict with this ended saver. */
  pending: number
}

// Process-wide on purpose: the files raced over are the machine's, whichever instance or
// runtime the runs record to. Bounded: a span lives while its body runs, and an ended saver
// only until the bodies that overlapped it end.
const inFlight = new Map<number, Span>()
const savers = new Map<string, Set<Span>>()

/** Run ids whose bodies the current fiber executes inside. */
export const Ancestors: FiberRef.FiberRef<ReadonlyArray<number>> = FiberRef.unsafeMake<ReadonlyArray<number>>([])

const forget = (s: Span): void => {
  for (const p of s.paths) {
    const set = savers.get(p)
    set?.delete(s)
    if (set?.size === 0) savers.delete(p)
  }
}

const endSpan = (s: Span): void => {
  s.end = performance.now()
  inFlight.delete(s.runId)
  for (const w of s.watching) if (--w.pending === 0) forget(w)
  if (s.paths.size === 0) return
  // Keep this saver while a body that overlapped it (and is not its ancestor) still runs.
  for (const other of inFlight.values())
    if (!s.ancestors.has(other.runId) && !other.ancestors.has(s.runId)) {
      other.watching.add(s)
      s.pending++
    }
  if (s.pending === 0) forget(s)
}

/**
 * Run a step's or flow's body (inside its run scope) as a guarded span: it fails with an
 * `IntegrityError` if a concurrent run saved from a path it saved from.
 */
export const guardBody = <A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E | IntegrityError, R> =>
  Effect.flatMap(currentRun, (run) => {
    if (Option.isNone(run)) return body
    return Effect.flatMap(FiberRef.get(Ancestors), (ancestors) => {
      const span = openSpan(run.value, ancestors)
      return body.pipe(
        Effect.locally(Ancestors, span.inside),
        Effect.ensuring(Effect.sync(span.end)),
        Effect.flatMap((a) => {
          const conflict = span.conflict()
          return conflict === undefined ? Effect.succeed(a) : Effect.fail(conflict)
        })
      )
    })
  })

/** A guarded body's span, opened and ended as plain calls. */
export interface OpenSpan {
  /** The runs the body executes inside (`Ancestors` while it runs). */
  readonly inside: ReadonlyArray<number>
  /** The body returned, however. */
  readonly end: () => void
  /** The error the body fails with, when a concurrent run saved from one of its paths. */
  readonly conflict: () => IntegrityError | undefined
}

/**
 * Open the span of `run`'s body, which runs inside `ancestors` (what `guardBody` does as
 * Effects, for a caller that sets `Ancestors` itself: `flow/invoke.ts`' `invokeInRun`).
 */
export const openSpan = (run: { readonly runId: number; readonly runUid: string; readonly name: string }, ancestors: ReadonlyArray<number>): OpenSpan => {
  const span: Span = { runId: run.runId, runUid: run.runUid, name: run.name, start: performance.now(), ancestors: new Set(ancestors), paths: new Set(), watching: new Set(), pending: 0 }
  inFlight.set(run.runId, span)
  return {
    inside: [...ancestors, run.runId],
    end: () => endSpan(span),
    conflict: () => (span.conflict === undefined ? undefined : new IntegrityError({ message: span.conflict }))
  }
}

/** What a save from a path found. */
export type SourceCheck =
  | { readonly _tag: "ok" }
  /** Refuse this save; `completed` names an ended run whose outputs must be withdrawn. */
  | { readonly _tag: "conflict"; readonly error: IntegrityError; readonly completed: ReadonlyArray<{ readonly runId: number; readonly message: string }> }

const describeRun = (s: Span): string => `'${s.name}' (run ${s.runUid})`

const advice =
  "Two runs executing at the same time wrote and saved the same file, so each may have saved the other's bytes. " +
  "Write each call's output to its own path (e.g. a temporary folder per call, or a name built from the call's params)."

/**
 * Check a save from local `file` by the current run against the other runs that saved from it,
 * and note the save. Outside a guarded body (no run, or a `track()` script) nothing is checked.
 */
export const checkSource = (file: string): Effect.Effect<SourceCheck> =>
  Effect.map(currentRun, (run): SourceCheck => {
    if (Option.isNone(run)) return { _tag: "ok" }
    const me = inFlight.get(run.value.runId)
    if (me === undefined) return { _tag: "ok" }
    const key = path.resolve(file)
    const completed: Array<{ readonly runId: number; readonly message: string }> = []
    const clashes: Array<Span> = []
    for (const other of savers.get(key) ?? []) {
      if (other === me || me.ancestors.has(other.runId) || other.ancestors.has(me.runId)) continue
      if (other.end !== undefined && other.end <= me.start) continue
      clashes.push(other)
      const message = `Run ${describeRun(other)} saved '${key}' while run ${describeRun(me)} was saving it too. ${advice}`
      if (other.end === undefined) other.conflict ??= message
      else completed.push({ runId: other.runId, message })
    }
    me.paths.add(key)
    let set = savers.get(key)
    if (set === undefined) savers.set(key, (set = new Set()))
    set.add(me)
    if (clashes.length === 0) return { _tag: "ok" }
    me.conflict ??= `Run ${describeRun(me)} saved '${key}' while ${clashes.map(describeRun).join(", ")} did too. ${advice}`
    return {
      _tag: "conflict",
      error: new IntegrityError({
        message: `Refusing to save '${key}' in run ${describeRun(me)}: run ${clashes.map(describeRun).join(", ")} saved the same path while this run was executing. ${advice}`
      }),
      completed
    }
  })
