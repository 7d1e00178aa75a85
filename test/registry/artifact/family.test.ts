import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Duration, Effect, Exit, Fiber } from "effect"
import pg from "pg"
import { expect, it, vi } from "vitest"
import { Artifact } from "../../../src/registry/Artifact.js"
import { findOrInsertFirst, findOrInsertFirstInOneTrip, saveLocks } from "../../../src/registry/artifact/family.js"
import { ArtifactModel } from "../../../src/registry/artifact/model.js"
import { selectRows } from "../../../src/registry/crud.js"
import { describeBackends, type TestInstance } from "../../support/backends.js"

/** A saved artifact's row, and fresh values for another row like it. */
const template = async (i: TestInstance) => {
  const p = path.join(i.dir, "inputs", "t.txt")
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, "template")
  const a = await i.run(Effect.flatMap(Artifact.fromPath(p, { key: "family/t.txt" }), (x) => x.save()))
  const [row] = await i.run(selectRows(ArtifactModel, (q) => q`id = ${a.id}`))
  const { id: _id, ...values } = row!
  const fresh = (n: number, key: string | null, hash: string) => ({ ...values, uid: `famtest${String(n).padStart(9, "0")}0000`, key, hash, size: 9 })
  return { saved: a, fresh }
}

const count = (i: TestInstance) => i.run(Artifact.filter({}).count())

describeBackends("findOrInsertFirst", ({ instance }) => {
  it("inserts a new family's first version when neither the content nor the key is found", async () => {
    const i = await instance()
    const { fresh } = await template(i)
    const before = await count(i)
    const found = await i.run(findOrInsertFirst({ hash: "h-new", hash_type: "md5", size: 9 }, 1, "family/new.txt", fresh(1, "family/new.txt", "h-new")))
    expect(found.same).toBeUndefined()
    expect(found.head).toBeUndefined()
    expect(found.inserted).toMatchObject({ uid: "famtest0000000010000", key: "family/new.txt", hash: "h-new", is_latest: true })
    expect(typeof found.inserted!.id).toBe("number")
    expect(await count(i)).toBe(before + 1)
    expect((await i.run(Artifact.get({ key: "family/new.txt" }))).id).toBe(found.inserted!.id)
  })

  it("finds the same content and inserts nothing", async () => {
    const i = await instance()
    const { saved, fresh } = await template(i)
    const before = await count(i)
    const found = await i.run(findOrInsertFirst({ hash: saved.hash!, hash_type: "md5", size: 8 }, 1, "family/other.txt", fresh(2, "family/other.txt", saved.hash!)))
    expect(found.same?.id).toBe(saved.id)
    expect(found.inserted).toBeUndefined()
    expect(await count(i)).toBe(before)
  })

  it("finds the key's head and inserts nothing", async () => {
    const i = await instance()
    const { saved, fresh } = await template(i)
    const before = await count(i)
    const found = await i.run(findOrInsertFirst({ hash: "h-changed", hash_type: "md5", size: 9 }, saved.storage_id, "family/t.txt", fresh(3, "family/t.txt", "h-changed")))
    expect(found.same).toBeUndefined()
    expect(found.head?.id).toBe(saved.id)
    expect(found.inserted).toBeUndefined()
    expect(await count(i)).toBe(before)
  })

  it("an empty file without a key has nothing to look up: inserted", async () => {
    const i = await instance()
    const { fresh } = await template(i)
    const found = await i.run(findOrInsertFirst({ hash: "h-empty", hash_type: "md5", size: 0 }, 1, null, { ...fresh(4, null, "h-empty"), size: 0, description: "empty" }))
    expect(found.inserted).toMatchObject({ uid: "famtest0000000040000", key: null, size: 0 })
  })

  it("without values to insert, only looks up", async () => {
    const i = await instance()
    const { saved } = await template(i)
    const before = await count(i)
    const missing = await i.run(findOrInsertFirst({ hash: "h-none", hash_type: "md5", size: 9 }, 1, "family/none.txt"))
    expect(missing).toEqual({ same: undefined, head: undefined, inserted: undefined })
    const both = await i.run(findOrInsertFirst({ hash: saved.hash!, hash_type: "md5", size: 8 }, saved.storage_id, "family/t.txt"))
    expect([both.same?.id, both.head?.id]).toEqual([saved.id, saved.id])
    expect(await count(i)).toBe(before)
  })
})

