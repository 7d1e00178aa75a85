/**
 * Schemas and the DataFrame curator, LaminDB's "Curate datasets" walk-through: valid labels, a
 * DataFrame schema, validation messages (every problem kind), standardize, addNewFrom,
 * saveArtifact and querying by the parsed label — on SQLite and Postgres.
 */
import { Float64, Int64, tableFromArrays, Utf8, vectorFromArray, Table, Dictionary, Int32 } from "apache-arrow"
import { Effect, Logger, LogLevel } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { Artifact, Curator, DataFrameCurator, Feature, Schema, ULabel, type ValidationError } from "../../src/index.js"
import { artifactSchemas } from "../../src/registry/schema/artifactSchemas.js"
import { describeBackends, type TestInstance } from "../support/backends.js"

const GENES = ["ENSG00000153563", "ENSG00000010610", "ENSG00000170458"]

const dataset = (perturbation: ReadonlyArray<string>, extra = true) => {
  const n = perturbation.length
  const cols: Record<string, unknown> = {}
  for (const [g, gene] of GENES.entries()) cols[gene] = vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i + g)), new Int64())
  cols.perturbation = vectorFromArray([...perturbation], new Utf8())
  if (extra) {
    cols.sample_note = vectorFromArray(Array.from({ length: n }, (_, i) => `note ${i}`), new Utf8())
    cols.cell_type_by_expert = vectorFromArray(Array.from({ length: n }, () => "B cell"), new Utf8())
  }
  return new Table(cols as never)
}

/** Capture the info lines an effect logs. */
const logged = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => lines.push(Array.isArray(message) ? message.join(" ") : String(message)))
    const result = yield* Effect.either(effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Info)))
    return { result, lines }
  })

