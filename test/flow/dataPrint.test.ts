/**
 * Telling a captured object's change cheaply (src/flow/dataPrint.ts): a print that differs
 * whenever the plain data does, and whether the data can change at all.
 */
import { describe, expect, it } from "vitest"
import { dataPrint, deeplyFrozen } from "../../src/flow/dataPrint.js"

describe("dataPrint", () => {
  it("is the same for the same data and differs for every change the key form tells apart", () => {
    const data = () => ({ a: 1, b: ["x", { c: null, d: true }], e: 2n })
    expect(dataPrint(data())).toBe(dataPrint(data()))
    const pairs: ReadonlyArray<readonly [unknown, unknown]> = [
      [0, -0],
      [null, Number.NaN],
      [null, undefined],
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [1, "1"],
      [1n, 1],
      [true, "t"],
      [[undefined], [,]],
      [{}, { a: undefined }],
      [["a,b"], ["a", "b"]],
      [{ "a:1": 1 }, { a: 1 }],
      [["1:x"], ["1", "x"]],
      [{ a: [1] }, { a: [[1]] }],
      [[1, 2], [2, 1]],
      [new Map([[1, 2]]), new Map([[1, 3]])],
      [new Map([[1, 2]]), { 1: 2 }],
      [new Set([1]), new Set([2])],
      [new Set([1]), [1]],
      [new Set(["a"]), new Map([["a", undefined]])],
      [new Date(0), new Date(1)],
      [new Date(0), 0],
      [/a/, /a/i],
      [/a/, "/a/"]
    ]
    for (const [a, b] of pairs) expect(dataPrint(a), `${String(a)} vs ${String(b)}`).not.toBe(dataPrint(b))
  })

  it("has no print for what is not plain data, or is deeper than it reads", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    class Model {
      w = 1
    }
    for (const v of [new Model(), new Float64Array(1), Symbol("s"), { nested: new Model() }, new Map([[1, new Model()]]), cyclic])
      expect(dataPrint(v)).toBeUndefined()
    // A shared (not cyclic) object prints twice.
    const shared = { x: 1 }
    expect(dataPrint([shared, shared])).toBe(dataPrint([{ x: 1 }, { x: 1 }]))
  })

  it("prints a function by identity: the same one alike, another one (even of the same source) differently", () => {
    const f = () => 1
    const g = () => 1
    expect(dataPrint({ f, n: 1 })).toBe(dataPrint({ f, n: 1 }))
    expect(dataPrint({ f, n: 1 })).not.toBe(dataPrint({ f: g, n: 1 }))
    expect(dataPrint([f])).not.toBe(dataPrint([undefined]))
    // A class is a function too: two of the same source are told apart (undefined for both would not be).
    expect(dataPrint(class Model {})).not.toBe(dataPrint(class Model {}))
  })
})

describe("deeplyFrozen", () => {
  it("holds for frozen plain data all the way down, and nothing else", () => {
    const frozen = Object.freeze({ rows: Object.freeze([Object.freeze({ n: 1 }), 2, "s", null]) })
    expect(deeplyFrozen(frozen)).toBe(true)
    expect(deeplyFrozen(7)).toBe(true)
    expect(deeplyFrozen(Object.freeze({ rows: [1] }))).toBe(false)
    expect(deeplyFrozen({ n: 1 })).toBe(false)
    expect(deeplyFrozen(Object.freeze(new Map()))).toBe(false)
    expect(deeplyFrozen(Object.freeze(new Date(0)))).toBe(false)
    expect(deeplyFrozen(Object.freeze({ f: () => 1 }))).toBe(false)
    // A getter can answer differently at every read.
    expect(deeplyFrozen(Object.freeze({ get n() { return Math.random() } }))).toBe(false)
  })
})
