/**
 * apache-arrow, loaded on first use. Its package root evaluates ~150 modules (≈ 0.2 s of every
 * start); the package's entry point reaches the curators and step boundaries, which need Arrow's
 * classes only once a table is at hand. Modules the entry point reaches import Arrow's types, or
 * `apache-arrow/type` for the `DataType` predicates, and take the rest from here
 * (test/imports.test.ts checks it).
 *
 * @module
 */
import { Effect } from "effect"

/** The apache-arrow module's exports. */
export type Arrow = typeof import("apache-arrow")

/** The apache-arrow module (imported once; later uses resolve at once). */
export const arrow: Effect.Effect<Arrow> = Effect.promise(() => import("apache-arrow"))
