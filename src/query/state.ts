/**
 * The immutable description of a query that a `QuerySet` carries and the compiler reads.
 *
 * @module
 */
import type { InvalidArgument } from "../errors.js"
import type { Model } from "../schema/model.js"
import type { QNode } from "./Q.js"

/** Options of `search()`. */
export interface SearchOptions {
  /** Fields to search (default: the registry's search fields). */
  readonly fields?: ReadonlyArray<string>
  /** At most this many results (default 20, like LaminDB). */
  readonly limit?: number
  /** Match case exactly (default false). */
  readonly caseSensitive?: boolean
}

/** A search request inside a query. */
export interface SearchState {
  readonly text: string
  readonly fields: ReadonlyArray<string>
  readonly caseSensitive: boolean
}

/** What a query selects: whole records, or the values of some paths. */
export type Projection =
  | { readonly _tag: "Records" }
  | { readonly _tag: "Values"; readonly paths: ReadonlyArray<string> }

/** Everything a QuerySet knows; nothing here has touched the database. */
export interface QueryState {
  readonly model: Model
  /** Conditions, combined with AND. */
  readonly where: ReadonlyArray<QNode>
  /** Ordering keys (`-created_at`); empty means the default (`-id`). */
  readonly order: ReadonlyArray<string>
  readonly offset: number
  readonly limit: number | undefined
  readonly distinct: boolean
  readonly projection: Projection
  readonly search: SearchState | undefined
  /** A usage error found while building the query, reported when it runs. */
  readonly error: InvalidArgument | undefined
}

/** A fresh query over `model`. */
export const initialState = (model: Model): QueryState => ({
  model,
  where: [],
  order: [],
  offset: 0,
  limit: undefined,
  distinct: false,
  projection: { _tag: "Records" },
  search: undefined,
  error: undefined
})
