/**
 * The S3 store against s3rver on loopback: streaming uploads with whole-content md5, ranged
 * reads, folders, registration in place from ETags (multipart md5-N included), the verified
 * cache, retries, and the errors a user sees for a missing bucket, wrong credentials or an
 * unreachable endpoint.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3"
import * as SqlClient from "@effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { StorageError } from "../../src/errors.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { hashFile } from "../../src/storage/fileio.js"
import { hashBytes, hashFolder } from "../../src/storage/hash.js"
import { ObjectStore } from "../../src/storage/ObjectStore.js"
import * as S3 from "../../src/storage/s3.js"
import { connect, type TestInstance } from "../support/backends.js"
import { escapingKeyOutcomes } from "../support/escapingKeys.js"
import { startFlakyProxy, type FlakyProxy } from "../support/flakyProxy.js"
import { useS3Server } from "../support/s3.js"

const MIB = 1024 * 1024
const server = useS3Server()
const scratch = mkdtempSync(path.join(os.tmpdir(), "lamina-s3-test-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let bucket = ""
beforeAll(async () => {
  bucket = await server().createBucket()
})

const s3Settings = (endpoint = server().endpoint) => ({ endpoint, forcePathStyle: true })
const uniqueRoot = () => `s3://${bucket}/${randomBytes(4).toString("hex")}`

/** An S3 store on its own runtime. */
const openStore = async (config: Partial<S3.S3StoreConfig> = {}) => {
  const runtime = ManagedRuntime.make(S3.layer({ root: uniqueRoot(), ...s3Settings(), cacheDir: path.join(scratch, "cache"), ...config }))
  const store = await runtime.runPromise(ObjectStore)
  return { store, run: <A, E>(e: Effect.Effect<A, E>) => runtime.runPromise(e), close: () => runtime.dispose() }
}

/** The typed failure of making a store. */
const storeFailure = (config: S3.S3StoreConfig): Promise<StorageError> =>
  Effect.runPromise(Effect.flip(Effect.scoped(S3.make(config))))

