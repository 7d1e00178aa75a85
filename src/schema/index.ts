/**
 * Registry declarations and what derives from them: compiled models, the catalog, row codecs,
 * DDL for new tables, key resolvers.
 *
 * @module
 */
export { buildCatalog, type Catalog, type Compiled } from "./catalog.js"
export { decodeRow, decodeValue, encodeRow, encodeValue, type RecordOf, type Row } from "./codec.js"
export { createTableStatements } from "./ddl.js"
export { defineRegistry, fk, m2m, type ForeignKeyDecl, type LinkDecl, type RegistryDecl } from "./declare.js"
export { f, recordFields, type DecodedOf, type FieldDecl, type FieldType, type ValueOf } from "./field.js"
export type { ComputedField, EnumKey, ExpandedColumn, HiddenRecords, JsonIndex, LinkRelation, Model, Relation, ReverseRelation, TableExpansion } from "./model.js"
export { rawCondition, rewrite, type KeyResolution, type KeyResolver, type KeyResolverInput } from "./resolver.js"
