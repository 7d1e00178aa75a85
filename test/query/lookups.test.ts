import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { Artifact } from "../../src/registry/Artifact.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { at, seedArtifact } from "../support/seed.js"

type Spec = Record<string, unknown>

describeBackends("lookups", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.forEach(
        [
          { key: "raw/2025/a.csv", description: "Batch 1 of sample A", suffix: ".csv", size: 100, n_observations: 10, created_at: at(0), kind: "dataset" },
          { key: "raw/2025/b.CSV", description: "batch 2", suffix: ".CSV", size: 2000, created_at: at(60 * 24 * 40), kind: "dataset", is_latest: false },
          { key: "raw/2024/c.parquet", suffix: ".parquet", size: 50, n_observations: 5, created_at: at(-60 * 24 * 365), kind: "model" },
          { key: "processed/d_1.txt", description: "100% done_ok", suffix: ".txt", size: 0, created_at: at(90) },
          { key: "Processed/E.txt", description: "Ünïcode name\nsecond line", suffix: ".txt", size: 7, created_at: at(60 * 24 * 300 + 45) },
          { key: null, description: "virtual only", size: null, created_at: at(5) },
          { key: "trash/x.csv", suffix: ".csv", size: 1, branch: -1 },
          { key: "archive/y.csv", suffix: ".csv", size: 1, branch: 0 }
        ],
        seedArtifact
      )
    )
  })
  const keys = async (...specs: ReadonlyArray<Spec>) =>
    (await i.run(Artifact.filter(...specs).toArray())).map((a) => a.key ?? `<${a.description}>`).sort()

  it("exact, with null and numbers", async () => {
    expect(await keys({ key: "raw/2025/a.csv" })).toEqual(["raw/2025/a.csv"])
    expect(await keys({ key__exact: "raw/2025/a.csv" })).toEqual(["raw/2025/a.csv"])
    expect(await keys({ key: null })).toEqual(["<virtual only>"])
    expect(await keys({ size: 0 })).toEqual(["processed/d_1.txt"])
    expect(await keys({ description: "batch 2" })).toEqual(["raw/2025/b.CSV"])
    expect(await keys({ description: "Batch 2" })).toEqual([])
  })

  it("iexact", async () => {
    expect(await keys({ suffix__iexact: ".csv" })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ description__iexact: "BATCH 2" })).toEqual(["raw/2025/b.CSV"])
  })

  it("contains / icontains are case-sensitive / ASCII case-insensitive on both backends", async () => {
    expect(await keys({ key__contains: "2025" })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ key__contains: "processed" })).toEqual(["processed/d_1.txt"])
    expect(await keys({ key__icontains: "PROCESSED" })).toEqual(["Processed/E.txt", "processed/d_1.txt"])
    expect(await keys({ description__icontains: "batch" })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ description__contains: "batch" })).toEqual(["raw/2025/b.CSV"])
  })

  it("startswith / istartswith / endswith / iendswith", async () => {
    expect(await keys({ key__startswith: "raw/2025/" })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ key__startswith: "Raw/" })).toEqual([])
    expect(await keys({ key__istartswith: "PROCESSED/" })).toEqual(["Processed/E.txt", "processed/d_1.txt"])
    expect(await keys({ key__endswith: ".csv" })).toEqual(["raw/2025/a.csv"])
    expect(await keys({ key__iendswith: ".csv" })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
  })

  it("matches LIKE and GLOB wildcards in values literally", async () => {
    expect(await keys({ key__contains: "_1" })).toEqual(["processed/d_1.txt"])
    expect(await keys({ key__contains: "d_" })).toEqual(["processed/d_1.txt"])
    expect(await keys({ key__contains: "%" })).toEqual([])
    expect(await keys({ description__startswith: "100%" })).toEqual(["processed/d_1.txt"])
    expect(await keys({ description__icontains: "% DONE_" })).toEqual(["processed/d_1.txt"])
    expect(await keys({ key__startswith: "raw/202*" })).toEqual([])
    expect(await keys({ key__contains: "?" })).toEqual([])
    expect(await keys({ key__contains: "[a-z]" })).toEqual([])
    expect(await keys({ key__iexact: "RAW/2025/_.CSV" })).toEqual([])
    expect(await keys({ description__contains: "\\" })).toEqual([])
  })

  it("in, with lists, empty lists and nulls dropped", async () => {
    expect(await keys({ suffix__in: [".csv", ".txt"] })).toEqual(["Processed/E.txt", "processed/d_1.txt", "raw/2025/a.csv"])
    expect(await keys({ size__in: [0, 50] })).toEqual(["processed/d_1.txt", "raw/2024/c.parquet"])
    expect(await keys({ size__in: [] })).toEqual([])
    expect(await keys({ size__in: [null, 7] })).toEqual(["Processed/E.txt"])
  })

  it("gt / gte / lt / lte on numbers, text (by code point) and nulls", async () => {
    expect(await keys({ size__gt: 50 })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ size__gte: 50 })).toEqual(["raw/2024/c.parquet", "raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ size__lt: 7 })).toEqual(["processed/d_1.txt"])
    expect(await keys({ size__lte: 7 })).toEqual(["Processed/E.txt", "processed/d_1.txt"])
    expect(await keys({ n_observations__gt: 0 })).toEqual(["raw/2024/c.parquet", "raw/2025/a.csv"])
    expect(await keys({ key__gt: "raw/2025/a.csv" })).toEqual(["raw/2025/b.CSV"])
    // code point order: "P" < "a" < "p"
    expect(await keys({ key__lt: "a" })).toEqual(["Processed/E.txt"])
    expect(await keys({ key__gte: "p", key__lt: "q" })).toEqual(["processed/d_1.txt"])
  })

  it("range and isnull", async () => {
    expect(await keys({ size__range: [50, 100] })).toEqual(["raw/2024/c.parquet", "raw/2025/a.csv"])
    expect(await keys({ key__range: ["raw/2024", "raw/2025/a.csv"] })).toEqual(["raw/2024/c.parquet", "raw/2025/a.csv"])
    expect(await keys({ n_observations__isnull: false })).toEqual(["raw/2024/c.parquet", "raw/2025/a.csv"])
    expect(await keys({ description__isnull: true })).toEqual(["raw/2024/c.parquet"])
    expect(await keys({ key__isnull: true })).toEqual(["<virtual only>"])
  })

  it("regex / iregex", async () => {
    expect(await keys({ key__regex: "^raw/20[0-9]{2}/[ab]\\." })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    expect(await keys({ key__regex: "^processed/" })).toEqual(["processed/d_1.txt"])
    expect(await keys({ key__iregex: "^processed/" })).toEqual(["Processed/E.txt", "processed/d_1.txt"])
    expect(await keys({ key__iregex: "\\.CSV$" })).toEqual(["raw/2025/a.csv", "raw/2025/b.CSV"])
    // "." matches a newline on both backends
    expect(await keys({ description__regex: "name.second" })).toEqual(["Processed/E.txt"])
    expect((await i.fail(Artifact.filter({ key__regex: "(unclosed" }).toArray()))._tag).toBe("InvalidArgument")
  })

  it("timestamps: comparisons, date and UTC transforms", async () => {
    expect(await keys({ created_at: at(0) })).toEqual(["raw/2025/a.csv"])
    expect(await keys({ created_at: "2025-03-01T12:00:00Z" })).toEqual(["raw/2025/a.csv"])
    expect(await keys({ created_at__gt: at(5) })).toEqual(["Processed/E.txt", "processed/d_1.txt", "raw/2025/b.CSV"])
    expect(await keys({ created_at__lt: "2025-01-01" })).toEqual(["raw/2024/c.parquet"])
    expect(await keys({ created_at__range: [at(0), at(90)] })).toEqual(["<virtual only>", "processed/d_1.txt", "raw/2025/a.csv"])
    expect(await keys({ created_at__year: 2024 })).toEqual(["raw/2024/c.parquet"])
    expect(await keys({ created_at__year__gte: 2025, created_at__month: 4 })).toEqual(["raw/2025/b.CSV"])
    expect(await keys({ created_at__date: "2025-03-01" })).toEqual(["<virtual only>", "processed/d_1.txt", "raw/2025/a.csv"])
    expect(await keys({ created_at__date__gt: "2025-03-01" })).toEqual(["Processed/E.txt", "raw/2025/b.CSV"])
    expect(await keys({ created_at__day: 1, created_at__hour: 13, created_at__minute: 30 })).toEqual(["processed/d_1.txt"])
    expect(await keys({ created_at__hour__in: [12], created_at__year: 2025 })).toEqual(["<virtual only>", "Processed/E.txt", "raw/2025/a.csv", "raw/2025/b.CSV"])
    // 2025-03-01 is a Saturday (Django: Sunday = 1 … Saturday = 7), ISO week 9, quarter 1
    expect(await keys({ created_at__week_day: 7, created_at__week: 9, created_at__quarter: 1 })).toEqual(["<virtual only>", "processed/d_1.txt", "raw/2025/a.csv"])
    expect(await keys({ created_at__second: 0, created_at__quarter__gte: 4 })).toEqual(["Processed/E.txt"])
  })

  it("booleans", async () => {
    expect(await keys({ is_latest: false })).toEqual(["raw/2025/b.CSV"])
    expect((await keys({ is_latest: true })).length).toBe(5)
    expect(await keys({ is_latest__in: [false] })).toEqual(["raw/2025/b.CSV"])
  })

  it("hides trash and archive unless the query addresses records by id, uid, hash or branch", async () => {
    expect(await keys({ suffix: ".csv" })).toEqual(["raw/2025/a.csv"])
    expect(await keys({ branch: -1 })).toEqual(["trash/x.csv"])
    expect(await keys({ branch__in: [0, -1] })).toEqual(["archive/y.csv", "trash/x.csv"])
    const trashed = (await i.run(Artifact.filter({ branch: -1 }).toArray()))[0]!
    expect(await keys({ uid: trashed.uid })).toEqual(["trash/x.csv"])
    expect(await keys({ id: trashed.id })).toEqual(["trash/x.csv"])
    expect(await keys({ hash: trashed.hash })).toEqual(["trash/x.csv"])
    expect(await keys({ uid__in: [trashed.uid] })).toEqual(["trash/x.csv"])
    expect(await i.run(Artifact.filter().count())).toBe(6)
  })

  it("rejects unknown fields with LaminDB's message, and unknown or misplaced lookups", async () => {
    const unknown = await i.fail(Artifact.filter({ siz__gt: 1, colour: "red" } as Spec).toArray())
    expect(unknown._tag).toBe("InvalidArgument")
    expect(unknown.message).toMatch(/^You can query either by available fields: .*\bsize\b.*\nOr fix invalid feature names: siz, colour\nDid you mean 'size'\?$/)
    // Private fields stay filterable but are not offered; computed fields and relations are.
    expect(unknown.message).not.toMatch(/_aux|_key_is_virtual/)
    for (const name of ["version", "input_of_runs", "transform", "storage"]) expect(unknown.message).toMatch(new RegExp(`\\b${name}\\b`))
    expect((await i.fail(Artifact.filter({ zzz: 1 } as Spec).toArray())).message).not.toContain("Did you mean")
    const path = await i.fail(Artifact.filter().orderBy("sise" as "size").toArray())
    expect(path.message).toContain("Did you mean 'size'?")
    expect(path.message).not.toContain("_aux")
    const lookup = await i.fail(Artifact.filter({ size__startswith: "1" } as Spec).toArray())
    expect(lookup.message).toContain("Unsupported lookup 'startswith' for Artifact.size (int). Valid lookups: exact, in, gt, gte, lt, lte, range, isnull")
    expect((await i.fail(Artifact.filter({ key__nope: "1" } as Spec).toArray())).message).toContain("Valid lookups: exact, iexact, contains")
    expect((await i.fail(Artifact.filter({ size__gt: "abc" } as Spec).toArray())).message).toContain("expects a number")
    expect((await i.fail(Artifact.filter({ size__in: 5 } as Spec).toArray())).message).toContain("expects an array")
    expect((await i.fail(Artifact.filter({ size__range: [1] } as Spec).toArray())).message).toContain("pair")
    expect((await i.fail(Artifact.filter({ created_at__gt: "not a date" } as Spec).toArray())).message).toContain("expects a date")
    expect((await i.fail(Artifact.filter({ key____startswith: "a" } as Spec).toArray()))._tag).toBe("InvalidArgument")
  })

  it("treats hostile keys and values as data, never as SQL", async () => {
    for (const value of ["'; DROP TABLE lamina_artifact; --", "\" OR 1=1 --", "') OR ('1'='1", "\\'; SELECT 1; --", "%' OR '%'='"]) {
      expect(await keys({ key: value })).toEqual([])
      expect(await keys({ key__contains: value })).toEqual([])
      expect(await keys({ key__iregex: value.replace(/[()\\[\]]/g, "") })).toEqual([])
    }
    for (const key of ["key'; DROP TABLE lamina_artifact; --", 'key" = key OR "1', "key;--", "key__contains') OR 1=1 --", "run__transform__key\"; --"]) {
      const e = await i.fail(Artifact.filter({ [key]: "x" } as Spec).toArray())
      expect(e._tag).toBe("InvalidArgument")
    }
    for (const order of ["key; DROP TABLE lamina_artifact", 'key" DESC, "id']) {
      const e = await i.fail(Artifact.filter().orderBy(order as "key").toArray())
      expect(e._tag).toBe("InvalidArgument")
    }
    expect(await i.run(Artifact.filter().count())).toBe(6)
  })
})
