/**
 * The Feature registry's declaration: named, typed dimensions of data (`temperature`, dtype
 * `float`), LaminDB's fields.
 *
 * @module
 */
import { defineRegistry, f, fk, recordFields } from "../../schema/index.js"

/** Features (uid of 12): a name and a dtype; `is_type` records group features into types. */
export const FeatureDecl = defineRegistry({
  name: "Feature",
  table: "lamina_feature",
  uidLength: 12,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.str,
    /** LaminDB's dtype text (`float`, `cat[ULabel|Record[Sample]]`); null for feature types. */
    dtype: f.nullable(f.str),
    type_id: f.nullable(f.int),
    is_type: f.withDefault(f.bool, false),
    unit: f.nullable(f.str),
    description: f.nullable(f.str),
    /** Pipe-separated, as LaminDB stores them. */
    synonyms: f.nullable(f.str),
    default_value: f.nullable(f.json),
    nullable: f.withDefault(f.bool, true),
    coerce: f.withDefault(f.bool, false),
    updated_at: f.datetime
  },
  relations: {
    type: fk("Feature", "type_id", "features"),
    created_by: fk("User", "created_by_id", "created_features")
  },
  searchFields: ["name", "description", "synonyms"]
})
