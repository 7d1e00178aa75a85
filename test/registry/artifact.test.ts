import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { Artifact } from "../../src/registry/Artifact.js"
import { describeBackends, type TestInstance } from "../support/backends.js"

const file = (i: TestInstance, name: string, content: string | Buffer) => {
  const p = path.join(i.dir, "inputs", name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

const save = (p: string, options: Parameters<typeof Artifact.fromPath>[1]) =>
  Effect.flatMap(Artifact.fromPath(p, options), (pending) => pending.save())

/** Objects under the storage root's .lamina folder, temporary names included. */
const stored = async (i: TestInstance) =>
  (await i.storedKeys(".lamina")).map((k) => k.slice(".lamina/".length)).filter((f) => !f.endsWith(".db") && !f.includes(".db-"))

describeBackends("Artifact", ({ instance }) => {
  it("saves a file: hash, size, suffix, uid, layout", async () => {
    const i = await instance()
    const a = await i.run(save(file(i, "a.txt", "a"), { key: "raw/a.txt", description: "letter a" }))
    expect(a.uid).toMatch(/^[0-9A-Za-z]{16}0000$/)
    expect(a).toMatchObject({ key: "raw/a.txt", hash: "DMF1ucDxtqgxw5niaXcmYQ", hash_type: "md5", size: 1, suffix: ".txt", n_files: 1, is_latest: true, branch: 1 })
    expect(a.version).toBe("0000")
    const p = await i.run(a.path)
    expect(p).toBe(i.uri(`.lamina/${a.uid}.txt`))
    expect(Buffer.from(await i.run(a.load())).toString()).toBe("a")
    const local = await i.run(a.cache())
    if (i.storageKind === "local") expect(local).toBe(p)
    expect(readFileSync(local, "utf8")).toBe("a")
    expect(a.toJSON(i.storage)).toMatchObject({ uid: a.uid, key: "raw/a.txt", version: "0000", path: p })
  })

  it("a save inside a caller's transaction joins it: rolled back with it, kept when it commits", async () => {
    const i = await instance()
    const inTransaction = <A, E, R>(body: Effect.Effect<A, E, R>) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(body))
    // SQLite saves a new family on the raw connection; inside a transaction it must join it.
    const aborted = await i.run(Effect.either(inTransaction(Effect.zipRight(save(file(i, "tx-a.txt", "tx a"), { key: "tx/a.txt" }), Effect.fail("abort" as const)))))
    expect(aborted._tag).toBe("Left")
    expect(await i.run(Artifact.filter({ key: "tx/a.txt" }).count())).toBe(0)
    const kept = await i.run(inTransaction(save(file(i, "tx-b.txt", "tx b"), { key: "tx/b.txt" })))
    expect(await i.run(Artifact.filter({ key: "tx/b.txt" }).count())).toBe(1)
    expect(kept.key).toBe("tx/b.txt")
  })

  it("versions by key: same stem, next suffix, one is_latest", async () => {
    const i = await instance()
    const uids: Array<string> = []
    for (let n = 0; n < 12; n++) uids.push((await i.run(save(file(i, "v.txt", `content ${n}`), { key: "v.txt" }))).uid)
    const stem = uids[0]!.slice(0, 16)
    expect(uids.map((u) => u.slice(16))).toEqual(["0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "000A", "000B"])
    expect(uids.every((u) => u.startsWith(stem))).toBe(true)
    const latest = await i.run(Artifact.get({ key: "v.txt" }))
    expect(latest.uid).toBe(uids[11])
    const versions = await i.run(latest.versions)
    expect(versions.map((v) => v.uid)).toEqual(uids)
    expect(versions.filter((v) => v.is_latest).map((v) => v.uid)).toEqual([uids[11]])
    expect((await i.run(Artifact.get(stem))).uid).toBe(uids[11])
    expect((await i.run(Artifact.get(uids[3]!))).uid).toBe(uids[3])
    // Each version's bytes sit under its own uid (on a local store they move there inside the save).
    expect(await stored(i)).toEqual([...uids].sort().map((u) => `${u}.txt`))
    expect(Buffer.from(await i.run((await i.run(Artifact.get(uids[3]!))).load())).toString()).toBe("content 3")
  })

  it("returns the existing artifact for the same content, keeping its key", async () => {
    const i = await instance()
    const a = await i.run(save(file(i, "x.txt", "same"), { key: "x.txt" }))
    const b = await i.run(save(file(i, "y.txt", "same"), { key: "y.txt", description: "updated" }))
    expect(b.uid).toBe(a.uid)
    expect(b.key).toBe("x.txt")
    expect(b.description).toBe("updated")
    expect(await i.run(Artifact.filter({ hash: a.hash }).toArray())).toHaveLength(1)
    expect(await stored(i)).toEqual([`${a.uid}.txt`])
  })

  it("keeps two empty files with different keys as two artifacts", async () => {
    const i = await instance()
    const a = await i.run(save(file(i, "e1", ""), { key: "e1" }))
    const b = await i.run(save(file(i, "e2", ""), { key: "e2" }))
    expect(a.uid).not.toBe(b.uid)
    expect(a.hash).toBe(b.hash)
  })

  it("saves folders with md5-d hashes under one prefix per version", async () => {
    const i = await instance()
    const dir = path.join(i.dir, "folder")
    mkdirSync(path.join(dir, "sub"), { recursive: true })
    writeFileSync(path.join(dir, "a.txt"), "a")
    writeFileSync(path.join(dir, "sub", "b.txt"), "b")
    const f = await i.run(save(dir, { key: "folders/f" }))
    expect(f).toMatchObject({ hash_type: "md5-d", n_files: 2, size: 2 })
    const local = await i.run(f.cache())
    expect(existsSync(path.join(local, "sub", "b.txt"))).toBe(true)
    writeFileSync(path.join(dir, "c.txt"), "c")
    const g = await i.run(save(dir, { key: "folders/f" }))
    expect(g.uid.slice(0, 16)).toBe(f.uid.slice(0, 16))
    expect(g.n_files).toBe(3)
    // the old version's bytes are untouched
    expect(existsSync(path.join(local, "c.txt"))).toBe(false)
  })

  it("saves a folder's links to files as their content; a dangling link fails the save, storing nothing", async () => {
    const i = await instance()
    const target = file(i, "outside/target.txt", "linked")
    const dir = path.dirname(file(i, "linked/a.txt", "a"))
    symlinkSync(target, path.join(dir, "b.txt"))
    const a = await i.run(save(dir, { key: "linked" }))
    expect(a).toMatchObject({ n_files: 2, size: 7 })
    expect(await i.storedKeys(`.lamina/${a.uid}`)).toEqual([`.lamina/${a.uid}/a.txt`, `.lamina/${a.uid}/b.txt`])
    const broken = path.dirname(file(i, "broken/a.txt", "a2"))
    symlinkSync(path.join(i.dir, "nowhere.txt"), path.join(broken, "gone.txt"))
    const e = await i.fail(save(broken, { key: "broken" }))
    expect(e._tag).toBe("StorageError")
    expect(e.message).toContain("'gone.txt'")
    expect(e.message).toContain("a link to nothing")
    expect(await i.run(Artifact.filter().count())).toBe(1)
    expect((await stored(i)).filter((f) => !f.startsWith(a.uid))).toEqual([])
  })

  it("registers a path inside storage in place, without a copy", async () => {
    const i = await instance()
    await i.putRaw("raw/in-place.csv", "x,y\n1,2\n")
    const p = i.uri("raw/in-place.csv")
    const a = await i.run(save(p, {}))
    expect(a.key).toBe("raw/in-place.csv")
    expect(a._key_is_virtual).toBe(false)
    expect(a).toMatchObject({ hash: "NE_SMj3TPVwFi3zyfeAp6A", hash_type: "md5", size: 8 })
    expect(await i.run(a.path)).toBe(p)
    expect(await stored(i)).toEqual([])
    const err = await i.fail(save(p, { key: "other.csv" }))
    expect(err._tag).toBe("InvalidArgument")
  })

  it("moves to trash, hides it, promotes the previous version, restores, deletes permanently", async () => {
    const i = await instance()
    const v1 = await i.run(save(file(i, "t.txt", "1"), { key: "t.txt" }))
    const v2 = await i.run(save(file(i, "t.txt", "2"), { key: "t.txt" }))
    await i.run(v2.delete())
    expect((await i.run(Artifact.get({ key: "t.txt" }))).uid).toBe(v1.uid)
    expect(await i.run(Artifact.filter({ key: "t.txt" }).toArray())).toHaveLength(1)
    expect((await i.run(Artifact.filter({ uid: v2.uid }).toArray()))[0]!.branch).toBe(-1)
    const restored = await i.run((await i.run(Artifact.get(v2.uid))).restore())
    expect(restored).toMatchObject({ branch: 1, is_latest: true })
    expect((await i.run(Artifact.get({ key: "t.txt" }))).uid).toBe(v2.uid)
    expect(await i.exists(v2.storageKey)).toBe(true)
    await i.run(restored.delete({ permanent: true }))
    expect(await i.exists(v2.storageKey)).toBe(false)
    expect((await i.fail(Artifact.get(v2.uid)))._tag).toBe("DoesNotExist")
    expect((await i.run(Artifact.get({ key: "t.txt" }))).uid).toBe(v1.uid)
    // with every version in trash, the key starts a new family (LaminDB's lookup skips trash)
    await i.run(v1.delete())
    const v3 = await i.run(save(file(i, "t.txt", "3"), { key: "t.txt" }))
    expect(v3.uid).not.toBe(v1.uid)
    expect(v3.is_latest).toBe(true)
  })

  it("filters by exact fields and key__startswith", async () => {
    const i = await instance()
    await i.run(save(file(i, "1", "1"), { key: "raw/2025/a" }))
    await i.run(save(file(i, "2", "2"), { key: "raw/2024/b" }))
    await i.run(save(file(i, "3", "3"), { key: "processed/c" }))
    await i.run(save(file(i, "4", "4"), { key: "raw_%/d" }))
    const keys = async (spec: Record<string, unknown>) => (await i.run(Artifact.filter(spec).toArray())).map((a) => a.key).sort()
    expect(await keys({ key__startswith: "raw/" })).toEqual(["raw/2024/b", "raw/2025/a"])
    expect(await keys({ key__startswith: "raw_%" })).toEqual(["raw_%/d"])
    expect(await keys({ key: "processed/c" })).toEqual(["processed/c"])
    // a key that is neither a field nor a feature compiles (it could be a feature) and fails at run time
    expect((await i.fail(Artifact.filter({ siz: 1 }).toArray()))._tag).toBe("InvalidArgument")
  })

  it("rejects bad input with typed errors and changes nothing", async () => {
    const i = await instance()
    const p = file(i, "ok.txt", "ok")
    for (const key of ["../escape.txt", "/abs/path", "a/../../b", "a//b", ".lamina/x", "s3://b/k"]) {
      const e = await i.fail(save(p, { key }))
      expect(e._tag).toBe("InvalidArgument")
    }
    expect((await i.fail(save(path.join(i.dir, "missing.txt"), { key: "m" })))._tag).toBe("StorageError")
    expect((await i.fail(save(p, {})))._tag).toBe("InvalidArgument")
    expect((await i.fail(Artifact.get("notauid!"))).message).toMatch(/not an artifact uid/)
    expect((await i.fail(Artifact.get("0123456789abcdefABCD")))._tag).toBe("DoesNotExist")
    expect(await i.run(Artifact.filter().toArray())).toHaveLength(0)
    expect(await stored(i)).toEqual([])
  })

  it("rejects arguments of the wrong type (JavaScript callers) with InvalidArgument, changing nothing", async () => {
    const i = await instance()
    // One artifact: a get() that ignored its argument would return it.
    const only = await i.run(save(file(i, "only.txt", "only"), { key: "only.txt" }))
    for (const bad of [null, undefined, 5, true, ["only.txt"]]) {
      // @ts-expect-error not a uid or a keyword object
      const e = await i.fail(Artifact.get(bad))
      expect(e._tag).toBe("InvalidArgument")
      expect(e.message).toContain("Artifact.get() takes a uid or an object of fields")
    }
    // A field given as undefined (an unset variable) would be dropped and match every artifact.
    const e = await i.fail(Artifact.get({ key: undefined }))
    expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("'key' is undefined") })
    const p = file(i, "new.txt", "new")
    // @ts-expect-error options must be an object
    expect((await i.fail(save(p, null))).message).toContain("options must be an object")
    for (const [options, name] of [
      [{ key: "d.txt", description: 5 }, "description"],
      [{ key: "d.txt", kind: {} }, "kind"],
      [{ key: "d.txt", otype: 1 }, "otype"],
      [{ key: "d.txt", n_observations: -1 }, "n_observations"],
      [{ key: "d.txt", inspect: "no" }, "inspect"],
      [{ key: "d.txt", features: "x=1" }, "features"],
      [{ key: "d.txt", aux: [1] }, "aux"],
      [{ key: "d.txt", revises: 5 }, "revises"],
      [{ key: "d.txt", revises: {} }, "revises"]
    ] as const) {
      // @ts-expect-error a field of the wrong type
      const e = await i.fail(save(p, options))
      expect(e._tag).toBe("InvalidArgument")
      expect(e.message).toContain(name)
    }
    // Only a boolean deletes for good: "false" is truthy in JavaScript.
    for (const options of [{ permanent: "false" }, { permanent: 1 }, 5]) {
      // @ts-expect-error permanent is a boolean
      expect((await i.fail(only.delete(options))).message).toContain("delete() takes { permanent: true | false }")
    }
    expect((await i.run(Artifact.filter().toArray())).map((a) => a.uid)).toEqual([only.uid])
    expect(await stored(i)).toEqual([`${only.uid}.txt`])
  })

  it("rejects a taken version tag", async () => {
    const i = await instance()
    await i.run(save(file(i, "vt", "1"), { key: "vt", version_tag: "1" }))
    const e = await i.fail(save(file(i, "vt", "2"), { key: "vt", version_tag: "1" }))
    expect(e.message).toContain("Please change the version tag or leave it `None`, '1' is already taken")
    expect(await stored(i)).toHaveLength(1)
  })
}, { storages: ["local", "s3"] })
