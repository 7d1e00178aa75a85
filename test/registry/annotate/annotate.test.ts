/**
 * Features, labels, records, projects and references: creating them with LaminDB's rules,
 * annotating artifacts, runs and records, and querying by features — on SQLite and Postgres.
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { Artifact, Feature, flow, Project, Record, Reference, Run, ULabel } from "../../../src/index.js"
import { describeBackends, type TestInstance } from "../../support/backends.js"
import { seedRun, seedTransform } from "../../support/seed.js"

const save = (i: TestInstance, key: string, content: string, features?: Readonly<globalThis.Record<string, unknown>>) =>
  Effect.gen(function* () {
    const p = path.join(i.dir, key.replace(/\//g, "_"))
    writeFileSync(p, content)
    return yield* (yield* Artifact.fromPath(p, { key, ...(features ? { features } : {}) })).save()
  })

describeBackends("annotate", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        yield* Feature.create({ name: "temperature", dtype: "float", unit: "°C" })
        yield* Feature.create({ name: "experiment", dtype: "str" })
        yield* Feature.create({ name: "experiment_date", dtype: "date", coerce: true })
        yield* Feature.create({ name: "n_cells", dtype: "int" })
        yield* Feature.create({ name: "genes", dtype: "list[str]" })
        const perturbation = yield* ULabel.create({ name: "Perturbation", is_type: true })
        yield* ULabel.create({ name: "DMSO", type: perturbation })
        yield* ULabel.create({ name: "IFNG", type: perturbation })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        const sample = yield* Record.create({ name: "Sample", is_type: true })
        yield* Record.create({ name: "P53mutant1", type: sample })
        yield* Record.create({ name: "P53mutant2", type: sample })
        yield* Record.create({ name: "wildtype", type: "Sample" })
        yield* Record.create({ name: "Donor", is_type: true })
        yield* Record.create({ name: "donor1", type: "Donor" })
        yield* Feature.create({ name: "sample", dtype: "cat[Record[Sample]]" })
      })
    )
  })

  describe("registries", () => {
    it("returns the existing feature for the same name and dtype, fails for another dtype", async () => {
      const a = await i.run(Feature.create({ name: "temperature", dtype: "float" }))
      const b = await i.run(Feature.get({ name: "temperature" }))
      expect(a.id).toBe(b.id)
      expect(a.uid).toHaveLength(12)
      expect(a.unit).toBe("°C")
      const e = await i.fail(Feature.create({ name: "temperature", dtype: "int" }))
      expect(e._tag).toBe("ValidationError")
      expect(e.message).toBe("Feature temperature already exists with dtype float, you passed int")
    })

    it("validates dtypes, categorical unions and record types", async () => {
      expect((await i.run(Feature.create({ name: "any_label", dtype: "cat[ULabel | Record[Sample]]" }))).dtype).toBe("cat[ULabel|Record[Sample]]")
      expect((await i.fail(Feature.create({ name: "x", dtype: "floaty" }))).message).toContain("Invalid dtype 'floaty'")
      expect((await i.fail(Feature.create({ name: "x", dtype: "cat[Gene]" }))).message).toContain("'Gene' is not a categorical registry")
      expect((await i.fail(Feature.create({ name: "x", dtype: "cat[Record[Nope]]" }))).message).toContain("No Record type named 'Nope'")
      expect((await i.fail(Feature.create({ name: " x", dtype: "int" })))._tag).toBe("InvalidArgument")
      // JavaScript callers: a type that is neither a name nor a record.
      for (const type of [5, {}, true]) {
        // @ts-expect-error not a type name or record
        const e = await i.fail(ULabel.create({ name: "typed", type }))
        expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("A ULabel type must be a type's name or a ULabel record") })
      }
    })

    it("uses LaminDB's uid lengths and returns existing labels by name and type", async () => {
      const dmso = await i.run(ULabel.create({ name: "DMSO", type: "Perturbation" }))
      expect(dmso.uid).toHaveLength(8)
      expect((await i.run(ULabel.filter({ type__name: "Perturbation" }).toArray())).map((l) => l.name).sort()).toEqual(["DMSO", "IFNG"])
      const rec = await i.run(Record.get({ name: "P53mutant1" }))
      expect(rec.uid).toHaveLength(16)
      const p = await i.run(Project.create({ name: "Lamina paper", abbr: "LP", start_date: "2026-01-01" }))
      expect(p.uid).toHaveLength(12)
      const r = await i.run(Reference.create({ name: "Smith 2026", doi: "10.1000/xyz123" }))
      expect(r.uid).toHaveLength(12)
      expect((await i.fail(Reference.create({ name: "bad", doi: "nope" })))._tag).toBe("InvalidArgument")
      expect((await i.fail(ULabel.create({ name: "x", type: "DMSO" }))).message).toContain("is not a type")
    })

    it("links parents and refuses cycles", async () => {
      const a = await i.run(ULabel.create({ name: "immune cell" }))
      const b = await i.run(ULabel.create({ name: "T cell" }))
      const c = await i.run(ULabel.create({ name: "CD8 T cell" }))
      await i.run(ULabel.addParents(b, [a]))
      await i.run(ULabel.addParents(c, [b]))
      expect((await i.run(ULabel.parents(c))).map((l) => l.name)).toEqual(["T cell"])
      expect((await i.run(ULabel.children(a))).map((l) => l.name)).toEqual(["T cell"])
      const e = await i.fail(ULabel.addParents(a, [c]))
      expect(e.message).toContain("would close a cycle")
      expect((await i.fail(ULabel.addParents(a, [a]))).message).toContain("cannot be its own parent")
      expect(await i.run(ULabel.filter({ parents__name: "immune cell" }).count())).toBe(1)
    })

    it("ranks record search like artifacts", async () => {
      const found = await i.run(Record.search("p53").toArray())
      expect(found.map((r) => r.name).sort()).toEqual(["P53mutant1", "P53mutant2"])
    })
  })

  describe("annotating and querying", () => {
    beforeAll(async () => {
      await i.run(
        Effect.gen(function* () {
          yield* save(i, "a.csv", "a", { temperature: 21.6, experiment: "My experiment", experiment_date: "2024-12-01", perturbation: "DMSO", sample: "P53mutant1" })
          const b = yield* save(i, "b.csv", "b")
          yield* b.features.add({ temperature: 42, experiment: "Other", n_cells: 5, perturbation: ["DMSO", "IFNG"], genes: ["TP53", "BRCA1"] })
          yield* save(i, "c.csv", "c", { temperature: 4, sample: "wildtype" })
          yield* save(i, "d.csv", "d")
        })
      )
    })
    const keys = async (spec: Readonly<globalThis.Record<string, unknown>>) =>
      (await i.run(Artifact.filter(spec).toArray())).map((a) => a.key).sort()

    it("reads values back", async () => {
      const a = await i.run(Artifact.get({ key: "a.csv" }))
      expect(await i.run(a.features.get())).toEqual({
        temperature: 21.6,
        experiment: "My experiment",
        experiment_date: "2024-12-01",
        perturbation: "DMSO",
        sample: "P53mutant1"
      })
      const b = await i.run(Artifact.get({ key: "b.csv" }))
      expect((await i.run(b.features.get())).perturbation).toEqual(["DMSO", "IFNG"])
    })

    it("filters by features with typed comparisons", async () => {
      expect(await keys({ temperature__gt: 20 })).toEqual(["a.csv", "b.csv"])
      expect(await keys({ temperature__lt: 5 })).toEqual(["c.csv"])
      expect(await keys({ temperature: 42 })).toEqual(["b.csv"])
      expect(await keys({ temperature__gt: "20" })).toEqual(["a.csv", "b.csv"])
      expect(await keys({ experiment: "My experiment" })).toEqual(["a.csv"])
      expect(await keys({ experiment__startswith: "My" })).toEqual(["a.csv"])
      expect(await keys({ experiment_date__gte: "2024-01-01" })).toEqual(["a.csv"])
      expect(await keys({ temperature__isnull: true })).toEqual(["d.csv"])
      expect(await keys({ genes: "TP53" })).toEqual(["b.csv"])
      expect(await keys({ temperature__gt: 20, experiment: "My experiment" })).toEqual(["a.csv"])
    })

    it("filters categorical features by label", async () => {
      expect(await keys({ perturbation: "DMSO" })).toEqual(["a.csv", "b.csv"])
      expect(await keys({ perturbation: "IFNG" })).toEqual(["b.csv"])
      expect(await keys({ perturbation__in: ["IFNG"] })).toEqual(["b.csv"])
      expect(await keys({ sample: "wildtype" })).toEqual(["c.csv"])
      expect(await keys({ ulabels__name: "IFNG" })).toEqual(["b.csv"])
      expect(await keys({ records__name: "P53mutant1" })).toEqual(["a.csv"])
      expect((await i.run(ULabel.filter({ artifacts__key: "b.csv" }).toArray())).map((l) => l.name).sort()).toEqual(["DMSO", "IFNG"])
      const e = await i.fail(Artifact.filter({ perturbation: "IFNJ" }).toArray())
      expect(e._tag).toBe("DoesNotExist")
      expect(e.message).toContain("Did not find a ULabel matching name=\"IFNJ\"")
    })

    it("fails unknown feature names with LaminDB's message", async () => {
      const e = await i.fail(Artifact.filter({ temperatur__gt: 1 }).toArray())
      expect(e._tag).toBe("InvalidArgument")
      expect(e.message).toContain("You can query either by available fields: ")
      expect(e.message).toContain("Or fix invalid feature names: temperatur")
    })

    it("checks values before writing anything", async () => {
      const d = await i.run(Artifact.get({ key: "d.csv" }))
      const wrong = await i.fail(d.features.add({ n_cells: 2, temperature: "warm" }))
      expect(wrong._tag).toBe("ValidationError")
      expect(wrong.message).toContain("Expected dtype for 'temperature' is 'float', got 'str'")
      expect(await i.run(d.features.get())).toEqual({})
      const unknown = await i.fail(d.features.add({ temp: 1.5 }))
      expect(unknown.message).toContain("These keys could not be validated: [\"temp\"]")
      expect(unknown.message).toContain("Existing features: ")
      expect(unknown.message).toContain('Feature.create({ name: "temp", dtype: "float" })')
      const label = await i.fail(d.features.add({ perturbation: "IFNJ" }))
      expect(label.message).toContain('These values could not be validated: {"perturbation":["IFNJ"]}')
      expect(label.message).toContain('ULabel.create({ name: "IFNJ" })')
      const wrongType = await i.fail(d.features.add({ sample: "donor1" }))
      expect(wrongType._tag).toBe("ValidationError")
      const donor = await i.run(Record.get({ name: "donor1" }))
      expect((await i.fail(d.features.add({ sample: donor }))).message).toContain("not of type Sample")
      expect((await i.fail(d.features.add({ experiment_date: new Date("x") })))._tag).toBe("ValidationError")
      expect(await i.run(d.features.get())).toEqual({})
      // coerce: numbers in strings only when the feature says so
      expect((await i.fail(d.features.add({ n_cells: "7" })))._tag).toBe("ValidationError")
    })

    it("removes values and labels", async () => {
      const c = await i.run(Artifact.get({ key: "c.csv" }))
      await i.run(c.features.remove("sample"))
      await i.run(c.features.remove("temperature"))
      expect(await i.run(c.features.get())).toEqual({})
      expect(await keys({ temperature__lt: 5 })).toEqual([])
    })

    it("pivots features into table columns", async () => {
      const table = await i.run(Artifact.filter({ key__in: ["a.csv", "b.csv"] }).orderBy("key").toTable({ include: ["features"] }))
      expect(table.schema.fields.map((f) => f.name)).toEqual(expect.arrayContaining(["id", "uid", "key", "temperature", "experiment", "perturbation"]))
      const rows = table.toArray().map((r) => r.toJSON())
      expect(rows[0]!.temperature).toBe(21.6)
      expect(rows[1]!.temperature).toBe(42)
      expect(rows[0]!.experiment).toBe("My experiment")
      expect([...(rows[1]!.perturbation as Iterable<string>)]).toEqual(["DMSO", "IFNG"])
    })

    it("adds labels, projects and references", async () => {
      const d = await i.run(Artifact.get({ key: "d.csv" }))
      const ifng = await i.run(ULabel.get({ name: "IFNG" }))
      const p = await i.run(Project.create({ name: "Lamina paper" }))
      const r = await i.run(Reference.create({ name: "Smith 2026" }))
      await i.run(d.labels.add(ifng))
      await i.run(d.labels.add(ifng))
      await i.run(d.projects.add(p))
      await i.run(d.references.add(r))
      expect((await i.run(d.labels.get())).ULabel.map((l) => l.name)).toEqual(["IFNG"])
      expect(await keys({ projects__name: "Lamina paper" })).toEqual(["d.csv"])
      expect(await keys({ references__name: "Smith 2026" })).toEqual(["d.csv"])
      // a plain label is not a feature value
      expect(await keys({ perturbation: "IFNG" })).toEqual(["b.csv"])
      // two latest artifacts carry IFNG: get names the ambiguity instead of picking one
      expect((await i.fail(Artifact.get({ ulabels__name: "IFNG" })))._tag).toBe("MultipleResultsFound")
      expect((await i.run(Artifact.get({ projects__name: "Lamina paper" }))).key).toBe("d.csv")
      expect((await i.fail(d.projects.add(r as never)))._tag).toBe("InvalidArgument")
      expect((await i.fail(d.labels.add(p as never)))._tag).toBe("InvalidArgument")
    })

    it("annotates runs and records", async () => {
      const run = await i.run(
        Effect.gen(function* () {
          const t = yield* seedTransform({ key: "annotated.py" })
          return yield* seedRun(t, { name: "annotated" })
        })
      )
      await i.run(Run.annotations(run).features.add({ temperature: 30, perturbation: "IFNG" }))
      expect((await i.run(Run.filter({ temperature__gte: 30 }).toArray())).map((r) => r.name)).toEqual(["annotated"])
      expect((await i.run(Run.filter({ perturbation: "IFNG" }).toArray())).map((r) => r.name)).toEqual(["annotated"])
      const rec = await i.run(Record.create({ name: "P53mutant3", type: "Sample", features: { temperature: 37, perturbation: "DMSO" } }))
      expect(await i.run(Record.annotations(rec).features.get())).toEqual({ temperature: 37, perturbation: "DMSO" })
      expect((await i.run(Record.filter({ temperature: 37 }).toArray())).map((r) => r.name)).toEqual(["P53mutant3"])
      expect((await i.fail(Record.create({ name: "P53mutant4", type: "Sample", features: { temperature: "x" } })))._tag).toBe("ValidationError")
      expect(await i.run(Record.filter({ name: "P53mutant4" }).count())).toBe(0)
    })

    it("records features of flow runs, refusing bad ones before the run starts", async () => {
      const annotatedFlow = flow({ name: "annotated-flow", features: { experiment: "Flow experiment", temperature: 12.5 } }, () => Effect.succeed(1))
      expect(await i.run(annotatedFlow())).toBe(1)
      const runs = await i.run(Run.filter({ experiment: "Flow experiment" }).toArray())
      expect(runs.map((r) => r.name)).toEqual(["annotated-flow"])
      const badFlow = flow({ name: "bad-annotated-flow", features: { temperature: "warm" } }, () => Effect.succeed(1))
      expect((await i.fail(badFlow()))._tag).toBe("ValidationError")
      expect(await i.run(Run.filter({ name: "bad-annotated-flow" }).count())).toBe(0)
    })

    it("keeps feature values out of trash queries and side tables in step", async () => {
      const a = await i.run(Artifact.get({ key: "a.csv" }))
      const rows = await i.run(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_artifact_feature_value WHERE artifact_id = ${a.id}`)
      )
      expect(Number(rows[0]!.n)).toBe(3)
    })
  })

  describe("annotating many artifacts at once", () => {
    const sideRows = (ids: ReadonlyArray<number>) =>
      i.run(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_artifact_feature_value WHERE ${sql.in("artifact_id", ids)}`)
      )

    it("writes every artifact's values in one batch, merging with values already there", async () => {
      const arts = await i.run(Effect.forEach([0, 1, 2], (k) => save(i, `many/${k}.csv`, `many ${k}`, k === 0 ? { experiment: "Batch", n_cells: 1 } : undefined)))
      await i.run(
        Artifact.features.addMany([
          [arts[0]!, { temperature: 10.5, n_cells: 2 }],
          [arts[1]!, { temperature: 11, perturbation: ["DMSO", "IFNG"] }],
          [arts[2]!, { n_cells: 7 }],
          [arts[2]!, { temperature: 12 }]
        ])
      )
      expect(await i.run(arts[0]!.features.get())).toEqual({ experiment: "Batch", n_cells: 2, temperature: 10.5 })
      expect(await i.run(arts[1]!.features.get())).toEqual({ temperature: 11, perturbation: ["DMSO", "IFNG"] })
      expect(await i.run(arts[2]!.features.get())).toEqual({ n_cells: 7, temperature: 12 })
      expect((await i.run(Artifact.filter({ temperature__gte: 10, temperature__lte: 12 }).toArray())).map((a) => a.key).sort()).toEqual(["many/0.csv", "many/1.csv", "many/2.csv"])
      // The side table follows the multi-row UPDATE: 3 + 1 + 2 JSON values.
      expect(Number((await sideRows(arts.map((a) => a.id)))[0]!.n)).toBe(6)
    })

    it("checks every entry first: one bad value fails the batch naming its artifact, nothing is written", async () => {
      const arts = await i.run(Effect.forEach([3, 4], (k) => save(i, `many/${k}.csv`, `many ${k}`)))
      const e = await i.fail(
        Artifact.features.addMany([
          [arts[0]!, { temperature: 1 }],
          [arts[1]!, { temperature: "warm" }]
        ])
      )
      expect(e._tag).toBe("ValidationError")
      expect(e.message).toContain(`Artifact ${arts[1]!.id}: Expected dtype for 'temperature' is 'float'`)
      const unknown = await i.fail(Artifact.features.addMany([[arts[0]!, { temp: 1 }]]))
      expect(unknown.message).toContain("These keys could not be validated: [\"temp\"]")
      // JavaScript callers: entries that are not [artifact, values] pairs.
      for (const bad of [5, [[null, { temperature: 1 }]], [[arts[0]!, null]], [arts[0]!]]) {
        // @ts-expect-error not an iterable of [artifact, values] pairs
        const wrong = await i.fail(Effect.suspend(() => Artifact.features.addMany(bad)))
        expect(wrong).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("Artifact.features.addMany takes [artifact, { feature: value }] pairs") })
      }
      expect(await i.run(arts[0]!.features.get())).toEqual({})
      expect(Number((await sideRows(arts.map((a) => a.id)))[0]!.n)).toBe(0)
    })

    it("fails for an artifact that is not in the registry, writing nothing", async () => {
      const [a] = await i.run(Effect.forEach([5], (k) => save(i, `many/${k}.csv`, `many ${k}`)))
      const gone = await i.run(Artifact.get({ key: "many/5.csv" }))
      await i.run(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_artifact SET id = ${gone.id + 100_000} WHERE id = ${gone.id}`)
      )
      const other = await i.run(save(i, "many/6.csv", "many 6"))
      const e = await i.fail(Artifact.features.addMany([[other, { temperature: 3 }], [a!, { temperature: 4 }]]))
      expect(e._tag).toBe("InvalidArgument")
      expect(e.message).toContain(`No Artifact with id ${a!.id}`)
      expect(await i.run(other.features.get())).toEqual({})
      expect(await i.run(Artifact.features.addMany([]))).toBeUndefined()
    })
  })
})
