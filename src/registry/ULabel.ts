/**
 * ULabel registry: universal labels (LaminDB's ULabel) — a name, optionally a type (a ULabel
 * with `is_type: true`, e.g. "Perturbation" with labels "DMSO", "IFNG") and parents.
 *
 * @module
 */
import { Effect } from "effect"
import { registryAccess } from "./access.js"
import { ULabelModel } from "./catalog.js"
import { addParents, checkName, findOrCreateNamed, typeIdOf, type TypeRef } from "./named.js"
import { brandRecord } from "./recordRef.js"
import type { RecordOf, Row } from "./model.js"
import { UID_LENGTH } from "./uid.js"

export { ULabelModel } from "./catalog.js"

/** A ulabel record. */
export type ULabel = RecordOf<typeof ULabelModel>

/** What `ULabel.create` takes. */
export interface ULabelOptions {
  readonly name: string
  /** A ULabel type (`is_type: true`), by record or name. */
  readonly type?: TypeRef
  readonly is_type?: boolean
  readonly description?: string
  readonly reference?: string
  readonly reference_type?: string
}

/** A ulabel decoded from a row, branded as a `ULabel` record. */
export const decodeULabel = (row: Row): ULabel => brandRecord(row as unknown as ULabel, "ULabel")

const access = registryAccess(ULabelModel, decodeULabel, UID_LENGTH.ulabel)

/**
 * The ULabel registry: `ULabel.create({ name, type })` (the existing label when the name and
 * type exist), `ULabel.addParents(label, [parent])`, `filter`, `get`, `search`.
 */
export const ULabel = {
  ...access,
  create: (options: ULabelOptions) =>
    Effect.gen(function* () {
      const name = yield* checkName(ULabelModel, options?.name)
      const typeId = yield* typeIdOf(ULabelModel, options.type)
      const { record } = yield* findOrCreateNamed(ULabelModel, UID_LENGTH.ulabel, name, typeId, {
        is_type: options.is_type ?? false,
        description: options.description ?? null,
        reference: options.reference ?? null,
        reference_type: options.reference_type ?? null
      })
      return decodeULabel(record)
    }),
  /** Make `parents` parents of `label` (a cycle fails with `InvalidArgument`, nothing written). */
  addParents: (label: ULabel, parents: ReadonlyArray<ULabel>) => addParents(ULabelModel, label, parents),
  /** The label's parents. */
  parents: (label: ULabel) => access.filter({ children: label.id }).toArray(),
  /** The label's children. */
  children: (label: ULabel) => access.filter({ parents: label.id }).toArray()
}
