/**
 * Record references: how a registry record (an artifact, a run, a transform) appears in params
 * and persisted step results. Plain-object records (runs, transforms) carry a hidden brand so
 * the canonical encoder can tell a record from an ordinary object.
 *
 * @module
 */

/** Hidden, non-enumerable brand holding a record's registry name. */
export const RecordModel: unique symbol = Symbol.for("lamina/RecordModel")

/** A branded registry record. */
export interface BrandedRecord {
  readonly [RecordModel]: string
  readonly uid: string
}

/** Brand a decoded row as a record of `model` (non-enumerable: JSON and equality ignore it). */
export const brandRecord = <A extends object>(row: A, model: string): A => {
  Object.defineProperty(row, RecordModel, { value: model, enumerable: false })
  return row
}

/** The registry name of a branded record, if `value` is one. */
export const recordModelOf = (value: object): string | undefined => {
  const model = (value as Partial<BrandedRecord>)[RecordModel]
  return typeof model === "string" ? model : undefined
}

/** LaminDB's param form of a record: `Artifact[<uid>]`. */
export const recordParam = (model: string, uid: string): string => `${model}[${uid}]`
