/**
 * The Record registry's declaration: LaminDB's flexible records — typed by other records
 * (`is_type`: a "Sample" type with records "P53mutant1", …), with parents/children and
 * typed values per feature (`_features`, indexed by a side table like run params).
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"
import { featureResolver, featureValuesExpansion } from "../feature/resolver.js"

/** Where records keep feature values: the `_features` JSON and the label links. */
export const RecordFeatures = { field: "_features", labelLinks: { ULabel: "ulabels", Record: "linked_records" } } as const

/** Records (uid of 16). */
export const RecordDecl = defineRegistry({
  name: "Record",
  table: "lamina_record",
  uidLength: 16,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.nullable(f.str),
    type_id: f.nullable(f.int),
    is_type: f.withDefault(f.bool, false),
    description: f.nullable(f.str),
    reference: f.nullable(f.str),
    reference_type: f.nullable(f.str),
    /** Non-categorical feature values by feature uid (see `src/registry/annotate/`). */
    _features: f.nullable(f.json),
    updated_at: f.datetime
  },
  relations: {
    type: fk("Record", "type_id", "records"),
    created_by: fk("User", "created_by_id", "created_records")
  },
  links: {
    parents: m2m("Record", { table: "lamina_record_parent", selfColumn: "child_id", otherColumn: "parent_id" }, "children"),
    ulabels: m2m("ULabel", { table: "lamina_record_ulabel", selfColumn: "record_id", otherColumn: "ulabel_id" }, "records"),
    /** Records as categorical feature values of this record. */
    linked_records: m2m("Record", { table: "lamina_record_record", selfColumn: "record_id", otherColumn: "value_id" }, "linked_in_records")
  },
  jsonIndexes: { _features: { table: "lamina_record_feature_value", owner: "record_id" } },
  resolvers: [featureResolver(RecordFeatures)],
  expansions: { features: featureValuesExpansion(RecordFeatures) },
  searchFields: ["name", "description"]
})
