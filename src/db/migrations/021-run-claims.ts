/**
 * Migration 21: single-flight claims.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/** Migration 21. */
export const runClaims: Migration = {
  id: 21,
  name: "run claims: one computing run per cache key across processes",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_run_claim (
        cache_key ${t.key} PRIMARY KEY,
        run_id ${t.int} NOT NULL,
        owner ${t.text} NOT NULL,
        claimed_at ${t.ts} NOT NULL,
        heartbeat_at ${t.ts} NOT NULL
      )`
    ]
  }
}
