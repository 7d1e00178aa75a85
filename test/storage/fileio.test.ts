/**
 * `makeDirectory` (src/storage/fileio.ts): mkdir -p one level at a time, failing with the
 * system's error where Node's recursive mkdir would never return (`/proc`).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { makeDirectory } from "../../src/storage/fileio.js"

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-fileio-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it("makes every missing level, and accepts a folder that is there", () => {
  const deep = path.join(dir, "a", "b", "c")
  makeDirectory(deep)
  expect(statSync(deep).isDirectory()).toBe(true)
  expect(() => makeDirectory(deep)).not.toThrow()
})

it("refuses a file where a folder should be, itself or above it, and a folder the kernel will not make", () => {
  const file = path.join(dir, "f")
  writeFileSync(file, "x")
  expect(() => makeDirectory(file)).toThrow(/ENOTDIR/)
  expect(() => makeDirectory(path.join(file, "g"))).toThrow(/ENOTDIR/)
  expect(() => makeDirectory("/proc/lamina-no-such-folder")).toThrow(/ENOENT/)
})
