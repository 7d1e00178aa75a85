/**
 * The OpenLineage export, validated event by event with ajv (JSON Schema 2020-12) against
 * OpenLineage's published 2-0-2 schema and the facet schemas (vendored in ./spec, see SOURCE.md).
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Ajv2020 } from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { Adapters } from "../../../src/adapters/index.js"
import type { RunEvent } from "../../../src/adapters/openlineage/events.js"
import { runIdOf } from "../../../src/adapters/openlineage/runId.js"
import { Run, RunStatus } from "../../../src/index.js"
import { describeBackends } from "../../support/backends.js"
import { FIXTURES } from "../fixtures.js"

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020
const spec = path.join(path.dirname(fileURLToPath(import.meta.url)), "spec")
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(spec, name), "utf8")) as Record<string, unknown>

// strictRequired/strictTypes off: the published schema itself uses `not: { required: [...] }` over properties defined in a sibling allOf branch.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false })
addFormats(ajv)
ajv.addKeyword("example")
const core = load("OpenLineage.json")
ajv.addSchema(core)
// The facet schemas name the core by the version they were written against (see SOURCE.md).
for (const v of ["1-0-1", "1-0-2"]) ajv.addSchema({ ...core, $id: `https://openlineage.io/spec/${v}/OpenLineage.json` })
const FACETS = ["ParentRunFacet.json", "ErrorMessageRunFacet.json", "SourceCodeLocationJobFacet.json", "JobRunParametersFacet.json"].map((f) => {
  const s = load(f)
  ajv.addSchema(s)
  return { file: f, id: s.$id as string, property: Object.keys((s.properties as Record<string, unknown>) ?? {})[0]! }
})
const validateEvent = ajv.getSchema("https://openlineage.io/spec/2-0-2/OpenLineage.json")!

/** Validate an event and each facet it carries against its own schema; the errors, if any. */
const problems = (event: RunEvent): ReadonlyArray<string> => {
  const out: Array<string> = []
  if (!validateEvent(event)) out.push(`event: ${ajv.errorsText(validateEvent.errors)}`)
  const facets = { ...event.run.facets, ...event.job.facets }
  for (const name of Object.keys(facets)) {
    const f = FACETS.find((x) => x.property === name)
    if (f === undefined) {
      out.push(`facet '${name}' has no vendored schema`)
      continue
    }
    const v = ajv.getSchema(f.id)!
    if (!v({ [name]: facets[name] })) out.push(`${name}: ${ajv.errorsText(v.errors)}`)
  }
  return out
}

describeBackends("openlineage export", ({ instance }) => {
  it("exports ingested Nextflow and Snakemake runs as valid 2-0-2 RunEvents", async () => {
    const lamina = await instance()
    await lamina.run(Adapters.nextflow.ingest(path.join(FIXTURES, "nextflow-Bboy010-nf-ampliseq-train-26-ampliseq")))
    await lamina.run(Adapters.snakemake.ingest(path.join(FIXTURES, "snakemake-petebachant-snakemake-tutorial-tutorial")))
    const events = await lamina.run(Adapters.openlineage.events())
    const runs = await lamina.run(Run.filter({}).count())
    // One START per run, one end event per finished run (all ingested runs are finished).
    expect(events.filter((e) => e.eventType === "START")).toHaveLength(runs)
    expect(events.length).toBe(2 * runs)
    for (const e of events) expect(problems(e), JSON.stringify(e).slice(0, 400)).toEqual([])
    // Every facet kind appears.
    expect(events.some((e) => e.run.facets.parent !== undefined)).toBe(true)
    expect(events.some((e) => e.eventType === "FAIL" && e.run.facets.errorMessage !== undefined)).toBe(true)
    expect(events.some((e) => e.job.facets.sourceCodeLocation !== undefined)).toBe(true)
    expect(events.some((e) => e.run.facets.jobRunParameters !== undefined)).toBe(true)
    // Snakemake job outputs and inputs are datasets in the storage's namespace.
    const call = events.find((e) => e.eventType === "COMPLETE" && e.outputs.some((o) => o.name === "calls/all.vcf"))!
    expect(call.outputs[0]!.namespace).toMatch(/^file:\/\//)
    // A task's parent facet names its launch run.
    const failedTask = await lamina.run(Run.filter({ reference_type: "nextflow_task", _status_code: RunStatus.errored }).first())
    const parent = await lamina.run(Run.get(failedTask!.uid).pipe(Effect.flatMap((r) => Run.filter({ id: r.initiated_by_run_id! }).one())))
    const fail = events.find((e) => e.run.runId === runIdOf(failedTask!.uid) && e.eventType === "FAIL")!
    expect((fail.run.facets.parent as { run: { runId: string } }).run.runId).toBe(runIdOf(parent.uid))
  }, 120_000)

  it("exports one run with the runs it started, or the runs since a date, and writes a file whole", async () => {
    const lamina = await instance()
    await lamina.run(Adapters.snakemake.ingest(path.join(FIXTURES, "snakemake-petebachant-snakemake-tutorial-tutorial")))
    const launch = await lamina.run(Run.filter({ reference_type: "snakemake_run" }).one())
    const jobs = await lamina.run(Run.filter({ reference_type: "snakemake_job" }).count())
    const one = await lamina.run(Adapters.openlineage.events({ run: launch.uid }))
    expect(new Set(one.map((e) => e.run.runId)).size).toBe(1 + jobs)
    expect(await lamina.run(Adapters.openlineage.events({ since: new Date(Date.now() + 60_000) }))).toEqual([])
    const file = path.join(lamina.dir, "out", "events.jsonl")
    const written = await lamina.run(Adapters.openlineage.export(file, { run: launch.uid }))
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as RunEvent)
    expect(lines).toHaveLength(written.events)
    for (const e of lines) expect(problems(e)).toEqual([])
    const missing = await lamina.fail(Adapters.openlineage.events({ run: "0000000000000000" }))
    expect(missing._tag).toBe("DoesNotExist")
  }, 120_000)
})
