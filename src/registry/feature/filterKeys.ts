/**
 * Compile-time filter keys for features. A feature is a row in the registry, unknown when the
 * program compiles, so on registries that carry feature values (Artifact, Run, Record) any
 * other key is let through as a feature key (`Artifact.filter({ temperature__gt: 20 })`) and
 * checked at run time, with LaminDB's message for names that are neither fields nor features.
 * Fields keep their types: `size__gt: "5"` still does not compile. (The index signature's
 * value is `unknown`: it also covers the declared keys, whose values are relations, QuerySets…)
 *
 * @module
 */
import type { Dtype } from "./dtype.js"

/** A value a feature filter compares with: a scalar, a date, a label record, or a list of them. */
export type FeatureFilterValue =
  | string
  | number
  | boolean
  | Date
  | null
  | { readonly id: number }
  | ReadonlyArray<string | number | boolean | Date | { readonly id: number }>

declare module "../../query/types.js" {
  interface FilterKeyExtensions {
    /** Feature keys of the registries whose declarations resolve features. */
    readonly features: { readonly model: "Artifact" | "Run" | "Record"; readonly keys: { readonly [feature: string]: unknown } }
  }
}

/** The dtype of a feature filter's feature (re-exported for resolvers). */
export type { Dtype }
