import { describe, expect, it } from "vitest"
import { base62, incrementBase62, newFamilyUid, splitUid } from "../../src/registry/uid.js"

describe("uid", () => {
  it("increments base62 suffixes like LaminDB", () => {
    expect(incrementBase62("0000")).toBe("0001")
    expect(incrementBase62("0009")).toBe("000A")
    expect(incrementBase62("000Z")).toBe("000a")
    expect(incrementBase62("000z")).toBe("0010")
    expect(incrementBase62("0zzz")).toBe("1000")
    expect(() => incrementBase62("zzzz")).toThrow(/overflow/)
  })
  it("makes random base62 stems with a 0000 suffix", () => {
    const uid = newFamilyUid(20)
    expect(uid).toMatch(/^[0-9A-Za-z]{16}0000$/)
    expect(splitUid(uid).suffix).toBe("0000")
    expect(new Set(Array.from({ length: 1000 }, () => base62(16))).size).toBe(1000)
  })
})
