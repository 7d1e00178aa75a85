/**
 * Which param strings may name local files, and how a file a run left is checked again
 * (src/tracker/fileParams.ts).
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { filesChanged, filesOf, pathOf, signatureOf } from "../../src/tracker/fileParams.js"

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-fileparams-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it("takes strings with a slash or an extension as candidate paths, resolved (a relative one with its working directory); not URLs or other strings", () => {
  expect(pathOf("input", "data/counts.csv")).toEqual({ param: "input", path: path.resolve("data/counts.csv"), cwd: process.cwd() })
  expect(pathOf("input", "counts.csv")?.path).toBe(path.resolve("counts.csv"))
  expect(pathOf("p", "/abs/dir")).toEqual({ param: "p", path: "/abs/dir" })
  expect(pathOf("p", "s3://bucket/raw/a.csv")).toBeUndefined()
  expect(pathOf("p", "file:///tmp/a.csv")).toBeUndefined()
  expect(pathOf("p", "package")).toBeUndefined()
  expect(pathOf("p", "")).toBeUndefined()
  expect(pathOf("p", "a\nb.csv")).toBeUndefined()
})

it("keeps regular files by size and modification time, and says which changed or went", () => {
  const file = path.join(dir, "counts.csv")
  writeFileSync(file, "a,b\n")
  expect(signatureOf(file)).toMatch(/^4:\d+$/)
  expect(signatureOf(dir)).toBeUndefined()
  expect(signatureOf(path.join(dir, "missing.csv"))).toBeUndefined()
  const kept = filesOf([pathOf("input", file)!, pathOf("out", path.join(dir, "missing.csv"))!, { param: "dir", path: dir }])
  expect(kept).toEqual([{ param: "input", path: file, signature: expect.stringMatching(/^4:\d+$/), host: os.hostname() }])
  expect(filesChanged(kept)).toBeUndefined()
  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  expect(filesChanged(kept)).toMatch(new RegExp(`^the file '${file}' named by param 'input' changed \\(4 bytes, modified \\d{4}-.* → 4 bytes, modified \\d{4}-`))
  rmSync(file)
  expect(filesChanged(kept)).toBe(`the file '${file}' named by param 'input' is gone`)
  // A runner's file on another host, not here: only that host could tell.
  expect(filesChanged(kept.map((f) => ({ ...f, host: "runner-7" })))).toBeUndefined()
})
