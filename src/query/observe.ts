/**
 * Who is watching the registry reads a fiber runs. A cached step's body sets an observer
 * (flow/invoke.ts) so the statements its QuerySets (and the Curator's lookups) run can be run
 * again on a cache hit: a query that now returns other rows means the body would see other
 * records, and the hit is refused (tracker/queries.ts).
 *
 * @module
 */
import type * as Statement from "@effect/sql/Statement"
import { Effect, FiberRef } from "effect"
import type { Bindable } from "../db/sql.js"

/** A registry read that ran (a QuerySet's statement, a Curator lookup), with the raw rows it returned. */
export interface RanQuery {
  /** The registry queried (its model's name). */
  readonly model: string
  /** The query as the user wrote it, for messages (`Artifact.filter({"key__startswith":"raw/"})`). */
  readonly what: string
  readonly text: string
  readonly params: ReadonlyArray<Bindable>
  readonly rows: ReadonlyArray<Record<string, unknown>>
  /** True when each row is a whole record (its `id`, `run_id` … are there), false for values, counts and aggregates. */
  readonly records: boolean
}

/** Called with each registry read that runs in the fiber. */
export type QueryObserver = (query: RanQuery) => void

/** The fiber's observer, if any (inherited by child fibers). */
export const CurrentQueryObserver: FiberRef.FiberRef<QueryObserver | undefined> = FiberRef.unsafeMake<QueryObserver | undefined>(undefined)

/** Tell the fiber's observer, if any, about a statement that ran. */
export const observeQuery = (query: () => RanQuery): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(CurrentQueryObserver), (observer) => (observer === undefined ? Effect.void : Effect.sync(() => observer(query()))))

/**
 * Run a registry read written as an @effect/sql statement (not a QuerySet: the Curator's
 * lookups) and tell the fiber's observer, if any, as `observeQuery` does.
 */
export const observedStatement = <A extends object>(model: string, what: string, statement: Statement.Statement<A>) =>
  Effect.tap(statement, (rows) =>
    observeQuery(() => {
      const [text, params] = statement.compile()
      return { model, what, text, params: params as ReadonlyArray<Bindable>, rows: rows as ReadonlyArray<Record<string, unknown>>, records: false }
    })
  )

/** Run `effect` unobserved: the engine's own lookups inside a body are not what the body read. */
export const unobserved = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => Effect.locally(effect, CurrentQueryObserver, undefined)
