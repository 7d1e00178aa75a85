/**
 * An Arrow table, record batch or vector keyed by its content (src/flow/arrowContent.ts): what a
 * step capturing one needs so another table's values never hit its runs.
 */
import { Dictionary, Int32, tableFromArrays, Utf8, vectorFromArray } from "apache-arrow"
import { describe, expect, it } from "vitest"
import { arrowContent } from "../../src/flow/arrowContent.js"

const table = (weight: number, name = "w") => tableFromArrays({ gene: ["a", "b"], [name]: Float64Array.from([1, weight]) })

describe("arrowContent", () => {
  it("is the same for the same content, built twice, and differs for another value, column name or type", () => {
    expect(arrowContent(table(2))).toBe(arrowContent(table(2)))
    expect(arrowContent(table(2))).toMatch(/^arrow /)
    const others = [table(3), table(2, "weight"), tableFromArrays({ gene: ["a", "b"], w: Float32Array.from([1, 2]) }), tableFromArrays({ gene: ["a", "c"], w: Float64Array.from([1, 2]) })]
    for (const t of others) expect(arrowContent(t)).not.toBe(arrowContent(table(2)))
  })

  it("reads record batches, vectors and dictionaries, and sees a value set in place", () => {
    const t = table(2)
    expect(arrowContent(t.batches[0])).toMatch(/^arrow /)
    expect(arrowContent(t.batches[0])).toBe(arrowContent(table(2).batches[0]))
    expect(arrowContent(t.batches[0])).not.toBe(arrowContent(table(3).batches[0]))
    const labels = (xs: ReadonlyArray<string>) => vectorFromArray(xs, new Dictionary(new Utf8(), new Int32()))
    expect(arrowContent(labels(["x", "y", "x"]))).toBe(arrowContent(labels(["x", "y", "x"])))
    expect(arrowContent(labels(["x", "y", "x"]))).not.toBe(arrowContent(labels(["x", "z", "x"])))
    const before = arrowContent(t)
    t.getChild("w")!.set(1, 9)
    expect(arrowContent(t)).not.toBe(before)
  })

  it("is undefined for what is not Arrow's", () => {
    for (const v of [null, 1, "t", [], {}, { schema: {}, batches: [{}] }, { type: "x", data: [1] }, new Map()]) expect(arrowContent(v)).toBeUndefined()
  })
})
