/**
 * Which incomplete multipart uploads `gc` aborts: those started at least the minimum age ago;
 * one without a start time is never guessed old. (Against a server, see check.test.ts: s3rver
 * does not implement ListMultipartUploads.)
 */
import { describe, expect, it } from "vitest"
import { staleUploads } from "../../src/integrity/gc.js"

describe("staleUploads", () => {
  it("keeps uploads younger than the minimum age and those without a start time", () => {
    const now = Date.UTC(2026, 0, 1, 12)
    const hour = 3_600_000
    const uploads = [
      { key: ".lamina/a.bin", uploadId: "1", initiated: new Date(now - 2 * hour) },
      { key: ".lamina/b.bin", uploadId: "2", initiated: new Date(now - hour) },
      { key: ".lamina/c.bin", uploadId: "3", initiated: new Date(now - hour + 1) },
      { key: ".lamina/d.bin", uploadId: "4" }
    ]
    expect(staleUploads(uploads, now, hour).map((u) => u.uploadId)).toEqual(["1", "2"])
    expect(staleUploads(uploads, now, 0).map((u) => u.uploadId)).toEqual(["1", "2", "3"])
  })
})
