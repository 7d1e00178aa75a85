/**
 * The dump format: a folder with `manifest.json`, one JSON-lines file per table under
 * `tables/`, and the stored objects under `objects/` at their storage keys (left out with
 * `--no-data`: then the manifest lists where they were). Values in the JSON lines are plain
 * JSON: timestamps as ISO 8601 text, booleans as `true`/`false`, JSON columns as JSON.
 *
 * @module
 */
import { Schema } from "effect"

/** The format tag and version this code writes and reads. */
export const DUMP_FORMAT = "lamina-dump"
export const DUMP_VERSION = 1

const FieldTypeSchema = Schema.Literal("int", "float", "str", "bool", "datetime", "json")

/** One table in the manifest. */
export const DumpTableSchema = Schema.Struct({
  table: Schema.String,
  registry: Schema.optional(Schema.String),
  file: Schema.String,
  rows: Schema.Number,
  columns: Schema.Record({ key: Schema.String, value: FieldTypeSchema }),
  nullable: Schema.Array(Schema.String),
  hasId: Schema.Boolean,
  keys: Schema.Array(Schema.Array(Schema.String)),
  references: Schema.Array(Schema.Struct({ column: Schema.String, table: Schema.String }))
})

/** `manifest.json`. */
export const ManifestSchema = Schema.Struct({
  format: Schema.Literal(DUMP_FORMAT),
  version: Schema.Literal(DUMP_VERSION),
  createdAt: Schema.String,
  source: Schema.Struct({
    dialect: Schema.Literal("sqlite", "pg"),
    /** The instance's storage: its artifacts' objects are in the dump (or referenced). */
    storage: Schema.Struct({ id: Schema.Number, uid: Schema.String, root: Schema.String, type: Schema.String })
  }),
  /** Whether `objects/` holds the stored objects. */
  data: Schema.Boolean,
  objects: Schema.Struct({ count: Schema.Number, bytes: Schema.Number }),
  tables: Schema.Array(DumpTableSchema)
})

/** A decoded manifest. */
export type Manifest = typeof ManifestSchema.Type

/** A table as the manifest describes it. */
export type ManifestTable = typeof DumpTableSchema.Type

/** Where the objects of the dump's artifacts are, relative to the dump folder. */
export const OBJECTS_DIR = "objects"
/** Where the tables are. */
export const TABLES_DIR = "tables"
export const MANIFEST_FILE = "manifest.json"