describeBackends("findOrInsertFirstInOneTrip", ({ instance, backend }) => {
  it("Postgres: inserts, finds the same content or finds the head like findOrInsertFirst; SQLite: not offered", async () => {
    const i = await instance()
    const { saved, fresh } = await template(i)
    const before = await count(i)
    const inserted = await i.run(findOrInsertFirstInOneTrip({ hash: "h-trip", hash_type: "md5", size: 9 }, 1, "family/trip.txt", fresh(5, "family/trip.txt", "h-trip")))
    if (backend !== "pg") {
      expect(inserted).toBeUndefined()
      expect(await count(i)).toBe(before)
      return
    }
    expect(inserted).toMatchObject({ same: undefined, head: undefined, inserted: { uid: "famtest0000000050000", key: "family/trip.txt", hash: "h-trip", is_latest: true } })
    expect((await i.run(Artifact.get({ key: "family/trip.txt" }))).id).toBe(inserted!.inserted!.id)
    const same = await i.run(findOrInsertFirstInOneTrip({ hash: saved.hash!, hash_type: "md5", size: 8 }, 1, "family/other.txt", fresh(6, "family/other.txt", saved.hash!)))
    expect([same?.same?.id, same?.inserted]).toEqual([saved.id, undefined])
    const head = await i.run(findOrInsertFirstInOneTrip({ hash: "h-changed", hash_type: "md5", size: 9 }, saved.storage_id, "family/t.txt", fresh(7, "family/t.txt", "h-changed")))
    expect([head?.same, head?.head?.id, head?.inserted]).toEqual([undefined, saved.id, undefined])
    expect(await count(i)).toBe(before + 1)
  })

  it("Artifact.save of a new key sends Postgres one query; a new version goes through a transaction", async () => {
    const i = await instance()
    const file = path.join(i.dir, "inputs", "one.txt")
    mkdirSync(path.dirname(file), { recursive: true })
    const queries = vi.spyOn(pg.Client.prototype, "query")
    try {
      writeFileSync(file, "one query")
      await i.run(Effect.flatMap(Artifact.fromPath(file, { key: "family/one.txt" }), (p) => p.save()))
      expect(queries).toHaveBeenCalledTimes(backend === "pg" ? 1 : 0)
      queries.mockClear()
      writeFileSync(file, "a new version")
      const version = await i.run(Effect.flatMap(Artifact.fromPath(file, { key: "family/one.txt" }), (p) => p.save()))
      expect(version.version).toBe("0001")
      if (backend === "pg") expect(queries.mock.calls.map(([q]) => (typeof q === "string" ? q : "")).filter((q) => q === "BEGIN" || q === "COMMIT")).toEqual(["BEGIN", "COMMIT"])
    } finally {
      queries.mockRestore()
    }
  })

  it("a refused insert rolls the whole round trip back and leaves the connection usable", async () => {
    const i = await instance()
    const { saved, fresh } = await template(i)
    const duplicate = { ...fresh(9, "family/dup.txt", "h-dup"), uid: saved.uid }
    if (backend !== "pg") return expect(await i.run(findOrInsertFirstInOneTrip({ hash: "h-dup", hash_type: "md5", size: 9 }, 1, "family/dup.txt", duplicate))).toBeUndefined()
    // The uid is taken: the insert is refused, the locks' transaction ends with it.
    const refused = await i.run(
      Effect.flip(findOrInsertFirstInOneTrip({ hash: "h-dup", hash_type: "md5", size: 9 }, 1, "family/dup.txt", duplicate))
    )
    expect(refused._tag).toBe("IntegrityError")
    expect(await count(i)).toBe(1)
    const next = await i.run(findOrInsertFirstInOneTrip({ hash: "h-dup", hash_type: "md5", size: 9 }, 1, "family/dup.txt", fresh(10, "family/dup.txt", "h-dup")))
    expect(next?.inserted?.uid).toBe("famtest0000000100000")
    expect(await count(i)).toBe(2)
  })

  it("values written as literals are stored exactly as given: quotes, backslashes, $1, semicolons, newlines, JSON, timestamps", async () => {
    const i = await instance()
    const { saved, fresh } = await template(i)
    const key = "family/it's \\ $1 ; DROP TABLE lamina_artifact; --.txt"
    const description = "E'\\x' \"q\" \n line two; $$ dollar $$ ünïcode 🧬 \\'"
    const aux = { "it's": ["back\\slash", 1.5, null, true], nested: { "$1": "'; --" } }
    const values = { ...fresh(8, key, "h-lit'\\"), description, _aux: aux }
    const found = await i.run(findOrInsertFirstInOneTrip({ hash: "h-lit'\\", hash_type: "md5", size: 9 }, 1, key, values))
    if (backend !== "pg") return expect(found).toBeUndefined()
    const stored = await i.run(Artifact.get({ key }))
    expect([stored.key, stored.description, stored.hash, stored.size, stored.is_latest]).toEqual([key, description, "h-lit'\\", 9, true])
    const [row] = await i.run(selectRows(ArtifactModel, (q) => q`id = ${stored.id}`))
    expect(row!._aux).toEqual(aux)
    // The template's timestamp, through encodeRow, a literal and the decoder.
    expect(row!.created_at).toEqual(saved.created_at)
    expect(row!.created_at).toBeInstanceOf(Date)
    expect(await count(i)).toBe(2)
  })

  /**
   * Run `body` while another session holds `key`'s save lock (as a save inside a caller's open
   * transaction does); released when `body` settles. `waiting(text)` resolves once a session
   * waits on an advisory lock with a query matching `text`.
   */
  const whileKeyLocked = async <A>(i: TestInstance, storageId: number, key: string, body: (waiting: (text: RegExp) => Promise<void>) => Promise<A>): Promise<A> => {
    const blocker = new pg.Client({ connectionString: i.db })
    await blocker.connect()
    try {
      await blocker.query("SELECT pg_advisory_lock(hashtext($1))", [saveLocks(storageId, key, "")[0]])
      const waiting = async (text: RegExp) => {
        for (let tries = 0; tries < 1000; tries++) {
          const { rows } = await blocker.query<{ query: string }>(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
          )
          if (rows.some((r) => text.test(r.query))) return
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        throw new Error(`no session waited on the lock with a query matching ${text}`)
      }
      return await body(waiting)
    } finally {
      await blocker.end()
    }
  }

  // SQLite has no one-round-trip save and no lock of another session to wait on.
  it.skipIf(backend !== "pg")("a save kept waiting by another session's lock can still be interrupted, and writes nothing", async () => {
    const i = await instance()
    const { saved } = await template(i)
    const file = path.join(i.dir, "inputs", "locked.txt")
    writeFileSync(file, "waits for a lock")
    const key = "family/locked.txt"
    const exit = await whileKeyLocked(i, saved.storage_id, key, (waiting) =>
      i.run(
        Effect.gen(function* () {
          // A daemon: a child fiber would be interrupted and awaited when this effect ends, lock still held.
          const save = yield* Effect.forkDaemon(Effect.flatMap(Artifact.fromPath(file, { key }), (p) => p.save()))
          yield* Effect.promise(() => waiting(/lock_timeout/))
          // Unbounded, the one round trip would hold the interruption until the lock is released
          // (after this returns): the timeout turns that into a failure instead of a hang.
          yield* Fiber.interruptFork(save)
          return yield* Effect.timeoutFail(Fiber.await(save), { duration: Duration.seconds(20), onTimeout: () => new Error("the interruption waited for the lock") })
        })
      )
    )
    expect(Exit.isInterrupted(exit)).toBe(true)
    expect(await i.run(Artifact.filter({ key }).count())).toBe(0)
    expect(await i.storedKeys(".lamina")).toEqual([`.lamina/${saved.uid}.txt`])
    const after = await i.run(Effect.flatMap(Artifact.fromPath(file, { key }), (p) => p.save()))
    expect([after.key, after.version]).toEqual([key, "0000"])
  })

  it.skipIf(backend !== "pg")("a save whose lock wait outlasts the one round trip's bound finishes in a transaction once the lock is free", async () => {
    const i = await instance()
    const { saved: first } = await template(i)
    const file = path.join(i.dir, "inputs", "late.txt")
    writeFileSync(file, "gets the lock late")
    const key = "family/late.txt"
    // Wrapped: an async function returning the save's promise itself would wait for it while the lock is held.
    const { saving } = await whileKeyLocked(i, first.storage_id, key, async (waiting) => {
      const saving = i.run(Effect.flatMap(Artifact.fromPath(file, { key }), (p) => p.save()))
      // The transaction path's lock statement alone, with its parameters (no bound, no literals).
      await waiting(/^SELECT pg_advisory_xact_lock\(hashtext\(\$1\)\)/)
      return { saving }
    })
    const saved = await saving
    expect([saved.key, saved.version, saved.is_latest]).toEqual([key, "0000", true])
    expect(await i.run(Artifact.filter({ key }).count())).toBe(1)
  })
})
