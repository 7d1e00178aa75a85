/**
 * A runner's step catalog (src/cluster/catalog.ts): exported steps by transform key.
 */
import { Effect } from "effect"
import { expect, it } from "vitest"
import { catalogOf } from "../../src/cluster/catalog.js"
import { InvalidArgument } from "../../src/errors.js"
import { step } from "../../src/flow/index.js"

const atLeast = (min: number) => step("at-least", (xs: ReadonlyArray<number>) => Effect.succeed(xs.filter((x) => x >= min)))

it("lists exported steps by key, nested in objects; one factory's steps made alike are one entry", () => {
  const catalog = catalogOf([{ low: atLeast(1), more: { again: atLeast(1) } }])
  expect([...catalog.keys()]).toEqual(["test/cluster/catalog.test.ts:at-least"])
})

it("refuses two exported steps of one key made with different values, naming what differs", () => {
  const e = (() => {
    try {
      catalogOf([{ low: atLeast(1), high: atLeast(10) }])
    } catch (x) {
      return x
    }
  })()
  expect(e).toBeInstanceOf(InvalidArgument)
  expect((e as InvalidArgument).message).toContain("Two exported steps have the transform key 'test/cluster/catalog.test.ts:at-least' but were made with different values (captured 'min')")
})
