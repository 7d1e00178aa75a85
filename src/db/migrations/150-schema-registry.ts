/**
 * Migration 150: the Schema registry, its ordered feature members, composite slots and the
 * artifact ↔ schema links (with the slot each schema validated).
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
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
    `CREATE TABLE lamina_schema_feature (
        id ${t.id},
        schema_id ${t.int} NOT NULL REFERENCES lamina_schema(id) ON DELETE CASCADE,
        feature_id ${t.int} NOT NULL REFERENCES lamina_feature(id) ON DELETE CASCADE,
        position ${t.int} NOT NULL,
        optional ${t.bool} NOT NULL DEFAULT FALSE,
        UNIQUE (schema_id, feature_id)
      )`,
    `CREATE INDEX lamina_schema_feature_feature ON lamina_schema_feature (feature_id)`,
    `CREATE TABLE lamina_schema_component (
        id ${t.id},
        composite_id ${t.int} NOT NULL REFERENCES lamina_schema(id) ON DELETE CASCADE,
        component_id ${t.int} NOT NULL REFERENCES lamina_schema(id) ON DELETE CASCADE,
        slot ${t.text} NOT NULL,
        UNIQUE (composite_id, slot)
      )`,
    `CREATE INDEX lamina_schema_component_component ON lamina_schema_component (component_id)`,
    `CREATE TABLE lamina_artifact_schema (
        id ${t.id},
        artifact_id ${t.int} NOT NULL REFERENCES lamina_artifact(id) ON DELETE CASCADE,
        schema_id ${t.int} NOT NULL REFERENCES lamina_schema(id) ON DELETE CASCADE,
        slot ${t.text} NOT NULL,
        UNIQUE (artifact_id, slot)
      )`,
    `CREATE INDEX lamina_artifact_schema_schema ON lamina_artifact_schema (schema_id)`
  ]
}

/** Migration 150: schemas. */
export const schemaRegistry: Migration = {
  id: 150,
  name: "schema registry: schemas, ordered members, composite slots, artifact schemas",
  statements
}
