/**
 * Small tables and AnnData objects for the artifact tests, and checks of what comes back.
 */
import { Bool, Float32, Int32, Int8, Table, Utf8, vectorFromArray } from "apache-arrow"
import type { Effect } from "effect"
import { expect } from "vitest"
import { type AnnData, makeAnnData } from "../../src/formats/anndata/anndata.js"
import { indexValues } from "../../src/formats/anndata/dataframe-index.js"
import { dataframeTable } from "../../src/formats/anndata/dataframe-table.js"
import { DenseArray } from "../../src/formats/anndata/dense-array.js"
import { dictionaryVector, utf8Vector } from "../../src/formats/table/arrow-build.js"
import type { ValidationError } from "../../src/errors.js"

/** A small mixed table: ints, floats, strings, booleans, nulls. */
export const sampleTable = (): Table =>
  new Table({
    id: vectorFromArray(Int32Array.of(1, 2, 3)),
    score: vectorFromArray(Float64Array.of(0.5, 1.25, -2)),
    name: vectorFromArray(["a", "b,c", null], new Utf8()),
    ok: vectorFromArray([true, false, true], new Bool())
  })

/** 4 cells × 3 genes: categorical + boolean + numeric obs columns, a named var index. */
export const sampleAnnData = (): Effect.Effect<AnnData, ValidationError> =>
  makeAnnData({
    X: DenseArray.of(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]),
    obs: dataframeTable(["c0", "c1", "c2", "c3"], [
      { name: "cell_type", vector: dictionaryVector(new Int8(), Int8Array.of(0, 1, 0, -1), utf8Vector(["B", "T"]), false) },
      { name: "is_doublet", vector: vectorFromArray([false, true, false, false], new Bool()) },
      { name: "n_genes", vector: vectorFromArray([10, 20, 30, 40], new Int32()) }
    ]),
    var: dataframeTable(["g0", "g1", "g2"], [{ name: "mean", vector: vectorFromArray([0.5, 1.5, 2.5], new Float32()) }], "gene_id")
  })

/** The values of a table column. */
export const column = (t: Table, name: string): Array<unknown> => [...(t.getChild(name) ?? [])].map((v: unknown) => v)

/** Checks an AnnData read back from a stored sampleAnnData. */
export const expectSampleAnnData = (a: AnnData): void => {
  expect(indexValues(a.obs)).toEqual(["c0", "c1", "c2", "c3"])
  expect(indexValues(a.var)).toEqual(["g0", "g1", "g2"])
  expect(column(a.obs, "cell_type")).toEqual(["B", "T", "B", null])
  expect(a.obs.getChild("cell_type")?.type.toString()).toMatch(/^Dictionary/)
  expect(column(a.obs, "is_doublet")).toEqual([false, true, false, false])
  expect(column(a.obs, "n_genes")).toEqual([10, 20, 30, 40])
  expect(a.X).toBeInstanceOf(DenseArray)
  expect([...(a.X as DenseArray).data as Float32Array]).toEqual(Array.from({ length: 12 }, (_, i) => i))
}

