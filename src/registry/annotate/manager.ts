/**
 * The annotation accessors of one saved record, as LaminDB's managers: `features`
 * (`add`/`get`/`remove`), `labels` (`add`/`get`/`remove`), `projects` and `references`
 * (`add`/`get`). Artifacts expose them as properties (`artifact.features.add({...})`); runs and
 * records through `Run.annotations(run)`, `Record.annotations(record)`.
 *
 * @module
 */
import { describeAnnotations } from "./describe.js"
import type { Annotated, FeatureValues } from "./features.js"
import { addFeatureValues, getFeatureValues, removeFeatureValue } from "./features.js"
import { addLabels, addLinked, getLabels, linkedRecords, removeLinked, type SavedRecord } from "./links.js"

/** `record.features`. */
export const featureManager = (owner: Annotated, id: number) => ({
  /** Add values (LaminDB's `add_values`): checked against each feature's dtype, written in one transaction. */
  add: (values: FeatureValues) => addFeatureValues(owner, id, values),
  /** Feature name → value; categorical values as label names. */
  get: () => getFeatureValues(owner, id),
  /** Remove the values of the feature named `name`. */
  remove: (name: string) => removeFeatureValue(owner, id, name)
})

/** `record.labels`. */
export const labelManager = (owner: Annotated, id: number) => ({
  /** Link ULabel or Record records; with `{ feature }`, as values of that categorical feature. */
  add: (labels: SavedRecord | ReadonlyArray<SavedRecord>, options?: { readonly feature?: string }) => addLabels(owner, id, labels, options),
  /** Linked labels by registry: `{ ULabel: [...], Record: [...] }`. */
  get: () => getLabels(owner, id),
  /** Unlink ULabel records. */
  remove: (labels: SavedRecord | ReadonlyArray<SavedRecord>) => removeLinked(owner.model, owner.labelLinks.ULabel, id, labels)
})

/** A many-to-many link of a record (`projects`, `references`). */
export const linkManager = (owner: Annotated, linkName: string, id: number) => ({
  /** Link saved records of the link's registry (idempotent). */
  add: (records: SavedRecord | ReadonlyArray<SavedRecord>) => addLinked(owner.model, linkName, id, records),
  /** The linked records. */
  get: () => linkedRecords(owner.model, linkName, id),
  /** Unlink records. */
  remove: (records: SavedRecord | ReadonlyArray<SavedRecord>) => removeLinked(owner.model, linkName, id, records)
})

/** Every accessor of record `id` of `owner`. */
export const annotationsOf = (owner: Annotated, id: number) => ({
  /** The "Linked features" and "Labels" sections of `describe`. */
  describe: () => describeAnnotations(owner, id),
  features: featureManager(owner, id),
  labels: labelManager(owner, id),
  projects: linkManager(owner, "projects", id),
  references: linkManager(owner, "references", id)
})
