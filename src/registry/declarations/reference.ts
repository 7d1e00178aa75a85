/**
 * The Reference registry's declaration: publications, URLs and other references that
 * artifacts, transforms, runs and records cite (LaminDB's fields).
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"

/** References (uid of 12). */
export const ReferenceDecl = defineRegistry({
  name: "Reference",
  table: "lamina_reference",
  uidLength: 12,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.str,
    type_id: f.nullable(f.int),
    is_type: f.withDefault(f.bool, false),
    abbr: f.nullable(f.str),
    url: f.nullable(f.str),
    pubmed_id: f.nullable(f.int),
    doi: f.nullable(f.str),
    description: f.nullable(f.str),
    text: f.nullable(f.str),
    /** `YYYY-MM-DD`. */
    date: f.nullable(f.str),
    updated_at: f.datetime
  },
  relations: {
    type: fk("Reference", "type_id", "references"),
    created_by: fk("User", "created_by_id", "created_references")
  },
  links: {
    artifacts: m2m("Artifact", { table: "lamina_artifact_reference", selfColumn: "reference_id", otherColumn: "artifact_id" }, "references"),
    transforms: m2m("Transform", { table: "lamina_transform_reference", selfColumn: "reference_id", otherColumn: "transform_id" }, "references"),
    runs: m2m("Run", { table: "lamina_run_reference", selfColumn: "reference_id", otherColumn: "run_id" }, "references"),
    records: m2m("Record", { table: "lamina_record_reference", selfColumn: "reference_id", otherColumn: "record_id" }, "references")
  },
  searchFields: ["name", "abbr", "doi", "description", "text"]
})
