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
import type { Sql } from "../db/sql.js"
import type { KeyResolution } from "./model.js"

export type { KeyResolution, KeyResolver, KeyResolverInput } from "./model.js"

/** Answer with a condition over the same registry (a keyword object or a `Q`). */
export const rewrite = (condition: object): KeyResolution => ({ _tag: "Rewrite", condition })

/** Answer with SQL (a boolean expression). */
export const rawCondition = (sql: Sql): KeyResolution => ({ _tag: "Sql", sql })