const localFile = (name: string, content: Uint8Array | string) => {
  const p = path.join(scratch, "in", name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

const instances: Array<TestInstance> = []
afterAll(async () => {
  for (const i of instances) await i.close()
})
/** A Lamina instance (SQLite registry) on S3 storage, optionally through another endpoint. */
const lamina = async (endpoint?: string) => {
  const dir = mkdtempSync(path.join(scratch, "instance-"))
  const i = await connect("sqlite", uniqueRoot(), path.join(dir, "registry.db"), dir, s3Settings(endpoint))
  instances.push(i)
  return i
}

const save = (p: string, options: Parameters<typeof Artifact.fromPath>[1] = {}) =>
  Effect.flatMap(Artifact.fromPath(p, options), (pending) => pending.save())

/** Make s3rver report `etag` for an object (as real S3 does for a multipart upload). */
const setEtag = (objectKey: string, etag: string) =>
  writeFileSync(path.join(server().directory, bucket, `${objectKey}._S3rver_object.md5`), etag)

const objectKeyOf = (i: TestInstance, key: string) => i.uri(key).slice(`s3://${bucket}/`.length)

describe("S3 store", () => {
  it("uploads small and multipart files, hashing the whole content in the same pass", async () => {
    const s = await openStore({ partSize: 5 * MIB, concurrency: 3, maxBufferedParts: 4 })
    const small = localFile("small.txt", "abc")
    expect(await s.run(s.store.putFile(small, "a/small.txt"))).toEqual({ hash: "kAFQmDzST7DWlj99KOF_cg", hash_type: "md5", size: 3 })
    const bytes = randomBytes(12 * MIB + 3)
    const big = localFile("big.bin", bytes)
    const h = await s.run(s.store.putFile(big, "a/big.bin"))
    expect(h).toEqual(await hashFile(big))
    expect(h.hash_type).toBe("md5")
    expect(Buffer.from(await s.run(s.store.read("a/big.bin"))).equals(bytes)).toBe(true)
    expect(await s.run(s.store.exists("a/big.bin"))).toBe(true)
    expect(await s.run(s.store.exists("a"))).toBe(false)
    const listed = await s.run(s.store.list("a"))
    expect(listed.map(({ key, size }) => ({ key, size }))).toEqual([
      { key: "a/big.bin", size: bytes.length },
      { key: "a/small.txt", size: 3 }
    ])
    // Listings carry the modification time (what `gc` and `check` judge an orphan's age by).
    expect(listed.every((o) => o.modifiedAt instanceof Date && Math.abs(o.modifiedAt.getTime() - Date.now()) < 600_000)).toBe(true)
    await s.close()
  })

  it("reads byte ranges without fetching the whole object", async () => {
    const s = await openStore({ partSize: 5 * MIB })
    const bytes = randomBytes(11 * MIB)
    await s.run(s.store.putFile(localFile("ranged.bin", bytes), "ranged.bin"))
    const range = (a: number, b: number) => s.run(s.store.readRange("ranged.bin", a, b)).then((r) => Buffer.from(r))
    expect((await range(0, 10)).equals(bytes.subarray(0, 10))).toBe(true)
    expect((await range(5 * MIB - 3, 5 * MIB + 3)).equals(bytes.subarray(5 * MIB - 3, 5 * MIB + 3))).toBe(true)
    expect((await range(11 * MIB - 4, 11 * MIB + 100)).equals(bytes.subarray(11 * MIB - 4))).toBe(true)
    expect((await range(11 * MIB, 11 * MIB + 5)).length).toBe(0)
    expect((await range(7, 7)).length).toBe(0)
    expect((await Effect.runPromise(Effect.flip(s.store.readRange("ranged.bin", -1, 3))))._tag).toBe("InvalidArgument")
    expect((await Effect.runPromise(Effect.flip(s.store.readRange("missing.bin", 0, 3)))).message).toMatch(/does not exist/)
    await s.close()
  })

  it("stores folders as prefixes: put, hash, move, remove", async () => {
    const s = await openStore()
    const dir = path.join(scratch, "folder-src")
    mkdirSync(path.join(dir, "sub"), { recursive: true })
    writeFileSync(path.join(dir, "x.txt"), "a")
    writeFileSync(path.join(dir, "sub", "y.txt"), "b")
    const summary = await s.run(s.store.putFolder(dir, "f"))
    const expected = { hash: hashFolder(["DMF1ucDxtqgxw5niaXcmYQ", "kutf_uauL-w61xx3dTFXjw"]), hash_type: "md5-d", size: 2, n_files: 2 }
    expect(summary).toEqual(expected)
    expect(await s.run(s.store.hashFolder("f"))).toEqual(expected)
    await s.run(s.store.move("f", "g"))
    expect((await s.run(s.store.list("g"))).map((o) => o.key)).toEqual(["g/sub/y.txt", "g/x.txt"])
    expect(await s.run(s.store.list("f"))).toEqual([])
    await s.run(s.store.move("g/x.txt", "h.txt"))
    expect(await s.run(s.store.exists("h.txt"))).toBe(true)
    await s.run(s.store.remove("g"))
    await s.run(s.store.remove("h.txt"))
    await s.run(s.store.remove("never-there"))
    expect(await s.run(s.store.list(""))).toEqual([])
    await s.close()
  })

  it("maps keys and URIs inside its root only", async () => {
    const s = await openStore({ root: `s3://${bucket}/team/data` })
    expect(s.store.root).toBe(`s3://${bucket}/team/data`)
    expect(s.store.uri("raw/a.csv")).toBe(`s3://${bucket}/team/data/raw/a.csv`)
    expect(s.store.keyOf(`s3://${bucket}/team/data/raw/a.csv`)).toBe("raw/a.csv")
    expect(s.store.keyOf(`s3://${bucket}/team/data/raw/`)).toBe("raw")
    expect(s.store.keyOf(`s3://${bucket}/team/data`)).toBeUndefined()
    expect(s.store.keyOf(`s3://${bucket}/team/database/x`)).toBeUndefined()
    expect(s.store.keyOf(`s3://other-bucket/team/data/x`)).toBeUndefined()
    expect(s.store.keyOf("/team/data/x")).toBeUndefined()
    await s.close()
  })

  it("refuses keys that could leave its root in every method, before any request", async () => {
    const s = await openStore()
    const input = localFile("guarded.txt", "new")
    await s.run(s.store.putBytes("inside.txt", new Uint8Array([1])))
    expect(await escapingKeyOutcomes(s.store, s.run, input)).toEqual([])
    expect(await s.run(s.store.exists("inside.txt"))).toBe(true)
    await s.close()
  })
})

describe("registering S3 objects in place", () => {
  it("takes the hash from a plain ETag (md5) without copying", async () => {
    const i = await lamina()
    await i.putRaw("raw/a.txt", "a")
    const a = await i.run(save(i.uri("raw/a.txt"), { description: "in place" }))
    expect(a).toMatchObject({ key: "raw/a.txt", hash: "DMF1ucDxtqgxw5niaXcmYQ", hash_type: "md5", size: 1, suffix: ".txt", _key_is_virtual: false })
    expect(await i.run(a.path)).toBe(i.uri("raw/a.txt"))
    expect(await i.storedKeys("")).toEqual(["raw/a.txt"])
    expect(Buffer.from(await i.run(a.load())).toString()).toBe("a")
  })

  it("takes md5-N from a multipart ETag, and verifies the cache against the ETag", async () => {
    const i = await lamina()
    await i.putRaw("raw/big.bin", "pretend this came from a multipart upload")
    setEtag(objectKeyOf(i, "raw/big.bin"), "9b89c8c1acf79dba5b5341d1fff9806f-3")
    const a = await i.run(save(i.uri("raw/big.bin")))
    expect(a).toMatchObject({ hash: "m4nIwaz3nbpbU0HR__mAbw", hash_type: "md5-3", size: 41 })
    const local = await i.run(a.cache())
    expect(readFileSync(local, "utf8")).toBe("pretend this came from a multipart upload")
    // The object is replaced behind Lamina's back; a fresh download notices.
    setEtag(objectKeyOf(i, "raw/big.bin"), "0cc175b9c0f1b6a831c399e269772661-3")
    rmSync(local)
    const e = await i.fail(a.cache())
    expect(e).toMatchObject({ _tag: "StorageError" })
    expect((e as StorageError).message).toMatch(/changed outside Lamina/)
  })

  it("registers a prefix as a folder (md5-d over the ETags) and caches it", async () => {
    const i = await lamina()
    await i.putRaw("rawdir/x.txt", "a")
    await i.putRaw("rawdir/sub/y.txt", "b")
    const f = await i.run(save(`${i.uri("rawdir")}/`))
    expect(f).toMatchObject({ key: "rawdir", hash: hashFolder(["DMF1ucDxtqgxw5niaXcmYQ", "kutf_uauL-w61xx3dTFXjw"]), hash_type: "md5-d", n_files: 2, size: 2 })
    expect(f.isFolder).toBe(true)
    const local = await i.run(f.cache())
    expect(readFileSync(path.join(local, "sub", "y.txt"), "utf8")).toBe("b")
  })

  it("rejects URIs outside the storage root and missing objects", async () => {
    const i = await lamina()
    expect((await i.fail(Artifact.fromPath(`s3://${bucket}/elsewhere/x.txt`)))._tag).toBe("InvalidArgument")
    expect((await i.fail(Artifact.fromPath(i.uri("nothing/here.txt"))))._tag).toBe("StorageError")
    expect((await Effect.runPromise(Effect.flip(Artifact.fromPath(i.uri("x.txt")))))._tag).toBe("InvalidArgument")
  })
})

describe("the local cache", () => {
  it("reuses a verified copy, re-downloads a stale one, refuses an object changed behind Lamina's back", async () => {
    const i = await lamina()
    const a = await i.run(save(localFile("hello.txt", "hello"), { key: "greetings/hello.txt" }))
    const local = await i.run(a.cache())
    expect(local.startsWith(path.join(i.dir, "cache", bucket))).toBe(true)
    expect(readFileSync(local, "utf8")).toBe("hello")
    const objectKey = objectKeyOf(i, a.storageKey)

    // A verified copy is served without asking S3: even with the object gone.
    const original = await server().client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }))
    const originalBytes = await original.Body!.transformToByteArray()
    await server().client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey }))
    expect(await i.run(a.cache())).toBe(local)
    await server().client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: originalBytes }))

    // A cached copy edited locally is stale: re-downloaded.
    writeFileSync(local, "HELLO")
    expect(await i.run(a.cache())).toBe(local)
    expect(readFileSync(local, "utf8")).toBe("hello")

    // The object changed in S3 and the cache is stale: an error, not the new bytes.
    await server().client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: "jello" }))
    writeFileSync(local, "stale")
    const e = await i.fail(a.load())
    expect(e).toMatchObject({ _tag: "StorageError" })
    expect((e as StorageError).message).toMatch(/changed outside Lamina.*recorded/)
    expect(readFileSync(local, "utf8")).toBe("stale")
  })

  it("verifies and refreshes cached folders", async () => {
    const i = await lamina()
    const dir = path.join(scratch, "cache-folder")
    mkdirSync(path.join(dir, "sub"), { recursive: true })
    writeFileSync(path.join(dir, "x.txt"), "a")
    writeFileSync(path.join(dir, "sub", "y.txt"), "b")
    const f = await i.run(save(dir, { key: "folders/f" }))
    const local = await i.run(f.cache())
    expect(readFileSync(path.join(local, "sub", "y.txt"), "utf8")).toBe("b")
    writeFileSync(path.join(local, "sub", "y.txt"), "B")
    writeFileSync(path.join(local, "extra.txt"), "not part of it")
    expect(await i.run(f.cache())).toBe(local)
    expect(readFileSync(path.join(local, "sub", "y.txt"), "utf8")).toBe("b")
    expect(() => readFileSync(path.join(local, "extra.txt"))).toThrow()
  })
})

