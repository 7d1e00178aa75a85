/**
 * The Collection registry's declaration: ordered sets of saved artifacts, versioned like
 * artifacts (uid 16 + 4), with LaminDB's member hash.
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"
import { versionField } from "./version.js"

/** Collections of artifacts (uid 16 + 4). */
export const CollectionDecl = defineRegistry({
  name: "Collection",
  table: "lamina_collection",
  uidLength: 20,
  versioned: true,
  fields: {
    ...recordFields,
    key: f.nullable(f.key),
    description: f.nullable(f.str),
    /** `hash_string(":".join(sorted member hashes))`, LaminDB's. */
    hash: f.nullable(f.key),
    reference: f.nullable(f.str),
    reference_type: f.nullable(f.str),
    run_id: f.nullable(f.int),
    version_tag: f.nullable(f.str),
    is_latest: f.withDefault(f.bool, true),
    updated_at: f.datetime
  },
  relations: {
    run: fk("Run", "run_id", "output_collections"),
    created_by: fk("User", "created_by_id", "created_collections")
  },
  links: {
    /** Members, in order (`position` on the link). */
    artifacts: m2m("Artifact", { table: "lamina_collection_artifact", selfColumn: "collection_id", otherColumn: "artifact_id" }, "collections"),
    /** Runs that read the collection. */
    input_of_runs: m2m("Run", { table: "lamina_run_input_collection", selfColumn: "collection_id", otherColumn: "run_id" }, "input_collections"),
    projects: m2m("Project", { table: "lamina_collection_project", selfColumn: "collection_id", otherColumn: "project_id" }, "collections"),
    references: m2m("Reference", { table: "lamina_collection_reference", selfColumn: "collection_id", otherColumn: "reference_id" }, "collections")
  },
  computed: { version: versionField(20) },
  searchFields: ["key", "description"]
})
