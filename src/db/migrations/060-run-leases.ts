/**
 * Migration 60: run leases.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/**
 * A started run holds a lease that its process renews (the Tracker's heartbeat). A run whose
 * lease expired, or whose owner process on this host is gone, is ended `aborted` by the next
 * process that looks (`reapExpiredRuns`). The lease is cleared when the run ends, so the partial
 * index holds only open runs.
 */
export const runLeases: Migration = {
  id: 60,
  name: "run leases: open runs renew a lease; expired ones are reaped as aborted",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `ALTER TABLE lamina_run ADD COLUMN _lease_owner ${t.text}`,
      `ALTER TABLE lamina_run ADD COLUMN _lease_expires_at ${t.ts}`,
      `CREATE INDEX lamina_run_lease ON lamina_run (_lease_expires_at) WHERE _lease_expires_at IS NOT NULL`
    ]
  }
}
