/**
 * Lamina: lineage-native data framework and workflow engine for TypeScript, on Effect.
 *
 * @module
 */
import { explainRun } from "./flow/why.js"
import { Run as RunRegistry } from "./registry/Run.js"

export * from "./errors.js"
export {
  Artifact,
  type AnnDataArtifactOptions,
  type ArtifactJson,
  type ArtifactOptions,
  type PendingArtifact,
  type TableArtifactOptions
} from "./registry/Artifact.js"
// Types only: the format layer itself (makeAnnData, DenseArray, readH5ad, writeParquet, …) is
// `lamina/formats`, so importing `lamina` does not load apache-arrow, parquet-wasm, h5wasm, zarrita.
export type { AnnDataFormat, OpenedArtifact, TableFormat } from "./registry/artifact-data.js"
// Imported from their own modules, not the format index: a consumer's strict build (no
// skipLibCheck) then never reaches zarrita's declarations through Lamina's root types.
export type { AnnData, Matrix } from "./formats/anndata/anndata.js"
export type { BackedAnnData, BackedMatrix } from "./formats/anndata/backed.js"
export { RunStatus } from "./registry/Run.js"
/**
 * The Run registry: `Run.filter({...})`, `Run.get(uid)`, and `Run.why(uid)` — why a run
 * executed instead of hitting the cache: which part of its cache key (code, a param, an input,
 * the environment) differs from the closest earlier run of the same step.
 */
export const Run = { ...RunRegistry, why: (uid: string) => explainRun(uid) }
export * from "./flow/index.js"
export * as Lineage from "./lineage/index.js"
export * as Integrity from "./integrity/index.js"
export { Adapters, formatSummary, type IngestSummary, type IngestWarning, type NextflowIngestOptions, type SnakemakeIngestOptions, type WriteProgress } from "./adapters/index.js"
export { Transform } from "./registry/Transform.js"
export { Storage } from "./registry/Storage.js"
export { User } from "./registry/User.js"
export { Feature, type FeatureOptions } from "./registry/Feature.js"
export { Schema, VALID_FEATURES, type SchemaOptions, type MemberRef, type FeatureRef } from "./registry/Schema.js"
export * as Curate from "./curate/index.js"
export { AnnDataCurator, Curator, DataFrameCurator } from "./curate/index.js"
export { ULabel, type ULabelOptions } from "./registry/ULabel.js"
export { Record, type LaminaRecord, type RecordOptions } from "./registry/Record.js"
export { Project, type ProjectOptions } from "./registry/Project.js"
export { Reference, type ReferenceOptions } from "./registry/Reference.js"
export { Collection, type CollectionOptions } from "./registry/Collection.js"
export type { FeatureValues } from "./registry/annotate/features.js"
export { parseDtype, dtypeText, type Dtype } from "./registry/feature/dtype.js"
export { Agg, Q, QuerySet, type Condition, type FilterSpec } from "./query/index.js"
export * as Query from "./query/index.js"
export { ObjectStore } from "./storage/ObjectStore.js"
export { Instance } from "./instance/Instance.js"
import * as LaminaInstance from "./instance/Lamina.js"
/**
 * Connecting an instance (`Lamina.layer`, `Lamina.layerFromSettings`, …). Running steps on
 * runners is `cluster(options)` from `lamina/cluster` (see docs/distributed.md): a subpath, so
 * the root needs neither @effect/cluster installed nor its types checked.
 */
export const Lamina = { ...LaminaInstance }
/** Types of the `Lamina` namespace. */
export declare namespace Lamina {
  /** Every service a Lamina program can use. */
  export type Lamina = LaminaInstance.Lamina
  /** Options of `Lamina.layer`. */
  export type LaminaOptions = LaminaInstance.LaminaOptions
}
export * as Hash from "./storage/hash.js"
export * as Uid from "./registry/uid.js"
