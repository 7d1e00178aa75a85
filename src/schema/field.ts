/**
 * Field declarations: a field's logical type, nullability, default and storage hints. The DDL
 * of new tables, the decoded record type, the decoder and the filter-key checks derive from
 * them.
 *
 * @module
 */

/** A field's logical type; decides decoding and which lookups apply. */
export type FieldType = "int" | "float" | "str" | "bool" | "datetime" | "json"

/** One declared field. */
export interface FieldDecl<T extends FieldType = FieldType, N extends boolean = boolean> {
  readonly type: T
  /** May hold NULL. */
  readonly nullable: N
  /** The column default (SQL literal value). */
  readonly default?: string | number | boolean
  /** A unique column. */
  readonly unique?: boolean
  /** Text compared byte-wise (keys, uids, hashes): prefix lookups use a b-tree index. */
  readonly keyed?: boolean
  /** The integer primary key. */
  readonly primary?: boolean
}

const decl = <T extends FieldType>(type: T): FieldDecl<T, false> => ({ type, nullable: false })

/** Field constructors: `f.str`, `f.nullable(f.int)`, `f.withDefault(f.bool, true)`. */
export const f = {
  int: decl("int"),
  float: decl("float"),
  str: decl("str"),
  bool: decl("bool"),
  datetime: decl("datetime"),
  json: decl("json"),
  /** Text compared byte-wise (keys, hashes). */
  key: { type: "str", nullable: false, keyed: true } as FieldDecl<"str", false>,
  /** The integer primary key. */
  id: { type: "int", nullable: false, primary: true } as FieldDecl<"int", false>,
  /** A unique, byte-wise compared uid. */
  uid: { type: "str", nullable: false, keyed: true, unique: true } as FieldDecl<"str", false>,
  /** The same field, nullable. */
  nullable: <T extends FieldType>(field: FieldDecl<T, boolean>): FieldDecl<T, true> => ({ ...field, nullable: true }),
  /** The same field with a column default. */
  withDefault: <T extends FieldType, N extends boolean>(field: FieldDecl<T, N>, value: string | number | boolean): FieldDecl<T, N> => ({
    ...field,
    default: value
  }),
  /** The same field, unique. */
  unique: <T extends FieldType, N extends boolean>(field: FieldDecl<T, N>): FieldDecl<T, N> => ({ ...field, unique: true })
} as const

/** Fields every record has (LaminDB's BaseRecord + branch, lock and aux). */
export const recordFields = {
  id: f.id,
  uid: f.uid,
  created_at: f.datetime,
  created_by_id: f.nullable(f.int),
  branch: f.withDefault(f.int, 1),
  is_locked: f.withDefault(f.bool, false),
  _aux: f.nullable(f.json)
} as const

/** The JS value of a decoded field type. */
export type DecodedOf<T extends FieldType> = T extends "int" | "float"
  ? number
  : T extends "str"
    ? string
    : T extends "bool"
      ? boolean
      : T extends "datetime"
        ? Date
        : unknown

/** The decoded value of a field declaration (with `null` when nullable). */
export type ValueOf<D> = D extends FieldDecl<infer T, infer N> ? DecodedOf<T> | (N extends true ? null : never) : never
