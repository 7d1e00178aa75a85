/**
 * Migration 120: collections — ordered, versioned sets of artifacts — their members (with
 * `position`), the runs that read them, their projects and references.
 *
 * @module
 */
import { columnTypes, linkTable } from "../ddl.js"
import { recordFields, type Migration } from "./migration.js"

/** Migration 120: collections. */
export const collections: Migration = {
  id: 120,
  name: "collections: ordered artifact sets, run inputs, projects, references",
  statements: (d) => {
    const t = columnTypes(d)
    const link = (table: string, self: string, other: string, otherTable: string, extra: ReadonlyArray<string> = []) =>
      linkTable(d, { table, self: [self, "lamina_collection"], other: [other, otherTable], extra })
    return [
      `CREATE TABLE lamina_collection (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        key ${t.key},
        description ${t.text},
        hash ${t.key},
        reference ${t.text},
        reference_type ${t.text},
        run_id ${t.int} REFERENCES lamina_run(id),
        version_tag ${t.text},
        is_latest ${t.bool} NOT NULL DEFAULT TRUE,
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
      `CREATE INDEX lamina_collection_key ON lamina_collection (key)`,
      `CREATE INDEX lamina_collection_hash ON lamina_collection (hash)`,
      ...link("lamina_collection_artifact", "collection_id", "artifact_id", "lamina_artifact", [`position ${t.int} NOT NULL`]),
      ...link("lamina_run_input_collection", "collection_id", "run_id", "lamina_run"),
      ...link("lamina_collection_project", "collection_id", "project_id", "lamina_project"),
      ...link("lamina_collection_reference", "collection_id", "reference_id", "lamina_reference")
    ]
  }
}
