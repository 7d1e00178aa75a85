/**
 * Registry models as the rest of the code base imports them: the compiled model type and the
 * row codecs, derived from each registry's declaration (`./declarations/`, `../schema/`).
 *
 * @module
 */
export { decodeRow, decodeValue, encodeRow, encodeValue, type RecordOf, type Row } from "../schema/codec.js"
export type { FieldType } from "../schema/field.js"
export type { LinkRelation, Model, Relation, ReverseRelation } from "../schema/model.js"
