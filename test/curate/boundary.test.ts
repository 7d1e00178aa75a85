/**
 * Step boundaries (src/curate/boundary.ts), on SQLite and Postgres: inputs validated before the
 * body runs, the output before the run is recorded, typed errors naming step, argument,
 * artifact and schema; the validation cache (no second read of the data, never stale when the
 * registry changes); the schema hash in the step's cache key and in `why`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow"
import { Effect } from "effect"
import { rmSync } from "node:fs"
import { beforeEach, expect, it } from "vitest"
import { flow, step, type TrackingError } from "../../src/flow/index.js"
import type { Lamina } from "../../src/instance/Lamina.js"
import { Artifact, Feature, Run, RunStatus, Schema, ULabel, type ValidationError } from "../../src/index.js"
import { storageKeyOf } from "../../src/registry/artifact/paths.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { allRuns, inputsOf } from "../flow/support.js"
import { promiseInstance } from "../promise/support.js"
import type { Artifact as PromiseArtifact } from "../../src/promise/index.js"

const tableOf = (perturbation: ReadonlyArray<string>, score: ReadonlyArray<number>) =>
  new Table({ perturbation: vectorFromArray([...perturbation], new Utf8()), score: vectorFromArray([...score], new Float64()) })

const saveTable = (t: Table, key: string) => Effect.flatMap(Artifact.fromTable(t, { key }), (p) => p.save())

// What each body did, to see whether it ran.
let executed: Record<string, number> = {}
const ran = (name: string) => Effect.sync(() => void (executed[name] = (executed[name] ?? 0) + 1))

/** Doubles the scores: the input and the output must be "screen" tables. */
const normalize = step({ name: "normalize", inputs: { table: "screen" }, output: "screen" }, (table: Artifact, key: string) =>
  Effect.gen(function* () {
    yield* ran("normalize")
    const t = yield* table.loadTable()
    const score = Array.from(t.getChild("score")!.toArray() as Float64Array, (v) => v * 2)
    return yield* saveTable(tableOf(t.getChild("perturbation")!.toArray() as Array<string>, score), key)
  })
)
/** Writes whatever perturbations it is given: its output is checked. */
const emit = step({ name: "emit", output: "screen" }, (values: ReadonlyArray<string>, key: string) =>
  Effect.gen(function* () {
    yield* ran("emit")
    return yield* saveTable(tableOf(values, values.map(() => 1)), key)
  })
)
/** Never reuses its runs, and never reads its input: only the boundary reads it. */
const peek = step({ name: "peek", inputs: { table: "screen" }, cache: false }, (table: Artifact) => Effect.as(ran("peek"), table.uid))
/** Validates against whichever schema is named "evolving" now. */
const evolving = step({ name: "evolving", inputs: { table: "evolving" } }, (table: Artifact) => Effect.as(ran("evolving"), table.uid))
const misnamed = step({ name: "misnamed", inputs: { tabel: "screen" } }, (table: Artifact) => Effect.succeed(table.uid))

/** The same boundary on a decorated method. */
class Screens {
  @step({ name: "Screens.count", inputs: { table: "screen" } })
  count(table: Artifact): Effect.Effect<number, TrackingError, Lamina> {
    return Effect.map(table.loadTable(), (t) => t.numRows)
  }
}

const inFlow = <A, E>(name: string, body: () => Effect.Effect<A, E, never>) => flow(name, body)()

/** The step's own error inside the flow's FlowFailed (its cause). */
const stepError = (e: unknown): { readonly _tag: string; readonly message: string } & Partial<ValidationError> => {
  expect((e as { readonly _tag?: string })._tag).toBe("FlowFailed")
  return (e as { readonly cause: { readonly _tag: string; readonly message: string } & Partial<ValidationError> }).cause
}

