/**
 * Registry models: the one declarative description of each registry's table, fields and
 * relations. Row decoding, inserts and the query compiler all read it, so a field is declared
 * once.
 *
 * @module
 */

/** A field's logical type; decides decoding and which lookups apply. */
export type FieldType = "int" | "float" | "str" | "bool" | "datetime" | "json"

/** A foreign key to another registry (`run` → `lamina_run` via `run_id`). */
export interface Relation {
  /** The related model's name, e.g. "Run". */
  readonly model: string
  /** The column on this table holding the related id. */
  readonly column: string
}

/** A many-to-many or reverse relation through a link table. */
export interface LinkRelation {
  readonly model: string
  readonly table: string
  /** Link column pointing at this model's id. */
  readonly selfColumn: string
  /** Link column pointing at the related model's id. */
  readonly otherColumn: string
}

/**
 * A registry model. The type parameters keep the literal field, relation and link names so that
 * filter keys can be checked at compile time (see `src/query/types.ts`).
 */
export interface Model<
  Fields extends Readonly<Record<string, FieldType>> = Readonly<Record<string, FieldType>>,
  Relations extends Readonly<Record<string, Relation>> = Readonly<Record<string, Relation>>,
  Links extends Readonly<Record<string, LinkRelation>> = Readonly<Record<string, LinkRelation>>,
  Name extends string = string
> {
  /** Registry name as users write it: "Artifact", "Run", … */
  readonly name: Name
  readonly table: string
  readonly fields: Fields
  /** Forward relations by name (`run`, `storage`, `created_by`). */
  readonly relations: Relations
  /** Many-to-many and reverse relations by name (`input_artifacts`, `input_of_runs`). */
  readonly links: Links
  /** Text fields `search()` looks at, most important first. */
  readonly searchFields: ReadonlyArray<string>
  /** True for registries with version families (uid stem + suffix, is_latest). */
  readonly versioned: boolean
}

/** Every model by name, filled in by the registry modules as they load. */
export const models = new Map<string, Model>()

/** Declare a model and register it by name. */
export const defineModel = <
  const F extends Readonly<Record<string, FieldType>>,
  const R extends Readonly<Record<string, Relation>>,
  const L extends Readonly<Record<string, LinkRelation>>,
  const N extends string
>(
  model: Model<F, R, L, N>
): Model<F, R, L, N> => {
  models.set(model.name, model)
  return model
}

/** Fields every record has. */
export const recordFieldTypes = {
  id: "int",
  uid: "str",
  created_at: "datetime",
  created_by_id: "int",
  branch: "int",
  is_locked: "bool",
  _aux: "json"
} as const satisfies Record<string, FieldType>

/** A decoded row: field name → value. */
export type Row = Record<string, unknown>

/** Decode one raw value (SQLite or Postgres) of a field type. */
export const decodeValue = (type: FieldType, v: unknown): unknown => {
  if (v === null || v === undefined) return null
  switch (type) {
    case "bool":
      return v === true || v === 1 || v === "1" || v === "t"
    case "datetime":
      return v instanceof Date ? v : new Date(String(v))
    case "json":
      return typeof v === "string" ? JSON.parse(v) : v
    case "int":
    case "float":
      return typeof v === "number" ? v : Number(v)
    case "str":
      return String(v)
  }
}

/** Decode a raw row (SQLite or Postgres) into JS values per the model's field types. */
export const decodeRow = (model: Model, raw: Record<string, unknown>): Row => {
  const out: Row = {}
  for (const [name, type] of Object.entries(model.fields)) out[name] = decodeValue(type, raw[name])
  return out
}

/** Encode a JS value for a bound parameter: booleans as 0/1, dates as ISO, JSON as text. */
export const encodeValue = (type: FieldType, v: unknown): string | number | null => {
  if (v === null || v === undefined) return null
  switch (type) {
    case "bool":
      return v ? 1 : 0
    case "datetime":
      return v instanceof Date ? v.toISOString() : String(v)
    case "json":
      return JSON.stringify(v)
    case "int":
    case "float":
      return Number(v)
    case "str":
      return String(v)
  }
}
