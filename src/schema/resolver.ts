/**
 * Key resolvers: the declared extension point for filter keys that are not a field, relation,
 * link, alias, enum or computed field of a registry (LaminDB takes such a key as a feature
 * name). A registry declares its resolvers (`resolvers: [...]`); the compiler asks them, in
 * order, before it reports an unknown key:
 *
 * ```ts
 * const features: KeyResolver = {
 *   name: "features",
 *   resolve: ({ root, value }) =>
 *     root === "cell_type" ? Effect.succeed(rewrite({ ulabels__name: value })) : Effect.succeed(undefined)
 * }
 * ```
 *
 * A resolver answers with a rewrite (a condition over the same registry, compiled as usual),
 * with SQL (`rawCondition`, built with `sql`/`param`/`column`, never string values), or
 * `undefined` to pass.
 *
 * @module
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Effect } from "effect"
import type { Dialect } from "../db/dialect.js"
import type { Sql } from "../db/sql.js"
import type { DoesNotExist, InvalidArgument, StorageError } from "../errors.js"
import type { Model } from "./model.js"

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
  | { readonly _tag: "Rewrite"; readonly condition: object }
  | { readonly _tag: "Sql"; readonly sql: Sql }

/** Answer with a condition over the same registry (a keyword object or a `Q`). */
export const rewrite = (condition: object): KeyResolution => ({ _tag: "Rewrite", condition })

/** Answer with SQL (a boolean expression). */
export const rawCondition = (sql: Sql): KeyResolution => ({ _tag: "Sql", sql })

/** A pluggable resolver of filter keys. */
export interface KeyResolver {
  /** Shown in errors. */
  readonly name: string
  readonly resolve: (
    input: KeyResolverInput
  ) => Effect.Effect<KeyResolution | undefined, InvalidArgument | DoesNotExist | StorageError, SqlClient.SqlClient>
}