describeBackends("curate: step boundaries", ({ instance }) => {
  let i: TestInstance
  beforeEach(async () => {
    executed = {}
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const p = yield* ULabel.create({ name: "Perturbation", is_type: true })
        yield* ULabel.create({ name: "DMSO", type: p })
        yield* ULabel.create({ name: "IFNG", type: p })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        yield* Feature.create({ name: "score", dtype: "float" })
        yield* Schema.create({ name: "screen", features: ["perturbation", "score"] })
      })
    )
  })

  const validationRows = () =>
    i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly artifact_hash: string; readonly schema_hash: string }>`SELECT artifact_hash, schema_hash FROM lamina_validation ORDER BY id`))

  it("validates the input before the body and the output before the run is recorded; a rerun is a cache hit", async () => {
    const input = await i.run(saveTable(tableOf(["DMSO", "IFNG"], [0.5, 1.5]), "raw/screen.parquet"))
    const out = await i.run(inFlow("p1", () => normalize(input, "out/normalized.parquet") as never)) as Artifact
    expect(executed.normalize).toBe(1)
    const schema = await i.run(Schema.get({ name: "screen" }))
    // Both sides validated once and remembered: the input's content and the output's, against the schema.
    expect((await validationRows()).map((r) => [r.artifact_hash, r.schema_hash])).toEqual([
      [input.hash, schema.hash],
      [out.hash, schema.hash]
    ])
    // Validating the output read it, but it is not an input of the run that made it.
    const runs = (await i.run(allRuns)).filter((r) => r.name === "normalize")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed])
    const run = await i.run(Run.get(runs[0]!.uid))
    expect(await i.run(inputsOf(run.id))).toEqual([input.uid])
    expect(run._cache_parts).toMatchObject({ schemas: { "input:table": schema.hash, output: schema.hash } })

    const again = await i.run(inFlow("p1", () => normalize(input, "out/normalized.parquet") as never)) as Artifact
    expect(again.uid).toBe(out.uid)
    expect(executed.normalize).toBe(1)
    expect((await i.run(allRuns)).filter((r) => r.name === "normalize").map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached])
    expect(await validationRows()).toHaveLength(2)
  })

  it("an invalid input fails the step before its body, naming step, argument, artifact and schema", async () => {
    const input = await i.run(saveTable(tableOf(["DMSO", "IFNJ"], [0.5, 1.5]), "raw/typo.parquet"))
    const e = stepError(await i.fail(inFlow("p2", () => normalize(input, "out/never.parquet") as never)))
    expect(e._tag).toBe("ValidationError")
    expect(e.boundary).toEqual({ step: "normalize", side: "input", argument: "table", artifact: input.uid, schema: "screen" })
    expect(e.problems?.map((p) => [p.kind, p.column, p.values])).toEqual([["not_validated", "perturbation", ["IFNJ"]]])
    expect(e.message).toContain(`Step 'normalize': input 'table' (artifact ${input.uid} 'raw/typo.parquet') does not validate against schema 'screen'`)
    expect(e.message).toContain("1 term is not validated: 'IFNJ'")
    expect(executed.normalize).toBeUndefined()
    expect((await i.run(allRuns)).filter((r) => r.name === "normalize")).toEqual([])
    // Failures are not remembered: adding the label is the fix, and the next call sees it.
    expect(await validationRows()).toEqual([])
    await i.run(Effect.flatMap(ULabel.get({ name: "Perturbation" }), (p) => ULabel.create({ name: "IFNJ", type: p })))
    await i.run(inFlow("p2", () => normalize(input, "out/fixed.parquet") as never))
    expect(executed.normalize).toBe(1)
  })

  it("an invalid output ends the run errored and sends the output to trash", async () => {
    const e = stepError(await i.fail(inFlow("p3", () => emit(["DMSO", "IFNJ"], "out/bad.parquet") as never)))
    expect(e._tag).toBe("ValidationError")
    expect(e.boundary).toMatchObject({ step: "emit", side: "output", schema: "screen" })
    expect(e.message).toContain("Step 'emit': its output (artifact ")
    expect(e.message).toContain("1 term is not validated: 'IFNJ'")
    expect(executed.emit).toBe(1)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "emit")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.errored])
    const bad = await i.run(Artifact.filter({ key: "out/bad.parquet", branch: -1 }).toArray())
    expect(bad.map((a) => a.uid)).toEqual([e.boundary?.artifact])
    expect(await i.run(Artifact.filter({ key: "out/bad.parquet" }).toArray())).toEqual([])
    // A body that returns no artifact cannot satisfy an output schema.
    const notArtifact = step({ name: "returnsText", output: "screen" }, () => Effect.succeed("text"))
    const e2 = stepError(await i.fail(inFlow("p3b", () => notArtifact() as never)))
    expect(e2._tag).toBe("InvalidArgument")
    expect(e2.message).toContain("Step 'returnsText': its output must be an Artifact or an Arrow Table to validate against schema 'screen', got a string.")
  })

  it("a validated artifact is not read again; a registry change makes the next check validate anew", async () => {
    const input = await i.run(saveTable(tableOf(["DMSO"], [0.5]), "raw/peek.parquet"))
    expect(await i.run(inFlow("p4", () => peek(input) as never))).toBe(input.uid)
    // The data is gone: only the cached result can answer, and it does.
    rmSync(i.uri(storageKeyOf(input)))
    expect(await i.run(inFlow("p4", () => peek(input) as never))).toBe(input.uid)
    expect(executed.peek).toBe(2)
    // The label it matched is renamed: the cached result no longer holds, the data is read again (and is gone).
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_ulabel SET name = 'DMSO (old)' WHERE name = 'DMSO'`))
    const e = stepError(await i.fail(inFlow("p4", () => peek(input) as never)))
    expect(e._tag).toBe("StorageError")
    expect(executed.peek).toBe(2)
  })

  it("a stale cached result is never used: a renamed label fails the next check with LaminDB's message", async () => {
    const input = await i.run(saveTable(tableOf(["DMSO", "IFNG"], [0.5, 1.5]), "raw/stale.parquet"))
    await i.run(inFlow("p5", () => peek(input) as never))
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_ulabel SET name = 'Interferon gamma' WHERE name = 'IFNG'`))
    const e = stepError(await i.fail(inFlow("p5", () => peek(input) as never)))
    expect(e._tag).toBe("ValidationError")
    expect(e.message).toContain("1 term is not validated: 'IFNG'")
    // A new label of that name validates it again; the remembered result is replaced, not duplicated.
    await i.run(Effect.flatMap(ULabel.get({ name: "Perturbation" }), (p) => ULabel.create({ name: "IFNG", type: p })))
    await i.run(inFlow("p5", () => peek(input) as never))
    const rows = await validationRows()
    expect(rows.map((r) => r.artifact_hash)).toEqual([input.hash])
    const digest = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly digest: string }>`SELECT digest FROM lamina_validation`))
    await i.run(inFlow("p5", () => peek(input) as never))
    expect(await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly digest: string }>`SELECT digest FROM lamina_validation`))).toEqual(digest)
    // A feature's dtype changed changes what validation means too.
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_feature SET dtype = 'int' WHERE name = 'score'`))
    const e2 = stepError(await i.fail(inFlow("p5", () => peek(input) as never)))
    expect(e2.problems?.map((p) => [p.kind, p.column])).toEqual([["dtype", "score"]])
  })

  it("a changed schema changes the step's cache key, and why says which", async () => {
    await i.run(Schema.create({ name: "evolving", features: ["perturbation"] }))
    const input = await i.run(saveTable(tableOf(["DMSO"], [0.5]), "raw/evolving.parquet"))
    await i.run(inFlow("p6", () => evolving(input) as never))
    await i.run(inFlow("p6", () => evolving(input) as never))
    expect(executed.evolving).toBe(1)
    // (Not perturbation + score: that definition is "screen"'s, and the same hash returns "screen".)
    const next = await i.run(Schema.create({ name: "evolving", features: ["perturbation"], coerce: true }))
    await i.run(inFlow("p6", () => evolving(input) as never))
    expect(executed.evolving).toBe(2)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "evolving")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.completed])
    const why = await i.run(Run.why(runs[2]!.uid))
    expect(why.outcome).toBe("changed")
    expect(why.changes.map((c) => [c.component, c.name, c.after])).toEqual([["schema", "input:table", next.hash]])
    expect(why.message).toContain("the schema of input 'table' changed")
  })

  it("a decorated method validates its inputs too", async () => {
    const screens = new Screens()
    const good = await i.run(saveTable(tableOf(["DMSO", "IFNG"], [0.5, 1.5]), "raw/method.parquet"))
    expect(await i.run(inFlow("p8", () => screens.count(good) as never))).toBe(2)
    const bad = await i.run(saveTable(tableOf(["IFNJ"], [0.5]), "raw/method-typo.parquet"))
    const e = stepError(await i.fail(inFlow("p8", () => screens.count(bad) as never)))
    expect(e.boundary).toEqual({ step: "Screens.count", side: "input", argument: "table", artifact: bad.uid, schema: "screen" })
  })

  it("a boundary naming no argument of the step is a typed error", async () => {
    const input = await i.run(saveTable(tableOf(["DMSO"], [0.5]), "raw/misnamed.parquet"))
    const e = stepError(await i.fail(inFlow("p7", () => misnamed(input) as never)))
    expect(e._tag).toBe("InvalidArgument")
    expect(e.message).toContain("Step 'misnamed' declares inputs.tabel but has no argument 'tabel' (its arguments: 'table')")
    const missing = step({ name: "unknownSchema", inputs: { table: "no such schema" } }, (table: Artifact) => Effect.succeed(table.uid))
    const e2 = stepError(await i.fail(inFlow("p7b", () => missing(input) as never)))
    expect(e2._tag).toBe("InvalidArgument")
    expect(e2.message).toContain("Step 'unknownSchema': the schema of input 'table' is not found")
  })
})

describeBackends("curate: step boundaries through the Promise API", (ctx) => {
  it("lm.step({ inputs, output }) validates the same way", async () => {
    const { i, lm } = await promiseInstance(ctx)
    await i.run(
      Effect.gen(function* () {
        yield* ULabel.create({ name: "DMSO" })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        yield* Feature.create({ name: "score", dtype: "float" })
        yield* Schema.create({ name: "screen", features: ["perturbation", "score"] })
      })
    )
    const copy = lm.step({ name: "copy", inputs: { table: "screen" }, output: "screen" }, async (table: PromiseArtifact, key: string) => {
      const t = await table.loadTable()
      return (await lm.Artifact.fromTable(tableOf(["DMSO", "DMSO"], [t.numRows, 2]), { key })).save()
    })
    const pipeline = lm.flow("promise-boundaries", (table: PromiseArtifact) => copy(table, "out/copy.parquet"))
    await i.run(saveTable(tableOf(["DMSO"], [0.5]), "raw/promise.parquet"))
    const out = await pipeline(await lm.Artifact.get({ key: "raw/promise.parquet" }))
    expect(out.key).toBe("out/copy.parquet")
    await i.run(saveTable(tableOf(["IFNJ"], [0.5]), "raw/promise-typo.parquet"))
    const bad = await lm.Artifact.get({ key: "raw/promise-typo.parquet" })
    const e = stepError(await pipeline(bad).then(() => undefined, (x: unknown) => x))
    expect(e.boundary).toEqual({ step: "copy", side: "input", argument: "table", artifact: bad.uid, schema: "screen" })
  })
})
