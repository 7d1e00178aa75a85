import { describe, expect, it } from "vitest"
import { randomBytesPooled } from "../src/random.js"

describe("randomBytesPooled", () => {
  it("hands out each pooled byte once, across refills, with the requested lengths", () => {
    // 3,000 draws of 6 bytes span several 4 KiB refills; a repeated or overlapping slice
    // would show up as a duplicate (the chance of a true 48-bit collision here is ~1e-8).
    const seen = new Set<string>()
    for (let i = 0; i < 3000; i++) {
      const b = randomBytesPooled(6)
      expect(b.length).toBe(6)
      seen.add(b.toString("hex"))
    }
    expect(seen.size).toBe(3000)
  })

  it("returns copies: later draws do not change an earlier result", () => {
    const first = randomBytesPooled(16)
    const copy = Buffer.from(first)
    for (let i = 0; i < 600; i++) randomBytesPooled(8)
    expect(first.equals(copy)).toBe(true)
  })

  it("serves requests larger than the pool", () => {
    const big = randomBytesPooled(10_000)
    expect(big.length).toBe(10_000)
    expect(new Set(big).size).toBeGreaterThan(200)
  })
})
