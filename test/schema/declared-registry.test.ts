/**
 * A registry added the way every registry is — one declaration — is queryable like the
 * built-in ones on both backends: fields and lookups, forward relations, reverse relations
 * derived from them (also on Lamina's own Artifact), many-to-many links in both directions,
 * aliases, enum keys, computed fields, JSON keys, and a declared resolver for a key that is
 * not a field.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { currentDialect } from "../../src/db/dialect.js"
import { QuerySet } from "../../src/query/QuerySet.js"
import { insertRow } from "../../src/registry/crud.js"
import { createTableStatements } from "../../src/schema/index.js"
import type { Row } from "../../src/schema/codec.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { seedArtifact, seedRun, seedTransform } from "../support/seed.js"
import { driftOf } from "./columns.js"
import { testCatalog } from "./test-registries.js"

type Spec = Record<string, unknown>
const { Sample, Tag, Artifact } = testCatalog

describeBackends("a registry declared in a test", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const d = yield* currentDialect
        for (const s of [...createTableStatements(Tag, d), ...createTableStatements(Sample, d, ["tags"])]) yield* sql.unsafe(s)
        const t = yield* seedTransform({ key: "prep.py" })
        const r = yield* seedRun(t, { name: "r1" })
        const a1 = yield* seedArtifact({ key: "a1.csv", run_id: r.id })
        const a2 = yield* seedArtifact({ key: "a2.csv" })
        const now = new Date("2025-01-01T00:00:00Z")
        const tag = (uid: string, name: string) => insertRow(Tag, { uid, name, created_at: now })
        const red = yield* tag("tag00001", "red")
        const blue = yield* tag("tag00002", "blue")
        const sample = (uid: string, values: Row) => insertRow(Sample, { uid, created_at: now, branch: 1, is_locked: false, ...values })
        const s1 = yield* sample("sample000001", { name: "P53mutant1", score: 9, meta: { color: "red", depth: 30 }, artifact_id: a1.id })
        const s2 = yield* sample("sample000002", { name: "P53mutant2", score: 1, meta: { color: "blue", depth: 5 }, artifact_id: a2.id, parent_id: s1.id })
        yield* sample("sample000003", { name: "control", is_control: true, parent_id: s1.id, _secret: "x" })
        yield* sql`INSERT INTO test_sample_tag (sample_id, tag_id) VALUES (${s1.id as number}, ${red.id as number}), (${s2.id as number}, ${blue.id as number}), (${s1.id as number}, ${blue.id as number})`
      })
    )
  })
  const samples = async (...specs: ReadonlyArray<Spec>) =>
    (await i.run(QuerySet.of(Sample, (r) => r).filter(...(specs as ReadonlyArray<never>)).toArray())).map((r) => r["name"]).sort()
  const keys = async (spec: Spec) => (await i.run(QuerySet.of(Artifact, (r) => r).filter(spec as never).toArray())).map((r) => r["key"]).sort()
  const tags = async (spec: Spec) => (await i.run(QuerySet.of(Tag, (r) => r).filter(spec as never).toArray())).map((r) => r["name"]).sort()

  it("filters by fields and lookups, decoding by the declared types", async () => {
    expect(await samples({ name__startswith: "P53" })).toEqual(["P53mutant1", "P53mutant2"])
    expect(await samples({ score__gt: 2 })).toEqual(["P53mutant1"])
    expect(await samples({ score__isnull: true })).toEqual(["control"])
    expect(await samples({ is_control: true })).toEqual(["control"])
    expect(await samples({ _secret: "x" })).toEqual(["control"])
    const row = await i.run(QuerySet.of(Sample, (r) => r).filter({ name: "control" } as never).one())
    expect(row["is_control"]).toBe(true)
    expect(row["created_at"]).toBeInstanceOf(Date)
  })

  it("follows forward relations, aliases and the reverse relations derived from them", async () => {
    expect(await samples({ artifact__key: "a1.csv" })).toEqual(["P53mutant1"])
    expect(await samples({ parent__name: "P53mutant1" })).toEqual(["P53mutant2", "control"])
    expect(await samples({ children__name: "control" })).toEqual(["P53mutant1"])
    expect(await samples({ run__name: "r1" })).toEqual(["P53mutant1"])
    expect(await samples({ artifact__run__transform__key: "prep.py" })).toEqual(["P53mutant1"])
    // Lamina's own Artifact gains `samples` in this catalog, from the Sample side's declaration.
    expect(await keys({ samples__name: "P53mutant2" })).toEqual(["a2.csv"])
    expect(await keys({ samples__isnull: true })).toEqual([])
  })

  it("follows many-to-many links in both directions", async () => {
    expect(await samples({ tags__name: "blue" })).toEqual(["P53mutant1", "P53mutant2"])
    expect(await samples({ tags__name: "red", name__endswith: "1" })).toEqual(["P53mutant1"])
    expect(await samples({ tags: null })).toEqual(["control"])
    expect(await tags({ samples__name: "P53mutant1" })).toEqual(["blue", "red"])
    expect(await tags({ samples__artifact__key: "a2.csv" })).toEqual(["blue"])
  })

  it("compares JSON keys, enum keys, computed fields and keys a declared resolver answers", async () => {
    expect(await samples({ meta__color: "red" })).toEqual(["P53mutant1"])
    expect(await samples({ meta__depth__gt: 10 })).toEqual(["P53mutant1"])
    expect(await samples({ meta__depth__isnull: true })).toEqual(["control"])
    expect(await samples({ grade: "high" })).toEqual(["P53mutant1"])
    expect(await samples({ grade__in: ["low", "high"] })).toEqual(["P53mutant1", "P53mutant2"])
    expect((await i.fail(QuerySet.of(Sample, (r) => r).filter({ grade: "mid" } as never).toArray())).message).toBe(
      "Invalid Sample grade 'mid'. Valid: low, high"
    )
    expect(await samples({ label__startswith: "control:" })).toEqual(["control"])
    expect(await samples({ shade: "blue" })).toEqual(["P53mutant2"])
    expect(await samples({ shade__in: ["blue", "red"] })).toEqual(["P53mutant1", "P53mutant2"])
    const ordered = await i.run(QuerySet.of(Sample, (r) => r).orderBy("-label" as never).values("label" as never).toArray())
    expect(ordered.map((r) => (r as Row)["label"])).toEqual(["control:sample000003", "P53mutant2:sample000002", "P53mutant1:sample000001"])
  })

  it("rejects unknown keys naming the public fields only", async () => {
    const e = await i.fail(QuerySet.of(Sample, (r) => r).filter({ nmae: "x" } as never).toArray())
    expect(e.message).toContain("Did you mean 'name'?")
    expect(e.message).toMatch(/\bchildren\b.*\bgrade\b.*\blabel\b.*\btags\b/)
    expect(e.message).not.toContain("_secret")
  })
})

describeBackends("DDL derived from a declaration", ({ instance }) => {
  it("creates the table the declaration describes", async () => {
    const i = await instance()
    const problems = await i.run(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const d = yield* currentDialect
        for (const s of [...createTableStatements(Tag, d), ...createTableStatements(Sample, d, ["tags"])]) yield* sql.unsafe(s)
        return [...(yield* driftOf(Tag)), ...(yield* driftOf(Sample))]
      })
    )
    expect(problems).toEqual([])
  })
})
