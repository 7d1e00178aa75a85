/**
 * The run a piece of code executes in, if any. Registries consult it so that
 * `Artifact.load` inside a step records an input and `save` records an output, without
 * depending on the lineage engine itself.
 *
 * @module
 */
import { Effect, FiberRef, Option } from "effect"

/** What the registries need to know about the current run. */
export interface RunScope {
  /** The run's registry id. */
  readonly runId: number
  /** The run's uid. */
  readonly runUid: string
  /**
   * The run's saves may commit behind (`db/writeBehind.ts`): a short step's run on the embedded
   * registry; false or absent for any other.
   */
  readonly behind?: boolean
  /** The step, flow or script name. */
  readonly name: string
  /** Record an artifact as an input of the run (called by load/cache/open). */
  readonly recordInput: (artifactId: number) => Effect.Effect<void>
  /** Note an artifact created by the run (called by save). */
  readonly recordOutput: (artifactId: number) => Effect.Effect<void>
  /**
   * Note an existing artifact whose bytes the run saved again (the save returned it): linked
   * as a recreating run of it when the run completes. Ignored for the run's own inputs.
   */
  readonly recordRecreated?: (artifactId: number) => Effect.Effect<void>
  /** Record a collection as an input of the run (called by a collection's loadTable/iterate). */
  readonly recordCollectionInput?: (collectionId: number) => Effect.Effect<void>
  /** Append a line to the run's logs (the run logger calls it for `Effect.log` inside the run). */
  readonly log: (line: string) => void
}

/** The current run, inherited by child fibers. */
export const CurrentRun: FiberRef.FiberRef<Option.Option<RunScope>> = FiberRef.unsafeMake<Option.Option<RunScope>>(
  Option.none()
)

/** The current run's scope, if any. */
export const currentRun: Effect.Effect<Option.Option<RunScope>> = FiberRef.get(CurrentRun)