describe("S3 failures", () => {
  it("a missing bucket: says to create it or fix the root", async () => {
    const e = await storeFailure({ root: "s3://no-such-bucket-lamina/x", ...s3Settings() })
    expect(e._tag).toBe("StorageError")
    expect(e.message).toMatch(/bucket 'no-such-bucket-lamina' does not exist at http:\/\/127\.0\.0\.1:\d+\. Create it/)
  })

  it("wrong credentials: says which settings to check, and never shows the secret", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }
    process.env.AWS_ACCESS_KEY_ID = "AKIAWRONGWRONGWRONG1"
    process.env.AWS_SECRET_ACCESS_KEY = "wrong-secret-never-printed"
    try {
      const e = await storeFailure({ root: `s3://${bucket}/x`, ...s3Settings() })
      expect(e.message).toMatch(/S3 refused the credentials.*AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY or AWS_PROFILE/)
      expect(JSON.stringify(e)).not.toContain("wrong-secret-never-printed")
      expect(JSON.stringify(e)).not.toContain("AKIAWRONGWRONGWRONG1")
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret
    }
  })

  it("an unreachable endpoint: retried, then a StorageError naming the endpoint", async () => {
    // A port that was just free: nothing listens there.
    const probe = http.createServer()
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const e = await storeFailure({ root: `s3://${bucket}/x`, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, retry: { attempts: 3, baseDelayMs: 1 } })
    expect(e.message).toMatch(new RegExp(`after 3 attempts: cannot reach the S3 endpoint http://127.0.0.1:${port} \\(ECONNREFUSED\\)`))
  })

  it("an invalid root says what a valid one looks like", async () => {
    expect((await storeFailure({ root: "s3://Bad_Bucket/x" })).message).toMatch(/not a valid S3 storage root/)
  })
})

