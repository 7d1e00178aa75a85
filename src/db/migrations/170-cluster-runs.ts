/**
 * Migration 170: runs executed on a cluster runner.
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import type { Migration } from "./migration.js"

/**
 * Which runner (`host:port` of its cluster address) and host executed a run, for runs a flow
 * dispatched to `lamina worker` processes; and one row per dispatched call, naming its current
 * attempt, so a runner that receives a call again after the previous runner was lost ends that
 * attempt `aborted` and counts attempts against the caller's limit.
 *
 * The cluster's own tables (`lamina_cluster_runners`, `_messages`, `_replies`, …) are created
 * by @effect/cluster when the first runner or caller connects, not here.
 */
export const clusterRuns: Migration = {
  id: 170,
  name: "cluster runs: the runner and host of a run, dispatched calls and their attempts",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `ALTER TABLE lamina_run ADD COLUMN runner ${t.text}`,
      `ALTER TABLE lamina_run ADD COLUMN host ${t.text}`,
      `CREATE TABLE lamina_cluster_dispatch (
        id ${t.key} PRIMARY KEY,
        run_id ${t.int} NOT NULL,
        attempts ${t.int} NOT NULL,
        runner ${t.text} NOT NULL,
        updated_at ${t.ts} NOT NULL
      )`
    ]
  }
}
