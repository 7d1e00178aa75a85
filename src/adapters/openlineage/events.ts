/**
 * Lamina runs as OpenLineage 2-0-2 RunEvents: a START and, once the run ended, a COMPLETE, FAIL
 * or ABORT. Job namespace `lamina`, job name the transform's key; datasets are artifacts, their
 * namespace the storage root (`file:///…`, `s3://…`), their name the key (or the storage key of
 * an unkeyed artifact). Facets: parent run, source code location (a transform with a URL
 * reference), error message and the run's params.
 *
 * @module
 */
import { RunStatus } from "../../registry/Run.js"
import { runIdOf } from "./runId.js"

/** Identifies Lamina as the producer of events and facets. */
export const PRODUCER = "https://www.npmjs.com/package/lamina"
const SPEC = "https://openlineage.io/spec"
export const EVENT_SCHEMA_URL = `${SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent`

/** The job namespace of every Lamina transform. */
export const JOB_NAMESPACE = "lamina"

/** What an event needs to know about a run. */
export interface RunFacts {
  readonly uid: string
  readonly name: string | null
  readonly status: number
  readonly createdAt: Date
  readonly startedAt: Date | null
  readonly finishedAt: Date | null
  readonly params: unknown
  readonly error: unknown
  readonly referenceType: string | null
  readonly transform: { readonly uid: string; readonly key: string | null; readonly reference: string | null; readonly referenceType: string | null; readonly versionTag: string | null }
  readonly parent: { readonly uid: string; readonly jobName: string } | undefined
  readonly inputs: ReadonlyArray<DatasetRef>
  readonly outputs: ReadonlyArray<DatasetRef>
}

/** A dataset: namespace and name. */
export interface DatasetRef {
  readonly namespace: string
  readonly name: string
}

/** An OpenLineage RunEvent (the fields Lamina writes). */
export interface RunEvent {
  readonly eventType: "START" | "COMPLETE" | "FAIL" | "ABORT"
  readonly eventTime: string
  readonly producer: string
  readonly schemaURL: string
  readonly run: { readonly runId: string; readonly facets: Readonly<Record<string, unknown>> }
  readonly job: { readonly namespace: string; readonly name: string; readonly facets: Readonly<Record<string, unknown>> }
  readonly inputs: ReadonlyArray<DatasetRef>
  readonly outputs: ReadonlyArray<DatasetRef>
}

/** The dataset namespace of a storage root. */
export const storageNamespace = (root: string): string => (root.includes("://") ? root.replace(/\/+$/, "") : `file://${root.startsWith("/") ? "" : "/"}${root.replace(/\\/g, "/").replace(/\/+$/, "")}`)

/** The job name of a transform. */
export const jobName = (t: { readonly key: string | null; readonly uid: string }): string => t.key ?? t.uid

const facet = (schema: string) => ({ _producer: PRODUCER, _schemaURL: schema })

const errorMessage = (error: unknown): string | undefined => {
  if (error === null || error === undefined) return undefined
  if (typeof error === "object" && "message" in error && typeof (error as { message: unknown }).message === "string") return (error as { message: string }).message
  return typeof error === "string" ? error : JSON.stringify(error)
}

const LANGUAGE: Readonly<Record<string, string>> = { nextflow_task: "Nextflow", nextflow_trace: "Nextflow", snakemake_job: "Snakemake", snakemake_run: "Snakemake" }

const isUrl = (s: string | null): s is string => s !== null && /^https?:\/\/[^\s]+$/.test(s)

/** The START and end events of a run (only START while it is still running). */
export const runEvents = (run: RunFacts): ReadonlyArray<RunEvent> => {
  const runId = runIdOf(run.uid)
  const job = {
    namespace: JOB_NAMESPACE,
    name: jobName(run.transform),
    facets: isUrl(run.transform.reference)
      ? {
          sourceCodeLocation: {
            ...facet(`${SPEC}/1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet`),
            type: "git",
            url: run.transform.reference,
            repoUrl: run.transform.reference,
            ...(run.transform.versionTag === null ? {} : { version: run.transform.versionTag })
          }
        }
      : {}
  }
  const params = run.params !== null && typeof run.params === "object" && !Array.isArray(run.params) ? (run.params as Record<string, unknown>) : undefined
  const baseFacets: Record<string, unknown> = {}
  if (run.parent !== undefined)
    baseFacets.parent = {
      ...facet(`${SPEC}/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet`),
      run: { runId: runIdOf(run.parent.uid) },
      job: { namespace: JOB_NAMESPACE, name: run.parent.jobName }
    }
  if (params !== undefined && Object.keys(params).length > 0)
    baseFacets.jobRunParameters = {
      ...facet(`${SPEC}/facets/1-0-0/JobRunParametersFacet.json#/$defs/JobRunParametersFacet`),
      parameters: Object.entries(params).map(([key, value]) => ({ key, value: value === undefined ? null : value }))
    }
  const start: RunEvent = {
    eventType: "START",
    eventTime: (run.startedAt ?? run.createdAt).toISOString(),
    producer: PRODUCER,
    schemaURL: EVENT_SCHEMA_URL,
    run: { runId, facets: baseFacets },
    job,
    inputs: run.inputs,
    outputs: []
  }
  const endType =
    run.status === RunStatus.completed || run.status === RunStatus.cached
      ? "COMPLETE"
      : run.status === RunStatus.errored
        ? "FAIL"
        : run.status === RunStatus.aborted
          ? "ABORT"
          : undefined
  if (endType === undefined) return [start]
  const message = errorMessage(run.error)
  const endFacets =
    message === undefined || endType === "COMPLETE"
      ? baseFacets
      : {
          ...baseFacets,
          errorMessage: {
            ...facet(`${SPEC}/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet`),
            message,
            programmingLanguage: LANGUAGE[run.referenceType ?? ""] ?? "TypeScript"
          }
        }
  return [
    start,
    {
      ...start,
      eventType: endType,
      eventTime: (run.finishedAt ?? run.startedAt ?? run.createdAt).toISOString(),
      run: { runId, facets: endFacets },
      outputs: run.outputs
    }
  ]
}
