/**
 * The Artifact registry's model and the plain record type its rows decode to.
 *
 * @module
 */
import { defineModel, recordFieldTypes } from "../model.js"

/** The artifact model. */
export const ArtifactModel = defineModel({
  name: "Artifact",
  table: "lamina_artifact",
  fields: {
    ...recordFieldTypes,
    key: "str",
    description: "str",
    storage_id: "int",
    suffix: "str",
    kind: "str",
    otype: "str",
    size: "int",
    hash: "str",
    hash_type: "str",
    n_files: "int",
    n_observations: "int",
    version_tag: "str",
    is_latest: "bool",
    run_id: "int",
    _key_is_virtual: "bool",
    updated_at: "datetime"
  },
  relations: {
    storage: { model: "Storage", column: "storage_id" },
    run: { model: "Run", column: "run_id" },
    created_by: { model: "User", column: "created_by_id" }
  },
  links: {
    input_of_runs: { model: "Run", table: "lamina_run_input_artifact", selfColumn: "artifact_id", otherColumn: "run_id" },
    recreating_runs: { model: "Run", table: "lamina_artifact_recreating_run", selfColumn: "artifact_id", otherColumn: "run_id" }
  },
  searchFields: ["key", "description"],
  versioned: true
})

/** An artifact row as decoded from the registry. */
export interface ArtifactRow {
  readonly id: number
  readonly uid: string
  readonly key: string | null
  readonly description: string | null
  readonly storage_id: number
  readonly suffix: string
  readonly kind: string | null
  readonly otype: string | null
  readonly size: number | null
  readonly hash: string | null
  readonly hash_type: string | null
  readonly n_files: number | null
  readonly n_observations: number | null
  readonly version_tag: string | null
  readonly is_latest: boolean
  readonly run_id: number | null
  readonly _key_is_virtual: boolean
  readonly _aux: Record<string, unknown> | null
  readonly created_at: Date
  readonly updated_at: Date
  readonly created_by_id: number | null
  readonly branch: number
  readonly is_locked: boolean
}
