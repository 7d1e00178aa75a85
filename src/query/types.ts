/**
 * Compile-time filter keys. `FilterSpec<M>` lists, for a registry model `M`:
 *
 * - every field, with a value of the field's type (`{ size: 5 }`, `{ key: null }`);
 * - every `field__lookup` the field's type accepts (`size__gt`, `key__istartswith`,
 *   `created_at__year__gte`), with the lookup's value type (`__in` takes an array or a
 *   QuerySet, `__range` a pair, `__isnull` a boolean);
 * - relations, links and reverse relations by name (a record, an id or `null`), and any path
 *   through them or through an alias, typed loosely (`run__transform__key`, `input_of_runs__uid__in`);
 * - computed fields like fields (`version__startswith`), enum keys by their names
 *   (`status: "completed"`, `status__in`);
 * - JSON fields' key paths, typed loosely (`params__learning_rate__gt`);
 * - keys that key resolvers answer, declared by augmenting {@link FilterKeyExtensions}.
 *
 * A misspelled field or lookup (`siz__gt`, `size__startswith`) is a compile error. The types are
 * flat mapped types over one model (no recursion through relations), so they stay cheap.
 *
 * @module
 */
import type { DecodedOf, FieldType } from "../schema/field.js"

export type { DecodedOf } from "../schema/field.js"
import type { Model } from "../schema/model.js"
import type { Lookup, Transform } from "./lookup.js"
import type { Q } from "./Q.js"
import type { QueryState } from "./state.js"

/** Brand of a QuerySet, so one can be passed as a subquery (`run__in: Run.filter(…)`). */
export const QuerySetTypeId: unique symbol = Symbol.for("lamina/QuerySet")

/** Any QuerySet, whatever it decodes to. */
export interface AnyQuerySet {
  readonly [QuerySetTypeId]: QueryState
}

/** A related record (anything with an `id`), an id, or null. */
export type RelationValue = number | { readonly id: number } | null

/** The JS value of a field type in a filter. */
export type ScalarOf<T extends FieldType> = T extends "int" | "float"
  ? number
  : T extends "str"
    ? string
    : T extends "bool"
      ? boolean
      : T extends "datetime"
        ? Date | string
        : unknown


type OrderLookup = "exact" | "in" | "gt" | "gte" | "lt" | "lte" | "range" | "isnull"
type BoolLookup = "exact" | "in" | "isnull"

/** The lookups (and transform chains) a field type accepts. */
export type LookupsOf<T extends FieldType> = T extends "str"
  ? Lookup
  : T extends "int" | "float"
    ? OrderLookup
    : T extends "bool"
      ? BoolLookup
      : T extends "datetime"
        ? OrderLookup | Transform | `${Transform}__${OrderLookup}`
        : never

/** The value a lookup takes for values of type `V`. */
export type LookupValue<V, L extends string> = L extends "in"
  ? ReadonlyArray<V> | AnyQuerySet
  : L extends "range"
    ? readonly [V, V]
    : L extends "isnull"
      ? boolean
      : L extends "exact"
        ? V | null
        : V

type TransformValue<Tr extends string> = Tr extends "date" ? Date | string : number

/** The value of `field__<L>` for a field of type `T`. */
export type FieldLookupValue<T extends FieldType, L extends string> = T extends "datetime"
  ? L extends `${infer Tr}__${infer Lk}`
    ? LookupValue<TransformValue<Tr>, Lk>
    : L extends Transform
      ? TransformValue<L>
      : LookupValue<Date | string, L>
  : T extends "str"
    ? L extends "regex" | "iregex" | "contains" | "icontains" | "startswith" | "istartswith" | "endswith" | "iendswith" | "iexact"
      ? string
      : LookupValue<string, L>
    : LookupValue<ScalarOf<T>, L>

type Fields<M extends Model> = M["fields"] & { readonly [K in keyof M["computed"]]: M["computed"][K]["type"] }
type NonJson<F> = { [K in keyof F & string]: F[K] extends "json" ? never : K }[keyof F & string]
type JsonFields<F> = { [K in keyof F & string]: F[K] extends "json" ? K : never }[keyof F & string]
type LookupKeys<F extends Record<string, FieldType>> = {
  [K in NonJson<F>]: `${K}__${LookupsOf<F[K]>}`
}[NonJson<F>]
type RelationNames<M extends Model> =
  | (keyof M["relations"] & string)
  | (keyof M["links"] & string)
  | (keyof M["reverse"] & string)
  | (keyof M["aliases"] & string)
type EnumKeys<M extends Model> = {
  readonly [K in keyof M["enums"] & string]?: keyof M["enums"][K]["values"]
} & {
  readonly [K in keyof M["enums"] & string as `${K}__in`]?: ReadonlyArray<keyof M["enums"][K]["values"]>
}

/**
 * Typed filter keys a resolver adds. Augment with one entry per extension:
 *
 * ```ts
 * declare module "lamina/query/types" {
 *   interface FilterKeyExtensions {
 *     "features.Artifact": { readonly model: "Artifact"; readonly keys: { readonly cell_type?: string } }
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface FilterKeyExtensions {}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never

/** The keys extensions declare for the model named `N`. */
export type ExtensionKeys<N extends string> = UnionToIntersection<
  {
    [E in keyof FilterKeyExtensions]: FilterKeyExtensions[E] extends { readonly model: infer X; readonly keys: infer K }
      ? string extends N
        ? never
        : N extends X
          ? K
          : never
      : never
  }[keyof FilterKeyExtensions]
>

/** The keyword object `filter` accepts for model `M`. */
export type FilterSpec<M extends Model = Model> = {
  readonly [K in NonJson<Fields<M>>]?: Fields<M>[K] extends FieldType ? LookupValue<ScalarOf<Fields<M>[K]>, "exact"> : never
} & {
  readonly [P in LookupKeys<Fields<M>>]?: P extends `${infer K}__${infer L}`
    ? K extends keyof Fields<M>
      ? FieldLookupValue<Fields<M>[K], L>
      : never
    : never
} & {
  readonly [K in JsonFields<Fields<M>>]?: unknown
} & {
  readonly [P in `${JsonFields<Fields<M>>}__${string}`]?: unknown
} & {
  readonly [R in RelationNames<M>]?: RelationValue | AnyQuerySet
} & {
  readonly [P in `${RelationNames<M>}__${string}`]?: unknown
} & EnumKeys<M> & ExtensionKeys<M["name"]>

/** A filter condition for model `M`: a keyword object or a `Q` built from them. */
export type Condition<M extends Model = Model> = FilterSpec<M> | Q<FilterSpec<M>, keyof FilterSpec<M>>

/** Field names and paths that can be selected (`values`, `include`, `groupBy`). */
export type PathKey<M extends Model = Model> =
  | (keyof Fields<M> & string)
  | `${RelationNames<M>}__${string}`
  | `${JsonFields<Fields<M>>}__${string}`
  | Extract<keyof ExtensionKeys<M["name"]>, `${string}__${string}`>

/** An ordering key: a path, optionally prefixed with `-` for descending. */
export type OrderKey<M extends Model = Model> = PathKey<M> | `-${PathKey<M>}`

/** The decoded value of a selected path. */
export type PathValue<M extends Model, K extends string> = K extends keyof Fields<M>
  ? Fields<M>[K] extends FieldType
    ? DecodedOf<Fields<M>[K]> | null
    : unknown
  : unknown

/** A row of `values(...keys)`. */
export type ValuesRow<M extends Model, K extends string> = { readonly [P in K]: PathValue<M, P> }
