/**
 * The Artifact registry's declaration.
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"
import { featureResolver, featureValuesExpansion } from "../feature/resolver.js"
import { versionField } from "./version.js"

/** Where artifacts keep feature values: the `_features` JSON and the label links. */
export const ArtifactFeatures = { field: "_features", labelLinks: { ULabel: "ulabels", Record: "records" } } as const

/** Versioned, hashed files and folders (uid 16 + 4). */
export const ArtifactDecl = defineRegistry({
  name: "Artifact",
  table: "lamina_artifact",
  uidLength: 20,
  versioned: true,
  fields: {
    ...recordFields,
    key: f.nullable(f.key),
    description: f.nullable(f.str),
    storage_id: f.int,
    suffix: f.withDefault(f.str, ""),
    kind: f.nullable(f.str),
    otype: f.nullable(f.str),
    size: f.nullable(f.int),
    hash: f.nullable(f.key),
    hash_type: f.nullable(f.str),
    n_files: f.nullable(f.int),
    n_observations: f.nullable(f.int),
    version_tag: f.nullable(f.str),
    is_latest: f.withDefault(f.bool, true),
    run_id: f.nullable(f.int),
    _key_is_virtual: f.withDefault(f.bool, true),
    /** Non-categorical feature values by feature uid (see `src/registry/annotate/`). */
    _features: f.nullable(f.json),
    updated_at: f.datetime
  },
  relations: {
    storage: fk("Storage", "storage_id", "artifacts"),
    run: fk("Run", "run_id", "output_artifacts"),
    created_by: fk("User", "created_by_id", "created_artifacts")
  },
  /** Labels; `feature_id` on the link says which feature a label is the value of (null: a plain label). */
  links: {
    ulabels: m2m("ULabel", { table: "lamina_artifact_ulabel", selfColumn: "artifact_id", otherColumn: "ulabel_id" }, "artifacts"),
    records: m2m("Record", { table: "lamina_artifact_record", selfColumn: "artifact_id", otherColumn: "record_id" }, "artifacts")
  },
  /** LaminDB's alias: `transform` on Artifact means `run__transform`. */
  aliases: { transform: "run__transform" },
  computed: { version: versionField(20) },
  /** Feature values are indexed by a side table (migration 110), like run params. */
  jsonIndexes: { _features: { table: "lamina_artifact_feature_value", owner: "artifact_id" } },
  /** A filter key that is not a field is a feature name (LaminDB). */
  resolvers: [featureResolver(ArtifactFeatures)],
  /** `toTable({ include: ["features"] })`: one column per feature. */
  expansions: { features: featureValuesExpansion(ArtifactFeatures) },
  searchFields: ["key", "description"],
  searchIndex: "lamina_artifact_fts",
  /** Internal artifacts (`__lamina_run__` environments, LaminDB's `__lamindb…`) stay out of tables. */
  hidden: { field: "kind", prefix: "__lamin" }
})