describe("S3 over a flaky network", () => {
  let proxy: FlakyProxy | undefined
  afterAll(async () => proxy?.close())

  it("retries transient failures (resets, 503s) and still stores the right bytes", async () => {
    // Every third request loses its connection, every fifth gets a 503.
    proxy = await startFlakyProxy(server().endpoint, ({ n }) => (n > 0 && n % 3 === 0 ? "reset" : n > 0 && n % 5 === 0 ? "503" : "pass"))
    const s = await openStore({ ...s3Settings(proxy.endpoint), partSize: 5 * MIB, retry: { attempts: 6, baseDelayMs: 1 } })
    const bytes = randomBytes(16 * MIB)
    const h = await s.run(s.store.putFile(localFile("flaky.bin", bytes), "flaky.bin"))
    expect(h).toEqual(hashBytes(bytes))
    expect(Buffer.from(await s.run(s.store.read("flaky.bin"))).equals(bytes)).toBe(true)
    expect(proxy.log.filter((r) => r.action !== "pass").length).toBeGreaterThan(0)
    await s.close()
    await proxy.close()
    proxy = undefined
  })

  it("leaves no row, no object and no claimed slot when an upload fails for good", async () => {
    // Part 2 of every multipart upload always fails.
    proxy = await startFlakyProxy(server().endpoint, ({ method, url }) => (method === "PUT" && /[?&]partNumber=2(&|$)/.test(url) ? "503" : "pass"))
    const saved = { attempts: process.env.LAMINA_S3_MAX_ATTEMPTS, base: process.env.LAMINA_S3_RETRY_BASE_MS }
    process.env.LAMINA_S3_MAX_ATTEMPTS = "3"
    process.env.LAMINA_S3_RETRY_BASE_MS = "1"
    try {
      const i = await lamina(proxy.endpoint)
      const v0 = await i.run(save(localFile("v0.txt", "version 0"), { key: "big/data.bin" }))
      const e = await i.fail(save(localFile("v1.bin", randomBytes(12 * MIB)), { key: "big/data.bin" }))
      expect(e).toMatchObject({ _tag: "StorageError" })
      expect((e as StorageError).message).toMatch(/Uploading part 2\/2 of '.*' failed after 3 attempts/)
      expect((await i.run(Artifact.filter().toArray())).map((a) => a.uid)).toEqual([v0.uid])
      expect(await i.storedKeys(".lamina")).toEqual([v0.storageKey])
      const slots = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT uid FROM lamina_artifact_slot`))
      expect(slots).toEqual([])
      // The next version takes the next number: nothing was burnt.
      const v1 = await i.run(save(localFile("v1b.txt", "version 1"), { key: "big/data.bin" }))
      expect(v1.version).toBe("0001")
    } finally {
      process.env.LAMINA_S3_MAX_ATTEMPTS = saved.attempts
      process.env.LAMINA_S3_RETRY_BASE_MS = saved.base
      if (saved.attempts === undefined) delete process.env.LAMINA_S3_MAX_ATTEMPTS
      if (saved.base === undefined) delete process.env.LAMINA_S3_RETRY_BASE_MS
    }
  })
})
