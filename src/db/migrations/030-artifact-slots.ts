/**
 * Migration 30: artifact version slots.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/** Migration 30. */
export const artifactSlots: Migration = {
  id: 30,
  name: "artifact version slots claimed by saves in flight (multi-writer uploads)",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_artifact_slot (
        uid ${t.key} NOT NULL PRIMARY KEY,
        created_at ${t.ts} NOT NULL
      )`
    ]
  }
}
