/**
 * Which param strings name local files (src/tracker/fileParams.ts), and how they are described.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { describeSignature, fileNamed } from "../../src/tracker/fileParams.js"

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-fileparams-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it("finds regular files by absolute or relative path, by size and modification time", () => {
  const file = path.join(dir, "counts.csv")
  writeFileSync(file, "a,b\n")
  const found = fileNamed("input", file)
  expect(found).toEqual({ param: "input", path: file, signature: expect.stringMatching(/^4:\d+$/) })
  expect(fileNamed("input", path.relative(process.cwd(), file))?.path).toBe(file)
  expect(describeSignature(found!.signature)).toMatch(/^4 bytes, modified \d{4}-\d\d-\d\dT/)
})

it("leaves folders, missing files, URLs and strings that are no paths alone", () => {
  writeFileSync(path.join(dir, "README"), "x")
  expect(fileNamed("p", dir)).toBeUndefined()
  expect(fileNamed("p", path.join(dir, "missing.csv"))).toBeUndefined()
  expect(fileNamed("p", `file://${path.join(dir, "README")}`)).toBeUndefined()
  expect(fileNamed("p", "s3://bucket/raw/a.csv")).toBeUndefined()
  // No slash and no extension: not looked up, even when such a file exists in the working folder.
  expect(fileNamed("p", "package")).toBeUndefined()
  expect(fileNamed("p", "")).toBeUndefined()
  expect(fileNamed("p", "a\nb.csv")).toBeUndefined()
  expect(fileNamed("p", "package.json")?.path).toBe(path.resolve("package.json"))
})
