import { describe, expect, it } from "@effect/vitest"
import { Bool, Float64, Int32, Int64, Int8, vectorFromArray } from "apache-arrow"
import { Effect } from "effect"
import { indexColumnName, indexValues } from "../../../src/formats/anndata/dataframe-index.js"
import { dataframeTable } from "../../../src/formats/anndata/dataframe-table.js"
import { dictionaryVector, utf8Vector } from "../../../src/formats/table/arrow-build.js"
import { takeRows } from "../../../src/formats/table/take.js"

const obs = () =>
  dataframeTable(["c0", "c1", "c2", "c3"], [
    { name: "cell_type", vector: dictionaryVector(new Int8(), Int8Array.of(1, -1, 0, 1), utf8Vector(["B", "T"]), true) },
    { name: "ok", vector: vectorFromArray([true, null, false, true], new Bool()) },
    { name: "n", vector: vectorFromArray([1, 2, 3, 4], new Int32()) },
    { name: "score", vector: vectorFromArray([0.5, NaN, -1, 2], new Float64()) },
    { name: "big", vector: vectorFromArray([1n, null, 3n, 4n], new Int64()) },
    { name: "label", vector: utf8Vector(["a", null, "c", "d"]) }
  ], "cell_id")

const values = (t: ReturnType<typeof obs>, name: string) => [...(t.getChild(name) ?? [])].map((v: unknown) => v)

describe("takeRows", () => {
  it.effect("selects rows in order, with repeats, keeping types, categories, nulls and the index", () =>
    Effect.gen(function*() {
      const t = yield* takeRows(obs(), [3, 1, 3])
      expect(t.numRows).toBe(3)
      expect(indexColumnName(t)).toBe("cell_id")
      expect(indexValues(t)).toEqual(["c3", "c1", "c3"])
      expect(values(t, "cell_type")).toEqual(["T", null, "T"])
      const cat = t.getChild("cell_type")!.type
      expect(String(cat)).toBe(String(obs().getChild("cell_type")!.type))
      expect(values(t, "ok")).toEqual([true, null, true])
      expect(values(t, "n")).toEqual([4, 2, 4])
      expect(values(t, "score")).toEqual([2, NaN, 2])
      expect(values(t, "big")).toEqual([4n, null, 4n])
      expect(values(t, "label")).toEqual(["d", null, "d"])
      expect((yield* takeRows(obs(), [])).numRows).toBe(0)
    }))

  it.effect("a row out of range is an InvalidArgument", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(takeRows(obs(), [0, 4]))
      expect(e).toMatchObject({ _tag: "InvalidArgument", message: "Row 4 is out of range: the table has 4 rows" })
    }))
})
