import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { Bool, Dictionary, Float64, Int32, Int64, Int8, tableFromArrays, Utf8, vectorFromArray } from "apache-arrow"
import { buildTable, dictionaryVector, utf8Vector } from "../../../src/formats/table/arrow-build.js"
import { readCsv, tableFromCsv, writeCsv } from "../../../src/formats/table/csv.js"
import { describeTable } from "../../../src/formats/table/describe.js"
import { readArrowIpc, writeArrowIpc } from "../../../src/formats/table/ipc.js"
import { readParquet, writeParquet } from "../../../src/formats/table/parquet.js"
import { describeWithPython, runPythonJson, tempDir } from "../../support/python.js"

const dir = tempDir()
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const sample = () =>
  buildTable([
    { name: "id", vector: vectorFromArray([1, 2, 3], new Int32()) },
    { name: "score", vector: vectorFromArray([0.5, NaN, -1e300], new Float64()) },
    { name: "ok", vector: vectorFromArray([true, null, false], new Bool()) },
    { name: "name", vector: utf8Vector(["a,b", "say \"hi\"", null]) },
    { name: "code", vector: utf8Vector(["007", "", "12"]) },
    { name: "big", vector: vectorFromArray([1n, -(2n ** 40n), null], new Int64()) },
    {
      name: "cat",
      vector: dictionaryVector(new Int8(), new Int8Array([0, -1, 1]), utf8Vector(["x", "y"]), true)
    }
  ])

const noTmpLeft = () => fs.readdirSync(dir).filter((f) => f.includes("lamina-tmp"))

describe("table formats", () => {
  it.effect("parquet round trip keeps values, types and dictionaries", () =>
    Effect.gen(function*() {
      const t = sample()
      const p = path.join(dir, "t.parquet")
      yield* writeParquet(t, p)
      const back = yield* readParquet(p)
      expect(back.numRows).toBe(3)
      expect(back.toArray().map((r) => r.toJSON())).toEqual(t.toArray().map((r) => r.toJSON()))
      expect(back.schema.fields.find((f) => f.name === "cat")?.type).toBeInstanceOf(Dictionary)
      const only = yield* readParquet(p, { columns: ["id"] })
      expect(only.schema.fields.map((f) => f.name)).toEqual(["id"])
      expect(noTmpLeft()).toEqual([])
    }))

  it.effect("arrow IPC round trip (.arrow and .feather)", () =>
    Effect.gen(function*() {
      const t = sample()
      for (const name of ["t.arrow", "t.feather"]) {
        const p = path.join(dir, name)
        yield* writeArrowIpc(t, p)
        const back = yield* readArrowIpc(p)
        expect(back.toArray().map((r) => r.toJSON())).toEqual(t.toArray().map((r) => r.toJSON()))
      }
    }))

  it.effect("CSV round trip infers types and keeps nulls vs empty strings", () =>
    Effect.gen(function*() {
      const t = sample()
      const p = path.join(dir, "t.csv")
      yield* writeCsv(t, p)
      const back = yield* readCsv(p)
      expect(describeTable(back)).toEqual({
        n_observations: 3,
        columns: [
          { name: "id", type: "int32" },
          { name: "score", type: "float64" },
          { name: "ok", type: "bool" },
          { name: "name", type: "string" },
          { name: "code", type: "string" },
          { name: "big", type: "int64" },
          { name: "cat", type: "string" }
        ]
      })
      const rows = back.toArray().map((r) => r.toJSON())
      expect(rows[0]).toMatchObject({ id: 1, score: 0.5, ok: true, name: "a,b", code: "007", big: 1n, cat: "x" })
      expect(rows[1]).toMatchObject({ id: 2, ok: null, name: "say \"hi\"", code: "", big: -(2n ** 40n), cat: null })
      expect(Number.isNaN(rows[1].score)).toBe(true)
      expect(rows[2]).toMatchObject({ score: -1e300, ok: false, name: null, code: "12", big: null })
    }))

  it.effect("CSV inference: int, float, bool, string, empty → null", () =>
    Effect.gen(function*() {
      const t = yield* tableFromCsv("i,f,b,s,e,m\n1,1.5,TRUE,x,,3\n-2,1e3,false,y,,\n,inf,True,,,4\n")
      expect(describeTable(t).columns.map((c) => c.type)).toEqual(["int32", "float64", "bool", "string", "string", "int32"])
      const rows = t.toArray().map((r) => r.toJSON())
      expect(rows.map((r) => r.i)).toEqual([1, -2, null])
      expect(rows.map((r) => r.f)).toEqual([1.5, 1000, Infinity])
      expect(rows.map((r) => r.b)).toEqual([true, false, true])
      expect(rows.map((r) => r.s)).toEqual(["x", "y", null])
      expect(rows.map((r) => r.e)).toEqual([null, null, null])
      expect(rows.map((r) => r.m)).toEqual([3, null, 4])
      const crlf = yield* tableFromCsv("a;b\r\n\"multi\nline\";2\r\n", { delimiter: ";" })
      expect(crlf.toArray().map((r) => r.toJSON())).toEqual([{ a: "multi\nline", b: 2 }])
    }))

  it.effect("bad inputs fail with typed errors", () =>
    Effect.gen(function*() {
      const ragged = yield* Effect.either(tableFromCsv("a,b\n1,2,3\n"))
      expect(Either.isLeft(ragged) && ragged.left._tag).toBe("ValidationError")
      const p = path.join(dir, "garbage.parquet")
      fs.writeFileSync(p, "not parquet at all")
      const bad = yield* Effect.either(readParquet(p))
      expect(Either.isLeft(bad) && bad.left._tag).toBe("ValidationError")
      const missing = yield* Effect.either(readArrowIpc(path.join(dir, "nope.arrow")))
      expect(Either.isLeft(missing) && missing.left._tag).toBe("StorageError")
    }))

  it("describeTable", () => {
    const t = tableFromArrays({ a: new Float32Array([1, 2]), b: ["x", "y"] })
    expect(describeTable(t)).toEqual({
      n_observations: 2,
      columns: [{ name: "a", type: "float32" }, { name: "b", type: "category[string]" }]
    })
    // Arrow infers strings as a dictionary of Utf8, which describeTable reports as "category[string]"
    const b = t.getChild("b")!.type
    expect(b).toBeInstanceOf(Dictionary)
    expect((b as Dictionary).dictionary).toBeInstanceOf(Utf8)
  })
})

