/**
 * The Artifact registry's declaration.
 *
 * @module
 */
import { defineRegistry, f, fk, recordFields } from "../../schema/index.js"
import { versionField } from "./version.js"

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
    updated_at: f.datetime
  },
  relations: {
    storage: fk("Storage", "storage_id", "artifacts"),
    run: fk("Run", "run_id", "output_artifacts"),
    created_by: fk("User", "created_by_id", "created_artifacts")
  },
  /** LaminDB's alias: `transform` on Artifact means `run__transform`. */
  aliases: { transform: "run__transform" },
  computed: { version: versionField(20) },
  searchFields: ["key", "description"],
  searchIndex: "lamina_artifact_fts",
  /** Internal artifacts (`__lamina_run__` environments, LaminDB's `__lamindb…`) stay out of tables. */
  hidden: { field: "kind", prefix: "__lamin" }
})
