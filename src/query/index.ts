/**
 * The query language: lazy QuerySets over every registry, Django/LaminDB lookups, relations,
 * JSON params, `Q` conditions, ranked search, aggregates, Arrow tables, and the extension
 * points (key resolvers, aliases, reverse relations).
 *
 * @module
 */
export { Agg, type AggFn, type AggregateResult, type Aggregation } from "./aggregate.js"
export { Q, type QNode } from "./Q.js"
export { GroupedQuerySet, QuerySet, type QueryEffect, type QueryError } from "./QuerySet.js"
export type { ReverseRelation } from "../schema/model.js"
export { rawCondition, registerKeyResolver, rewrite, type KeyResolution, type KeyResolver, type KeyResolverInput } from "./resolver.js"
export { column, param, raw, sql, type Sql } from "./sql.js"
export type { SearchOptions } from "./state.js"
export type { TableOptions } from "./table.js"
export type { Condition, FilterKeyExtensions, FilterSpec, OrderKey, PathKey, ValuesRow } from "./types.js"
