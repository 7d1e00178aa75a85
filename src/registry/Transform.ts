/**
 * Transform registry: versioned pieces of code (pipelines, scripts, functions) that runs execute.
 *
 * @module
 */
import { registryAccess } from "./access.js"
import { UID_LENGTH } from "./uid.js"
import { defineModel, recordFieldTypes } from "./model.js"

/** The transform model. */
export const TransformModel = defineModel({
  name: "Transform",
  table: "lamina_transform",
  fields: {
    ...recordFieldTypes,
    key: "str",
    description: "str",
    kind: "str",
    source_code: "str",
    hash: "str",
    reference: "str",
    reference_type: "str",
    version_tag: "str",
    is_latest: "bool",
    updated_at: "datetime"
  },
  relations: { created_by: { model: "User", column: "created_by_id" } },
  links: {},
  searchFields: ["key", "description"],
  versioned: true
})

/** A transform record. */
export interface Transform {
  readonly id: number
  readonly uid: string
  readonly key: string | null
  readonly description: string | null
  readonly kind: string
  readonly source_code: string | null
  readonly hash: string | null
  readonly reference: string | null
  readonly reference_type: string | null
  readonly version_tag: string | null
  readonly is_latest: boolean
  readonly created_at: Date
  readonly updated_at: Date
  readonly created_by_id: number | null
  readonly branch: number
}

/** The Transform registry: `Transform.filter({...})`, `Transform.get(uid)`. */
export const Transform = registryAccess(
  TransformModel,
  (row): Transform => row as unknown as Transform,
  UID_LENGTH.transform
)
