/**
 * Software versions an nf-core pipeline dumps: `software_versions.yml` /
 * `nf_core_pipeline_software_mqc_versions.yml` (YAML: process → tool → version, plus a
 * `Workflow:` block naming Nextflow and the pipeline) or the DSL1-era tab-separated
 * `software_versions.csv`. Stored as the run's environment artifact; the `Workflow` block also
 * names the pipeline and its version when no log does.
 *
 * @module
 */
import { parse as parseYaml } from "yaml"
import { ValidationError } from "../../errors.js"

/** Parsed software versions. */
export interface SoftwareVersions {
  readonly file: string
  /** process (or `Workflow`) → tool → version, as text. */
  readonly tools: Readonly<Record<string, Readonly<Record<string, string>>>>
  /** `nf-core/ampliseq` and `v2.16.1-g7cf7ed2`, from the Workflow block. */
  readonly pipeline: { readonly name: string; readonly version: string } | undefined
  readonly nextflowVersion: string | undefined
}

const asText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v))

/** Parse a software versions file by its name (`.yml`/`.yaml` or the tab-separated `.csv`). */
export const parseSoftwareVersions = (file: string, text: string): SoftwareVersions | ValidationError => {
  const tools: Record<string, Record<string, string>> = {}
  if (/\.csv$|\.tsv$/.test(file)) {
    const flat: Record<string, string> = {}
    for (const line of text.split("\n")) {
      const [k, ...v] = line.replace(/\r$/, "").split("\t")
      if (k !== undefined && k !== "" && v.length > 0) flat[k] = v.join("\t")
    }
    tools.Workflow = flat
    const nextflowVersion = flat.nextflow
    const pipelineKey = Object.keys(flat).find((k) => k.includes("/"))
    return { file, tools, pipeline: pipelineKey === undefined ? undefined : { name: pipelineKey, version: flat[pipelineKey]! }, nextflowVersion }
  }
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    return new ValidationError({ message: `${file}: not valid YAML (${e instanceof Error ? e.message : String(e)}).` })
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    return new ValidationError({ message: `${file}: expected a mapping of process → tool → version.` })
  for (const [proc, entries] of Object.entries(doc as Record<string, unknown>)) {
    if (entries === null || typeof entries !== "object") continue
    tools[proc] = Object.fromEntries(Object.entries(entries as Record<string, unknown>).map(([k, v]) => [k, asText(v)]))
  }
  const wf = tools.Workflow ?? {}
  const pipelineKey = Object.keys(wf).find((k) => k !== "Nextflow")
  return {
    file,
    tools,
    pipeline: pipelineKey === undefined ? undefined : { name: pipelineKey, version: wf[pipelineKey]! },
    nextflowVersion: wf.Nextflow
  }
}
