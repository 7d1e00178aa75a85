/**
 * The Run registry's declaration.
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"
import { featureResolver, featureValuesExpansion } from "../feature/resolver.js"

/** Where runs keep feature values: the `_features` JSON and the label links. */
export const RunFeatures = { field: "_features", labelLinks: { ULabel: "ulabels", Record: "records" } } as const

/**
 * Run status codes: LaminDB's six, plus `cached` (3) — Lamina's own, for a run that did not
 * execute because an earlier run with the same cache key (`reused_run_id`) already computed
 * its outputs. 3 is the next free code after LaminDB's `aborted` (2), so no LaminDB code
 * changes meaning.
 */
export const RunStatus = {
  scheduled: -3,
  restarted: -2,
  started: -1,
  completed: 0,
  errored: 1,
  aborted: 2,
  cached: 3
} as const

/** One execution of a transform (uid of 16). */
export const RunDecl = defineRegistry({
  name: "Run",
  table: "lamina_run",
  uidLength: 16,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.nullable(f.str),
    description: f.nullable(f.str),
    transform_id: f.int,
    entrypoint: f.nullable(f.str),
    started_at: f.nullable(f.datetime),
    finished_at: f.nullable(f.datetime),
    report_id: f.nullable(f.int),
    environment_id: f.nullable(f.int),
    params: f.nullable(f.json),
    plan: f.nullable(f.json),
    extra_data: f.nullable(f.json),
    reference: f.nullable(f.str),
    reference_type: f.nullable(f.str),
    cli_args: f.nullable(f.str),
    initiated_by_run_id: f.nullable(f.int),
    _status_code: f.withDefault(f.int, -3),
    cache_key: f.nullable(f.key),
    reused_run_id: f.nullable(f.int),
    _result: f.nullable(f.json),
    _cache_parts: f.nullable(f.json),
    error: f.nullable(f.json),
    logs: f.nullable(f.str),
    /** Process holding an open run's lease (`host:pid`); null once the run ended. */
    _lease_owner: f.nullable(f.str),
    /** When an open run's lease runs out unless renewed; null once the run ended. */
    _lease_expires_at: f.nullable(f.datetime),
    /** Non-categorical feature values by feature uid (see `src/registry/annotate/`). */
    _features: f.nullable(f.json),
    /** The cluster runner (`host:port`) that executed the run, for runs dispatched by `cluster` (lamina/cluster). */
    runner: f.nullable(f.str),
    /** The host name of the machine whose runner executed the run. */
    host: f.nullable(f.str)
  },
  relations: {
    transform: fk("Transform", "transform_id", "runs"),
    created_by: fk("User", "created_by_id", "created_runs"),
    initiated_by_run: fk("Run", "initiated_by_run_id", "initiated_runs"),
    reused_run: fk("Run", "reused_run_id"),
    report: fk("Artifact", "report_id"),
    environment: fk("Artifact", "environment_id")
  },
  links: {
    input_artifacts: m2m("Artifact", { table: "lamina_run_input_artifact", selfColumn: "run_id", otherColumn: "artifact_id" }, "input_of_runs"),
    output_artifacts_returned: m2m("Artifact", { table: "lamina_run_output_artifact", selfColumn: "run_id", otherColumn: "artifact_id" }),
    /** Existing artifacts whose bytes the run saved again (LaminDB: `Artifact.recreating_runs`). */
    recreated_artifacts: m2m("Artifact", { table: "lamina_artifact_recreating_run", selfColumn: "run_id", otherColumn: "artifact_id" }, "recreating_runs"),
    /** Labels; `feature_id` on the link says which feature a label is the value of. */
    ulabels: m2m("ULabel", { table: "lamina_run_ulabel", selfColumn: "run_id", otherColumn: "ulabel_id" }, "runs"),
    records: m2m("Record", { table: "lamina_run_record", selfColumn: "run_id", otherColumn: "record_id" }, "runs")
  },
  /** `Run.filter({ status: "completed" })` (LaminDB maps status names to `_status_code`). */
  enums: { status: { field: "_status_code", values: RunStatus } },
  /** Params are indexed by a side table (migration 10), one row per JSON node. */
  jsonIndexes: {
    params: { table: "lamina_run_param", owner: "run_id" },
    _features: { table: "lamina_run_feature_value", owner: "run_id" }
  },
  /** A filter key that is not a field is a feature name (LaminDB). */
  resolvers: [featureResolver(RunFeatures)],
  expansions: { features: featureValuesExpansion(RunFeatures) },
  searchFields: ["name", "description", "entrypoint"]
})