describeWithPython("CSV interop with pandas", () => {
  it.effect("pandas reads Lamina CSV and Lamina reads pandas CSV", () =>
    Effect.gen(function*() {
      const p = path.join(dir, "for-pandas.csv")
      yield* writeCsv(sample(), p)
      const seen = runPythonJson<{ dtypes: Record<string, string>; name: unknown[]; code: unknown[] }>(`
import pandas as pd, json
df = pd.read_csv(${JSON.stringify(p)}, dtype={"code": str})
print(json.dumps({"dtypes": {k: str(v) for k, v in df.dtypes.items()}, "name": [None if pd.isna(x) else x for x in df["name"]], "code": [None if pd.isna(x) else x for x in df["code"]]}))
`)
      expect(seen.dtypes.id).toBe("int64")
      expect(seen.dtypes.score).toBe("float64")
      expect(seen.name).toEqual(["a,b", "say \"hi\"", null])
      const q = path.join(dir, "from-pandas.csv")
      runPythonJson(`
import pandas as pd, json
pd.DataFrame({"n": [1, 2], "x": [0.25, None], "flag": [True, False], "s": ["a", "b"]}).to_csv(${JSON.stringify(q)}, index=False)
print(json.dumps(True))
`)
      const back = yield* readCsv(q)
      expect(describeTable(back).columns.map((c) => c.type)).toEqual(["int32", "float64", "bool", "string"])
      expect(back.toArray().map((r) => r.toJSON())).toEqual([
        { n: 1, x: 0.25, flag: true, s: "a" },
        { n: 2, x: null, flag: false, s: "b" }
      ])
    }))
})
