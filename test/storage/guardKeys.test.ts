/**
 * Keys that try to leave a store's root (src/storage/guardKeys.ts): refused by every method of a
 * local store, with nothing outside the root read, written or removed. (S3: s3.test.ts.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { escapeOf } from "../../src/storage/guardKeys.js"
import * as Local from "../../src/storage/local.js"
import { escapingKeyOutcomes } from "../support/escapingKeys.js"

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-keys-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("keys that could leave the storage root", () => {
  it("are told apart from the registry's own keys", () => {
    for (const key of ["raw/a.csv", ".lamina/x", "a..b/c", "..x", "folder/", ""]) expect(escapeOf(key)).toBeUndefined()
    expect(escapeOf("../a")).toContain("'..'")
    expect(escapeOf("a/../../b")).toContain("'..'")
    expect(escapeOf("/abs")).toContain("relative")
    expect(escapeOf("a\\b")).toContain("relative")
    expect(escapeOf("D:/x")).toContain("relative")
    expect(escapeOf("x:y.csv")).toBeUndefined()
    expect(escapeOf("a\0")).toContain("NUL")
  })

  it("are refused by every method of a local store, and nothing outside its root is touched", async () => {
    const root = path.join(dir, "store")
    mkdirSync(root, { recursive: true })
    const outside = path.join(dir, "outside.txt")
    writeFileSync(outside, "keep me")
    writeFileSync(path.join(root, "inside.txt"), "inside")
    const input = path.join(dir, "input.txt")
    writeFileSync(input, "new")
    const store = Local.make(root)
    expect(await escapingKeyOutcomes(store, Effect.runPromise, input)).toEqual([])
    expect(readFileSync(outside, "utf8")).toBe("keep me")
    expect(readFileSync(path.join(root, "inside.txt"), "utf8")).toBe("inside")
    expect(existsSync(`${input}.copy`)).toBe(false)
    // The same methods still work for a key inside.
    expect(await Effect.runPromise(store.exists("inside.txt"))).toBe(true)
  })
})
