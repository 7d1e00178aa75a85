/**
 * Run registry: one execution of a transform, with its params, status and timing.
 *
 * @module
 */
import { registryAccess } from "./access.js"
import { UID_LENGTH } from "./uid.js"
import { defineModel, recordFieldTypes } from "./model.js"

/** The run model. */
export const RunModel = defineModel({
  name: "Run",
  table: "lamina_run",
  fields: {
    ...recordFieldTypes,
    name: "str",
    description: "str",
    transform_id: "int",
    entrypoint: "str",
    started_at: "datetime",
    finished_at: "datetime",
    report_id: "int",
    environment_id: "int",
    params: "json",
    plan: "json",
    extra_data: "json",
    reference: "str",
    reference_type: "str",
    cli_args: "str",
    initiated_by_run_id: "int",
    _status_code: "int"
  },
  relations: {
    transform: { model: "Transform", column: "transform_id" },
    created_by: { model: "User", column: "created_by_id" },
    initiated_by_run: { model: "Run", column: "initiated_by_run_id" },
    report: { model: "Artifact", column: "report_id" },
    environment: { model: "Artifact", column: "environment_id" }
  },
  links: {
    input_artifacts: { model: "Artifact", table: "lamina_run_input_artifact", selfColumn: "run_id", otherColumn: "artifact_id" }
  },
  searchFields: ["name", "description", "entrypoint"],
  versioned: false
})

/** LaminDB's run status codes. */
export const RunStatus = {
  scheduled: -3,
  restarted: -2,
  started: -1,
  completed: 0,
  errored: 1,
  aborted: 2
} as const

/** A run status name. */
export type RunStatusName = keyof typeof RunStatus

/** The status name of a code. */
export const statusName = (code: number): string =>
  (Object.entries(RunStatus).find(([, c]) => c === code)?.[0] as string | undefined) ?? `unknown(${code})`

/** A run record. */
export interface Run {
  readonly id: number
  readonly uid: string
  readonly name: string | null
  readonly description: string | null
  readonly transform_id: number
  readonly entrypoint: string | null
  readonly started_at: Date | null
  readonly finished_at: Date | null
  readonly report_id: number | null
  readonly environment_id: number | null
  readonly params: unknown
  readonly plan: unknown
  readonly extra_data: unknown
  readonly reference: string | null
  readonly reference_type: string | null
  readonly cli_args: string | null
  readonly initiated_by_run_id: number | null
  readonly _status_code: number
  readonly created_at: Date
  readonly created_by_id: number | null
  readonly branch: number
}

/** The Run registry: `Run.filter({...})`, `Run.get(uid)`. */
export const Run = registryAccess(
  RunModel,
  (row): Run => row as unknown as Run,
  UID_LENGTH.run
)
