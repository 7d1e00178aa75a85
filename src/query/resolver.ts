/**
 * Key resolvers: the extension point for filter keys whose root is not a field, relation or
 * link of the registry. The annotation work plugs in here (`Artifact.filter({ cell_type: "T
 * cell" })`) without touching the compiler:
 *
 * ```ts
 * registerKeyResolver("Artifact", {
 *   name: "features",
 *   resolve: ({ root, key, value }) =>
 *     root === "cell_type" ? Effect.succeed(rewrite({ ulabels__name: value })) : Effect.succeed(undefined)
 * })
 * ```
 *
 * A resolver answers with a rewrite (a condition over the same registry, compiled as usual) or
 * with SQL built from the compiler's helpers, or `undefined` to pass. Resolvers run in
 * registration order; the first answer wins. Compile-time key types are added by augmenting
 * `FilterKeyExtensions` in `./types.js`.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import type { DoesNotExist, InvalidArgument, StorageError } from "../errors.js"
import type { Model } from "../registry/model.js"
import { toNode, type AnyCondition, type QNode } from "./Q.js"
import type { Sql } from "./sql.js"

/** What a resolver is asked. */
export interface KeyResolverInput {
  readonly model: Model
  /** The full key, e.g. `cell_type__in`. */
  readonly key: string
  /** The key split at `__`. */
  readonly parts: ReadonlyArray<string>
  /** The first part. */
  readonly root: string
  readonly value: unknown
  readonly dialect: Dialect
  /** SQL alias of the registry's table in the query (`t0`). */
  readonly alias: string
}

/** A resolver's answer. */
export type KeyResolution =
  | { readonly _tag: "Rewrite"; readonly node: QNode }
  | { readonly _tag: "Sql"; readonly sql: Sql }

/** Answer with a condition over the same registry. */
export const rewrite = (condition: AnyCondition): KeyResolution => ({ _tag: "Rewrite", node: toNode(condition) })

/** Answer with SQL (a boolean expression; use `sql`/`param` from `./sql.js`, never string values). */
export const rawCondition = (sql: Sql): KeyResolution => ({ _tag: "Sql", sql })

/** A pluggable resolver of filter keys. */
export interface KeyResolver {
  /** Shown in errors and used to unregister. */
  readonly name: string
  readonly resolve: (
    input: KeyResolverInput
  ) => Effect.Effect<KeyResolution | undefined, InvalidArgument | DoesNotExist | StorageError, SqlClient.SqlClient>
}

const resolvers = new Map<string, Array<KeyResolver>>()

/** Register `resolver` for the registry named `modelName`; returns a function that removes it. */
export const registerKeyResolver = (modelName: string, resolver: KeyResolver): (() => void) => {
  const list = resolvers.get(modelName) ?? []
  list.push(resolver)
  resolvers.set(modelName, list)
  return () => {
    const current = resolvers.get(modelName) ?? []
    resolvers.set(
      modelName,
      current.filter((r) => r !== resolver)
    )
  }
}

/** The resolvers of a registry, in registration order. */
export const keyResolversOf = (modelName: string): ReadonlyArray<KeyResolver> => resolvers.get(modelName) ?? []