describeBackends("curate: DataFrame", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const perturbation = yield* ULabel.create({ name: "Perturbation", is_type: true })
        yield* ULabel.create({ name: "DMSO", type: perturbation })
        yield* ULabel.create({ name: "IFNG", type: perturbation })
        for (const g of GENES) yield* Feature.create({ name: g, dtype: "int" })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]", synonyms: ["treatment"] })
        yield* Schema.create({ name: "My DataFrame schema", features: [...GENES, "perturbation"] })
      })
    )
  })

  describe("Schema registry", () => {
    it("returns the existing schema for the same definition, by LaminDB's hash, and says so", async () => {
      const { result, lines } = await i.run(logged(Schema.create({ name: "My DataFrame schema", features: [...GENES, "perturbation"] })))
      const first = await i.run(Schema.get({ name: "My DataFrame schema" }))
      expect(result._tag).toBe("Right")
      if (result._tag === "Right") expect(result.right.id).toBe(first.id)
      expect(lines).toContain("returning existing schema with same hash")
      expect(first.uid).toHaveLength(16)
      expect(first.n_members).toBe(4)
      expect(first.itype).toBe("Feature")
      expect(first.minimal_set).toBe(true)
      expect(first.maximal_set).toBe(false)
      const strict = await i.run(Schema.create({ name: "strict", features: [...GENES, "perturbation"], maximal_set: true }))
      expect(strict.hash).not.toBe(first.hash)
    })

    it("rejects unknown features, bad itypes and mixed composites with typed errors", async () => {
      const e1 = await i.fail(Schema.create({ features: ["nope"] }))
      expect(e1._tag).toBe("InvalidArgument")
      expect(e1.message).toContain("'nope'")
      const e2 = await i.fail(Schema.create({ itype: "Gene.symbol" }))
      expect(e2.message).toContain("Invalid itype 'Gene.symbol'")
      const e3 = await i.fail(Schema.resolve("no such schema"))
      expect(e3._tag).toBe("DoesNotExist")
      // JavaScript callers: members that are not names or feature records.
      for (const bad of [null, 5, {}, ""]) {
        // @ts-expect-error not a feature name or record
        const e = await i.fail(Schema.create({ name: "bad members", features: [bad] }))
        expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("features[0] must be a feature name, a Feature record or { feature, optional }") })
      }
    })
  })

  describe("validate", () => {
    it("validates the walk-through's table and logs LaminDB's lines", async () => {
      const { result, lines } = await i.run(logged(Effect.flatMap(DataFrameCurator.make(dataset(["DMSO", "IFNG", "DMSO"]), "My DataFrame schema"), (c) => c.validate())))
      expect(result._tag).toBe("Right")
      expect(lines).toContain('"perturbation" is validated against ULabel.name')
      expect(lines).toContain("2 unique terms (100.00%) are validated for name")
    })

    it("fails on the IFNJ typo with LaminDB's message, and the problem as data", async () => {
      const e = (await i.fail(Effect.flatMap(DataFrameCurator.make(dataset(["DMSO", "IFNJ", "DMSO"]), "My DataFrame schema"), (c) => c.validate()))) as ValidationError
      expect(e._tag).toBe("ValidationError")
      expect(e.message).toBe(`1 term is not validated: 'IFNJ'\n    → fix typos, remove non-existent values, or save terms via .addNewFrom("perturbation")`)
      expect(e.problems).toEqual([expect.objectContaining({ kind: "not_validated", slot: "columns", column: "perturbation", values: ["IFNJ"] })])
    })

    it("reports dtype (with the coerce hint), missing, extra, order and null problems all at once", async () => {
      await i.run(
        Effect.gen(function* () {
          yield* Feature.create({ name: "score", dtype: "float" })
          yield* Feature.create({ name: "donor", dtype: "str", nullable: false })
          yield* Schema.create({ name: "tight", features: ["score", "donor", "perturbation"], maximal_set: true, ordered_set: true })
        })
      )
      const t = tableFromArrays({ donor: ["d1", null as unknown as string], score: BigInt64Array.of(1n, 2n), extra: ["x", "y"] })
      const e = (await i.fail(Effect.flatMap(DataFrameCurator.make(t, "tight"), (c) => c.validate()))) as ValidationError
      const kinds = (e.problems ?? []).map((p) => p.kind).sort()
      expect(kinds).toEqual(["dtype", "extra_column", "missing_column", "nulls", "order"])
      expect(e.message).toContain("Column 'score' failed dtype check for 'float': got int64\n    → set coerce: true on the feature or the schema to convert the values")
      expect(e.message).toContain("column 'perturbation' not in dataframe. Columns in dataframe: ['donor', 'score', 'extra']")
      expect(e.message).toContain("column 'extra' not in schema 'tight'")
      expect(e.message).toContain("column 'donor' out-of-order")
      expect(e.message).toContain("non-nullable series 'donor' contains null values: 1 null")
      // coerce on the schema accepts the integer column as float
      await i.run(Schema.create({ name: "coerced", features: ["score"], coerce: true }))
      const ok = await i.run(Effect.either(Effect.flatMap(DataFrameCurator.make(tableFromArrays({ score: BigInt64Array.of(1n) }), "coerced"), (c) => c.validate())))
      expect(ok._tag).toBe("Right")
    })

    it("checks each distinct value once, dictionary-encoded columns included", async () => {
      const n = 50_000
      const dict = vectorFromArray(Array.from({ length: n }, (_, k) => (k % 2 === 0 ? "DMSO" : "IFNG")), new Dictionary(new Utf8(), new Int32()))
      const cols: Record<string, unknown> = { perturbation: dict }
      for (const g of GENES) cols[g] = vectorFromArray(Array.from({ length: n }, () => 1n), new Int64())
      const report = await i.run(Effect.flatMap(DataFrameCurator.make(new Table(cols as never), "My DataFrame schema"), (c) => c.validate()))
      expect(report.categoricals[0]!.matches.size).toBe(2)
    })
  })

  describe("standardize, addNewFrom, saveArtifact", () => {
    it("maps synonyms and case to canonical names and adds missing nullable columns with their default", async () => {
      await i.run(
        Effect.gen(function* () {
          yield* Feature.create({ name: "batch", dtype: "str", default_value: "b0" })
          yield* Schema.create({ name: "with batch", features: ["perturbation", "batch"] })
        })
      )
      const t = tableFromArrays({ Treatment: ["dmso", "IFNG"] })
      const table = await i.run(
        Effect.gen(function* () {
          const c = yield* DataFrameCurator.make(t, "with batch")
          yield* c.standardize()
          yield* c.validate()
          return yield* c.table
        })
      )
      expect(table.schema.fields.map((f) => f.name)).toEqual(["perturbation", "batch"])
      expect([...table.getChild("perturbation")!]).toEqual(["DMSO", "IFNG"])
      expect([...table.getChild("batch")!]).toEqual(["b0", "b0"])
    })

    it("saves the unvalidated terms with addNewFrom, then the artifact is annotated and found by its label", async () => {
      const artifact = await i.run(
        Effect.gen(function* () {
          const c = yield* DataFrameCurator.make(dataset(["DMSO", "IFNG", "TNFA"]), "My DataFrame schema")
          expect(yield* c.addNewFrom("perturbation")).toEqual(["TNFA"])
          return yield* c.saveArtifact({ key: "examples/dataset1.parquet", description: "curated" })
        })
      )
      expect(artifact.key).toBe("examples/dataset1.parquet")
      const found = await i.run(Artifact.get({ ulabels__name: "IFNG" }))
      expect(found.uid).toBe(artifact.uid)
      const slots = await i.run(artifactSchemas(artifact.id))
      expect(slots.map((s) => [s.slot, s.schema.name])).toEqual([["columns", "My DataFrame schema"]])
      const features = await i.run(artifact.features.get())
      expect(features.perturbation).toEqual(["DMSO", "IFNG", "TNFA"])
      const e = await i.fail(Effect.flatMap(DataFrameCurator.make(dataset(["IFNJ"]), "My DataFrame schema"), (c) => c.saveArtifact({ key: "examples/bad.parquet" })))
      expect(e._tag).toBe("ValidationError")
      expect(await i.run(Artifact.filter({ key: "examples/bad.parquet" }).count())).toBe(0)
    })

    it("Artifact.fromTable with a schema validates before writing and annotates on save", async () => {
      const saved = await i.run(
        Effect.flatMap(Artifact.fromTable(dataset(["IFNG", "DMSO"]), { key: "examples/valid.parquet", schema: "valid_features" }), (p) => p.save())
      )
      const slots = await i.run(artifactSchemas(saved.id))
      expect(slots.map((s) => [s.slot, s.schema.name])).toEqual([["columns", "valid_features"]])
      expect((await i.run(saved.features.get())).perturbation).toEqual(["DMSO", "IFNG"])
      const e = (await i.fail(Artifact.fromTable(dataset(["IFNJ"]), { key: "examples/typo.parquet", schema: "My DataFrame schema" }))) as ValidationError
      expect(e.message).toContain("1 term is not validated: 'IFNJ'")
      expect(await i.run(Artifact.filter({ key: "examples/typo.parquet" }).count())).toBe(0)
    })

    it("valid_features validates whatever columns are features", async () => {
      const { result, lines } = await i.run(logged(Effect.flatMap(DataFrameCurator.make(dataset(["DMSO"]), "valid_features"), (c) => c.validate())))
      expect(result._tag).toBe("Right")
      expect(lines).toContain("4 unique terms (66.67%) are validated for name")
      expect(lines).toContain("2 unique terms (33.33%) are not validated for name: 'sample_note', 'cell_type_by_expert'")
    })
  })
})

describeBackends("curate: another registry through the Curator layer", ({ instance }) => {
  it("validates against a second instance's registries without touching the validating code", async () => {
    const a = await instance()
    const b = await instance()
    await b.run(
      Effect.gen(function* () {
        yield* ULabel.create({ name: "IFNJ" })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        yield* Schema.create({ name: "p", features: ["perturbation"] })
      })
    )
    const t = tableFromArrays({ perturbation: ["IFNJ"] })
    const inA = await a.fail(Effect.flatMap(DataFrameCurator.make(t, "p"), (c) => c.validate()))
    expect(inA._tag).toBe("DoesNotExist")
    const curatorOfB = await b.run(Effect.provide(Curator, (await import("../../src/curate/index.js")).layer))
    const viaB = await a.run(Effect.provideService(Effect.flatMap(DataFrameCurator.make(t, "p"), (c) => c.validate()), Curator, curatorOfB))
    expect(viaB.categoricals[0]!.notValidated).toEqual([])
  })
})
