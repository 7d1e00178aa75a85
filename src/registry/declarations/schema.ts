/**
 * The Schema registry's declaration: LaminDB's schemas — which features a dataset must, may or
 * must not have, how strictly (`minimal_set`, `maximal_set`, `ordered_set`, `flexible`,
 * `coerce`), its index feature, and composite schemas whose slots (`obs`, `var`) are schemas.
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"

/** Schemas (uid of 16), deduplicated by LaminDB's schema hash. */
export const SchemaDecl = defineRegistry({
  name: "Schema",
  table: "lamina_schema",
  uidLength: 16,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.nullable(f.str),
    description: f.nullable(f.str),
    /** What the members are: `Feature` (columns are features), or a registry field whose values the index holds (`Record[Gene].name`). */
    itype: f.nullable(f.str),
    /** The dataset type: `DataFrame`, `AnnData`. */
    otype: f.nullable(f.str),
    /** The dtype of every value when the members are not features (`int` for a gene-expression var slot). */
    dtype: f.nullable(f.str),
    n_members: f.nullable(f.int),
    minimal_set: f.withDefault(f.bool, true),
    maximal_set: f.withDefault(f.bool, false),
    ordered_set: f.withDefault(f.bool, false),
    flexible: f.withDefault(f.bool, false),
    coerce: f.withDefault(f.bool, false),
    index_feature_id: f.nullable(f.int),
    hash: f.key,
    updated_at: f.datetime
  },
  relations: {
    index: fk("Feature", "index_feature_id", "index_of_schemas"),
    created_by: fk("User", "created_by_id", "created_schemas")
  },
  links: {
    /** Members in order (`position`), with `optional` on the link row. */
    features: m2m("Feature", { table: "lamina_schema_feature", selfColumn: "schema_id", otherColumn: "feature_id" }, "schemas"),
    /** Slots of a composite schema (`slot` on the link row: `obs`, `var`). */
    components: m2m("Schema", { table: "lamina_schema_component", selfColumn: "composite_id", otherColumn: "component_id" }, "composites"),
    /** Artifacts validated against this schema (`slot` on the link row: `columns`, `obs`, `var`, or `__dataset__`). */
    artifacts: m2m("Artifact", { table: "lamina_artifact_schema", selfColumn: "schema_id", otherColumn: "artifact_id" }, "schemas")
  },
  searchFields: ["name", "description"]
})
