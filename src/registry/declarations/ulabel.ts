/**
 * The ULabel registry's declaration: universal labels, optionally typed (`is_type`) and
 * arranged in a hierarchy (parents/children).
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"

/** Labels (uid of 8). */
export const ULabelDecl = defineRegistry({
  name: "ULabel",
  table: "lamina_ulabel",
  uidLength: 8,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.str,
    type_id: f.nullable(f.int),
    is_type: f.withDefault(f.bool, false),
    description: f.nullable(f.str),
    reference: f.nullable(f.str),
    reference_type: f.nullable(f.str),
    updated_at: f.datetime
  },
  relations: {
    type: fk("ULabel", "type_id", "ulabels"),
    created_by: fk("User", "created_by_id", "created_ulabels")
  },
  links: {
    parents: m2m("ULabel", { table: "lamina_ulabel_parent", selfColumn: "child_id", otherColumn: "parent_id" }, "children")
  },
  searchFields: ["name", "description"]
})
