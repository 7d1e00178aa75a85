/**
 * What a Nextflow project or results folder holds: traces, params files, software versions,
 * execution reports, DAGs, logs and history — and everything else, the published files, filtered by
 * include/exclude globs (matched against the path relative to the folder, like nf-lamin's).
 *
 * @module
 */
import { readdirSync } from "node:fs"
import * as path from "node:path"
import { minimatch } from "minimatch"

/** The files of one folder, by role (absolute paths). */
export interface NextflowFiles {
  readonly dir: string
  readonly traces: ReadonlyArray<string>
  readonly params: ReadonlyArray<string>
  readonly versions: ReadonlyArray<string>
  readonly reports: ReadonlyArray<string>
  /** `pipeline_dag_*.{dot,html,mmd}`, `dag.{dot,html,mmd}`. */
  readonly dags: ReadonlyArray<string>
  readonly logs: ReadonlyArray<string>
  readonly history: string | undefined
  readonly published: ReadonlyArray<string>
}

/** Include/exclude globs for published files. */
export interface PublishFilter {
  readonly include?: ReadonlyArray<string> | undefined
  readonly exclude?: ReadonlyArray<string> | undefined
}

const TRACE = /^(execution_)?trace(_.+)?\.txt$/
const PARAMS = /^params_.+\.json$/
const VERSIONS = /^(software_versions\.(yml|yaml|csv)|nf_core_.*software.*versions\.ya?ml)$/
const REPORT = /^execution_report(_.+)?\.html$/
const DAG = /^(pipeline_dag(_.+)?|dag)\.(dot|html|mmd)$/
const LOG = /^\.nextflow\.log(\.\d+)?$/
/** Nextflow's own bookkeeping: never a published result. */
const OWN = /^(pipeline_dag(_.+)?\.(html|dot|mmd|svg|png|pdf)|dag\.(dot|html|mmd|svg)|execution_timeline(_.+)?\.html|timeline(_.+)?\.html|report(_.+)?\.html)$/

const walk = (dir: string, out: Array<string>): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      // The work dir holds every task's scratch files; .git and .nextflow are not results.
      if (entry.name === "work" || entry.name === ".git" || entry.name === ".nextflow" || entry.name === "node_modules" || entry.name === ".lamina") continue
      walk(full, out)
    } else if (entry.isFile() || entry.isSymbolicLink()) out.push(full)
  }
}

/** Sort the files of `dir` by role. */
export const discoverNextflow = (dir: string, filter: PublishFilter = {}): NextflowFiles => {
  const files: Array<string> = []
  walk(dir, files)
  files.sort()
  const traces: Array<string> = []
  const params: Array<string> = []
  const versions: Array<string> = []
  const reports: Array<string> = []
  const dags: Array<string> = []
  const logs: Array<string> = []
  const published: Array<string> = []
  for (const file of files) {
    const name = path.basename(file)
    if (TRACE.test(name)) traces.push(file)
    else if (PARAMS.test(name)) params.push(file)
    else if (VERSIONS.test(name)) versions.push(file)
    else if (REPORT.test(name)) reports.push(file)
    else if (DAG.test(name)) dags.push(file)
    else if (LOG.test(name)) logs.push(file)
    else if (!OWN.test(name) && isPublished(path.relative(dir, file).split(path.sep).join("/"), filter)) published.push(file)
  }
  const history = path.join(dir, ".nextflow", "history")
  let hasHistory = false
  try {
    hasHistory = readdirSync(path.join(dir, ".nextflow")).includes("history")
  } catch {
    hasHistory = false
  }
  return { dir, traces, params, versions, reports, dags, logs, history: hasHistory ? history : undefined, published }
}

/** Whether a relative path passes the include/exclude globs (include defaults to everything). */
export const isPublished = (relative: string, filter: PublishFilter): boolean => {
  const opts = { dot: true, matchBase: false }
  const included = filter.include === undefined || filter.include.length === 0 || filter.include.some((g) => minimatch(relative, g, opts))
  return included && !(filter.exclude ?? []).some((g) => minimatch(relative, g, opts))
}
