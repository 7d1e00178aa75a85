/**
 * Migration 90: transform predecessors — which transforms feed which (LaminDB's
 * `Transform.predecessors`), as a workflow's DAG says it: a Nextflow process and the upstream
 * processes whose channels reach it.
 *
 * @module
 */
import { linkTable } from "../ddl.js"
import type { Migration } from "./migration.js"

/** Migration 90: `lamina_transform_predecessor (transform_id, predecessor_id)`. */
export const transformPredecessors: Migration = {
  id: 90,
  name: "transform predecessors (a workflow DAG's process edges)",
  statements: (d) => linkTable(d, { table: "lamina_transform_predecessor", self: ["transform_id", "lamina_transform"], other: ["predecessor_id", "lamina_transform"] })
}
