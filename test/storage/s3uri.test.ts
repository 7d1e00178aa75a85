import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { b64ToB16, etagMatches, hashFromEtag } from "../../src/storage/etag.js"
import { folderPrefix, keyOfUri, objectKey, parseS3Root, rootUri } from "../../src/storage/s3uri.js"

describe("s3:// roots", () => {
  it("parses bucket and prefix", () => {
    expect(Effect.runSync(parseS3Root("s3://my-bucket/team/data/"))).toEqual({ bucket: "my-bucket", prefix: "team/data" })
    expect(Effect.runSync(parseS3Root("s3://my-bucket"))).toEqual({ bucket: "my-bucket", prefix: "" })
    for (const bad of ["s3://", "s3://A/x", "s3://ab/x", "s3://bucket//x", "s3://bucket/../x", "gs://bucket/x"])
      expect(Effect.runSync(Effect.flip(parseS3Root(bad)))._tag).toBe("InvalidArgument")
  })

  it("maps storage keys to object keys and back", () => {
    const loc = { bucket: "b-1", prefix: "p/q" }
    expect(rootUri(loc)).toBe("s3://b-1/p/q")
    expect(objectKey(loc, "raw/a.csv")).toBe("p/q/raw/a.csv")
    expect(folderPrefix(loc, "raw")).toBe("p/q/raw/")
    expect(folderPrefix(loc, "")).toBe("p/q/")
    expect(keyOfUri(loc, "s3://b-1/p/q/raw/a.csv")).toBe("raw/a.csv")
    expect(keyOfUri(loc, "s3://b-1/p/qr/a.csv")).toBeUndefined()
    expect(keyOfUri(loc, "s3://b-1/p/q/../x")).toBeUndefined()
    const whole = { bucket: "b-1", prefix: "" }
    expect(objectKey(whole, "x")).toBe("x")
    expect(folderPrefix(whole, "")).toBe("")
    expect(keyOfUri(whole, "s3://b-1/x/y")).toBe("x/y")
  })
})

describe("ETags as hashes (LaminDB's rules)", () => {
  it("reads plain and multipart ETags", () => {
    expect(hashFromEtag('"9b89c8c1acf79dba5b5341d1fff9806f"', 5)).toEqual({ hash: "m4nIwaz3nbpbU0HR__mAbw", hash_type: "md5", size: 5 })
    expect(hashFromEtag('"9B89C8C1ACF79DBA5B5341D1FFF9806F-12"', 5)).toEqual({ hash: "m4nIwaz3nbpbU0HR__mAbw", hash_type: "md5-12", size: 5 })
    expect(hashFromEtag('"not-an-md5"', 1)).toBeUndefined()
    expect(hashFromEtag(undefined, 1)).toBeUndefined()
    expect(b64ToB16("m4nIwaz3nbpbU0HR__mAbw")).toBe("9b89c8c1acf79dba5b5341d1fff9806f")
  })

  it("tells whether an ETag still stands for a recorded hash", () => {
    const md5 = { hash: "m4nIwaz3nbpbU0HR__mAbw", hash_type: "md5" as const, size: 5 }
    const md5n = { hash: "m4nIwaz3nbpbU0HR__mAbw", hash_type: "md5-3" as const, size: 5 }
    expect(etagMatches('"9b89c8c1acf79dba5b5341d1fff9806f"', md5)).toBe(true)
    expect(etagMatches('"0cc175b9c0f1b6a831c399e269772661"', md5)).toBe(false)
    expect(etagMatches('"9b89c8c1acf79dba5b5341d1fff9806f-3"', md5n)).toBe(true)
    expect(etagMatches('"0cc175b9c0f1b6a831c399e269772661-3"', md5n)).toBe(false)
    // A whole-content md5 cannot be compared with a multipart ETag.
    expect(etagMatches('"9b89c8c1acf79dba5b5341d1fff9806f-3"', md5)).toBeUndefined()
  })
})
