/**
 * Which param strings may name local files, and how a file a run left is checked again
 * (src/tracker/fileParams.ts).
 */
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, utimesSync, writeFileSync, writeSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { filesChanged, filesOf, pathOf, RECENT_HASH_LIMIT, signatureOf } from "../../src/tracker/fileParams.js"

const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-fileparams-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const hourAgo = () => new Date(Date.now() - 3_600_000)

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
  // Last modified an hour ago: size and time tell any later edit.
  utimesSync(file, hourAgo(), hourAgo())
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

it("keeps the content's hash of a file modified within 2 s of signing (a coarse file clock keeps the time through an edit in the same tick), and checks it", () => {
  const file = path.join(dir, "recent.csv")
  const tick = new Date()
  writeFileSync(file, "s1,1\n")
  utimesSync(file, tick, tick)
  const kept = filesOf([pathOf("input", file)!])
  expect(kept[0]!.signature).toMatch(/^5:\d+:[A-Za-z0-9_-]{22}$/)
  expect(filesChanged(kept)).toBeUndefined()
  writeFileSync(file, "s1,2\n")
  utimesSync(file, tick, tick)
  expect(signatureOf(file)!.split(":").slice(0, 2)).toEqual(kept[0]!.signature.split(":").slice(0, 2))
  expect(filesChanged(kept)).toBe(`the file '${file}' named by param 'input' changed (the same size and modification time, other content)`)
  // Aged, it is kept by size and time alone again.
  utimesSync(file, hourAgo(), hourAgo())
  expect(filesOf([pathOf("input", file)!])[0]!.signature).toMatch(/^5:\d+$/)
})

it("hashes chunks spread over a recently modified file above 64 MiB, not all of it", () => {
  const file = path.join(dir, "large.bin")
  const tick = new Date()
  writeFileSync(file, "")
  truncateSync(file, RECENT_HASH_LIMIT + 1)
  utimesSync(file, tick, tick)
  const kept = filesOf([pathOf("input", file)!])
  expect(kept[0]!.signature).toMatch(/^\d+:\d+:sampled-[A-Za-z0-9_-]{22}$/)
  expect(filesChanged(kept)).toBeUndefined()
  // Rewritten in the same tick: its last byte differs.
  const fd = openSync(file, "r+")
  writeSync(fd, "x", RECENT_HASH_LIMIT)
  closeSync(fd)
  utimesSync(file, tick, tick)
  expect(filesChanged(kept)).toBe(`the file '${file}' named by param 'input' changed (the same size and modification time, other content)`)
  utimesSync(file, hourAgo(), hourAgo())
  const aged = filesOf([pathOf("input", file)!])
  expect(aged[0]!.signature).toMatch(/^\d+:\d+$/)
  expect(filesChanged(aged)).toBeUndefined()
})
