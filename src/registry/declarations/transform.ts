/**
 * The Transform registry's declaration.
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"
import { versionField } from "./version.js"

/** Versioned pieces of code that runs execute (uid 12 + 4). */
export const TransformDecl = defineRegistry({
  name: "Transform",
  table: "lamina_transform",
  uidLength: 16,
  versioned: true,
  fields: {
    ...recordFields,
    key: f.nullable(f.key),
    description: f.nullable(f.str),
    kind: f.withDefault(f.str, "pipeline"),
    source_code: f.nullable(f.str),
    hash: f.nullable(f.str),
    reference: f.nullable(f.str),
    reference_type: f.nullable(f.str),
    version_tag: f.nullable(f.str),
    is_latest: f.withDefault(f.bool, true),
    updated_at: f.datetime
  },
  relations: { created_by: fk("User", "created_by_id", "created_transforms") },
  links: {
    /** Transforms that feed this one (a workflow DAG's upstream processes). */
    predecessors: m2m("Transform", { table: "lamina_transform_predecessor", selfColumn: "transform_id", otherColumn: "predecessor_id" }, "successors")
  },
  computed: { version: versionField(16) },
  searchFields: ["key", "description"],
  searchIndex: "lamina_transform_fts"
})
