/**
 * What a completed call's reply carries (src/cluster/reply.ts): a plain result, which the
 * caller decodes as a hit would, without reading the run back; never a result a hit check
 * would have to look at (artifacts or records in it, or a run that loaded, created or re-saved
 * artifacts, or ran queries its caller must check again).
 */
import { describe, expect, it } from "vitest"
import { carriedValue, forCaller, replyResult } from "../../src/cluster/reply.js"
import { RunStatus } from "../../src/registry/Run.js"
import { decodeResult, encodeResult, type Json } from "../../src/tracker/canonical.js"
import { ENV_READ } from "../../src/tracker/fileParams.js"

const none = { created: new Set<number>(), recreated: new Set<number>(), loaded: new Set<number>() }
const closed = (value: unknown) => ({ status: RunStatus.completed, result: encodeResult(value) })

describe("a reply's result", () => {
  it("carries a plain result, decoded as a hit decodes it", () => {
    for (const value of [7, -0, "x", null, [1, { a: new Date(0) }], { nested: { n: 2n } }, new Map([["k", 1]])]) {
      const json = replyResult(closed(value), none)
      // The stored result itself, unchanged.
      expect(json).toEqual(encodeResult(value))
      const hit = decodeResult(encodeResult(value), { artifact: () => undefined as never, record: () => undefined })
      expect(carriedValue(json!)).toEqual({ value: hit })
    }
  })

  it("carries nothing a hit check would look at", () => {
    const artifactRef = { $lamina: "Artifact", uid: "abc" } as unknown as Json
    expect(replyResult({ status: RunStatus.completed }, none)).toBeUndefined()
    expect(replyResult(closed(1), { ...none, created: new Set([1]) })).toBeUndefined()
    expect(replyResult(closed(1), { ...none, recreated: new Set([1]) })).toBeUndefined()
    expect(replyResult(closed(1), { ...none, loaded: new Set([1]) })).toBeUndefined()
    expect(carriedValue(artifactRef)).toBeUndefined()
  })

  it("carries nothing when the run has queries, loads or files to pass on: the caller reads it back; the environment variables it read stay on the runner", () => {
    const query = { model: "ULabel", what: "ULabel.all()", sql: "SELECT 1", params: [], records: false, digest: "1:x" }
    const file = { param: "p", path: "/x.csv", signature: "1:1" }
    const variable = { param: ENV_READ, path: "FACTOR", signature: "h" }
    const with_ = (rechecked: { readonly queries?: ReadonlyArray<typeof query>; readonly files?: ReadonlyArray<typeof file>; readonly collections?: ReadonlyArray<number> }) => ({
      ...closed(1),
      rechecked: { loaded: [], collections: [], queries: [], files: [], ...rechecked }
    })
    expect(replyResult(with_({ queries: [query] }), none)).toBeUndefined()
    expect(replyResult(with_({ collections: [3] }), none)).toBeUndefined()
    expect(replyResult(with_({ files: [file] }), none)).toBeUndefined()
    expect(replyResult(with_({ files: [variable] }), none)).toEqual(encodeResult(1))
    expect(forCaller({ loaded: [], collections: [], queries: [], files: [file, variable] }).files).toEqual([file])
  })
})
