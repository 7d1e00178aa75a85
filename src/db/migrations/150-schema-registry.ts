/**
 * Migration 150: the Schema registry, its ordered feature members, composite slots and the
 * artifact ↔ schema links (with the slot each schema validated).
 *
 * @module
 */
import { columnTypes, linkTable } from "../ddl.js"
import type { Dialect } from "../dialect.js"
import { recordFields, type Migration } from "./migration.js"

const statements = (d: Dialect): ReadonlyArray<string> => {
  const t = columnTypes(d)
  return [
    `CREATE TABLE lamina_schema (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text},
        description ${t.text},
        itype ${t.text},
        otype ${t.text},
        dtype ${t.text},
        n_members ${t.int},
        minimal_set ${t.bool} NOT NULL DEFAULT TRUE,
        maximal_set ${t.bool} NOT NULL DEFAULT FALSE,
        ordered_set ${t.bool} NOT NULL DEFAULT FALSE,
        flexible ${t.bool} NOT NULL DEFAULT FALSE,
        coerce ${t.bool} NOT NULL DEFAULT FALSE,
        index_feature_id ${t.int} REFERENCES lamina_feature(id),
        hash ${t.key} NOT NULL,
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
    `CREATE INDEX lamina_schema_hash ON lamina_schema (hash)`,
    `CREATE INDEX lamina_schema_name ON lamina_schema (name)`,
    ...linkTable(d, {
      table: "lamina_schema_feature",
      self: ["schema_id", "lamina_schema"],
      other: ["feature_id", "lamina_feature"],
      extra: [`position ${t.int} NOT NULL`, `optional ${t.bool} NOT NULL DEFAULT FALSE`],
      indexes: [["feature", ["feature_id"]]]
    }),
    ...linkTable(d, {
      table: "lamina_schema_component",
      self: ["composite_id", "lamina_schema"],
      other: ["component_id", "lamina_schema"],
      extra: [`slot ${t.text} NOT NULL`],
      unique: ["composite_id", "slot"],
      indexes: [["component", ["component_id"]]]
    }),
    ...linkTable(d, {
      table: "lamina_artifact_schema",
      self: ["artifact_id", "lamina_artifact"],
      other: ["schema_id", "lamina_schema"],
      extra: [`slot ${t.text} NOT NULL`],
      unique: ["artifact_id", "slot"],
      indexes: [["schema", ["schema_id"]]]
    })
  ]
}

/** Migration 150: schemas. */
export const schemaRegistry: Migration = {
  id: 150,
  name: "schema registry: schemas, ordered members, composite slots, artifact schemas",
  statements
}
