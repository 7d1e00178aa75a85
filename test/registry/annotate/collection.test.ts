/**
 * Collections: ordered sets of saved artifacts, deduplicated by member hash, versioned by key,
 * loaded as one table or streamed in batches, recorded as run inputs — on {SQLite, Postgres} ×
 * {local, S3}.
 */
import { tableFromArrays } from "apache-arrow"
import { Chunk, Effect, Stream } from "effect"
import { expect, it } from "vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Artifact, Collection, flow, Run, RunStatus } from "../../../src/index.js"
import { Tracker } from "../../../src/tracker/index.js"
import { hashString } from "../../../src/storage/hash.js"
import { describeBackends } from "../../support/backends.js"
import { sampleAnnData } from "../samples.js"

const table = (start: number, n: number) =>
  tableFromArrays({ sample: Array.from({ length: n }, (_, i) => `s${start + i}`), value: Float64Array.from({ length: n }, (_, i) => start + i) })

describeBackends(
  "collections",
  ({ instance }) => {
    it("creates, deduplicates by member hash and versions by key", async () => {
      const i = await instance()
      await i.run(
        Effect.gen(function* () {
          const a = yield* (yield* Artifact.fromTable(table(0, 3), { key: "t/a.parquet" })).save()
          const b = yield* (yield* Artifact.fromTable(table(3, 2), { key: "t/b.parquet" })).save()
          const c = yield* Collection.create([a, b], { key: "my-collection", description: "two tables" })
          expect(c.uid).toHaveLength(20)
          expect(c.version).toBe("0000")
          expect(c.hash).toBe(hashString([a.hash!, b.hash!].sort().join(":")))
          expect((yield* c.artifacts).map((x) => x.key)).toEqual(["t/a.parquet", "t/b.parquet"])
          const same = yield* Collection.create([a, b], { key: "my-collection" })
          expect(same.id).toBe(c.id)
          const c2 = yield* Collection.create([b], { key: "my-collection" })
          expect(c2.uid.slice(0, 16)).toBe(c.uid.slice(0, 16))
          expect(c2.version).toBe("0001")
          expect((yield* Collection.get({ key: "my-collection" })).id).toBe(c2.id)
          expect(yield* Collection.filter({ key: "my-collection", is_latest: true }).count()).toBe(1)
          expect((yield* Artifact.filter({ collections__key: "my-collection" }).toArray()).map((x) => x.key).sort()).toEqual(["t/a.parquet", "t/b.parquet"])
          const whole = yield* c.loadTable()
          expect(whole.numRows).toBe(5)
          expect(whole.getChild("sample")!.toArray()).toEqual(["s0", "s1", "s2", "s3", "s4"])
          const batches = Chunk.toReadonlyArray(yield* Stream.runCollect(c.iterate({ batchSize: 2 })))
          expect(batches.map((t) => t.numRows)).toEqual([2, 1, 2])
        })
      )
    })

    it("refuses unsaved, trashed or no members and bad keys, writing nothing", async () => {
      const i = await instance()
      const e = await i.fail(
        Effect.gen(function* () {
          const a = yield* (yield* Artifact.fromTable(table(0, 1), { key: "t/x.parquet" })).save()
          expect((yield* Effect.flip(Collection.create([], { key: "k" })))._tag).toBe("InvalidArgument")
          expect((yield* Effect.flip(Collection.create([a], { key: " " })))._tag).toBe("InvalidArgument")
          expect((yield* Effect.flip(Collection.create([a, a], { key: "k" })))._tag).toBe("InvalidArgument")
          const pending = yield* Artifact.fromTable(table(0, 1), { key: "t/y.parquet" })
          const unsaved = yield* Effect.flip(Collection.create([a, pending as unknown as Artifact], { key: "k" }))
          expect(unsaved.message).toContain("Save the artifacts before adding them to a collection")
          yield* a.delete()
          return yield* Collection.create([a], { key: "k" })
        })
      )
      expect((e as { readonly message: string }).message).toContain("outside trash")
      expect(await i.run(Collection.filter().count())).toBe(0)
    })

    it("get refuses arguments of the wrong type (JavaScript callers) with InvalidArgument", async () => {
      const i = await instance()
      const a = await i.run(Effect.flatMap(Artifact.fromTable(table(0, 1), { key: "t/only.parquet" }), (p) => p.save()))
      await i.run(Collection.create([a], { key: "only" }))
      for (const bad of [null, undefined, 5, ["only"]]) {
        // @ts-expect-error not a uid or a keyword object
        const e = await i.fail(Effect.suspend(() => Collection.get(bad)))
        expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("Collection.get() takes a uid or an object of fields") })
      }
      // @ts-expect-error not a uid or a keyword object
      expect((await i.fail(Run.get(null))).message).toContain("Run.get() takes a uid or an object of fields")
      // A field given as undefined (an unset variable) would be dropped and match every record.
      expect((await i.fail(Collection.get({ description: undefined }))).message).toContain("'description' is undefined")
    })

    it("records a collection read inside a run as the run's input", async () => {
      const i = await instance()
      const c = await i.run(
        Effect.gen(function* () {
          const a = yield* (yield* Artifact.fromTable(table(0, 4), { key: "t/in.parquet" })).save()
          const adata = yield* sampleAnnData()
          const h = yield* (yield* Artifact.fromAnnData(adata, { key: "cells/in.h5ad" })).save()
          return { tables: yield* Collection.create([a], { key: "inputs" }), cells: yield* Collection.create([h], { key: "cells" }) }
        })
      )
      const reader = flow("read-collection", () =>
        Effect.gen(function* () {
          const t = yield* c.tables.loadTable()
          const obs = Chunk.toReadonlyArray(yield* Stream.runCollect(c.cells.iterate({ batchSize: 3 })))
          return [t.numRows, obs.map((b) => b.numRows)] as const
        })
      )
      expect(await i.run(reader())).toEqual([4, [3, 1]])
      const runs = await i.run(Run.filter({ input_collections__key: "inputs" }).toArray())
      expect(runs.map((r) => r.name)).toEqual(["read-collection"])
      expect(await i.run(Collection.filter({ input_of_runs__name: "read-collection" }).count())).toBe(2)
    })

    it("the Tracker writes collection inputs when the run closes: errored runs too, each link once", async () => {
      const i = await instance()
      const c = await i.run(
        Effect.gen(function* () {
          const a = yield* (yield* Artifact.fromTable(table(0, 2), { key: "t/e.parquet" })).save()
          return yield* Collection.create([a], { key: "read-then-fail" })
        })
      )
      const failing = flow("reads-then-fails", () =>
        Effect.gen(function* () {
          yield* c.loadTable()
          yield* c.loadTable()
          return yield* Effect.fail(new Error("after reading"))
        })
      )
      await i.fail(failing())
      const runs = await i.run(Run.filter({ input_collections__key: "read-then-fail" }).toArray())
      expect(runs.map((r) => [r.name, r._status_code])).toEqual([["reads-then-fails", RunStatus.errored]])
      const links = () =>
        i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM lamina_run_input_collection`)).then((r) => Number(r[0]!.n))
      expect(await links()).toBe(1)
      await i.run(Effect.flatMap(Tracker, (t) => Effect.zipRight(t.addCollectionInputs(runs[0]!.id, [c.id, c.id]), t.addCollectionInputs(runs[0]!.id, []))))
      expect(await links()).toBe(1)
      // created by the run itself: not an input
      const own = flow("makes-and-reads", () =>
        Effect.gen(function* () {
          const a = yield* (yield* Artifact.fromTable(table(5, 1), { key: "t/own.parquet" })).save()
          const mine = yield* Collection.create([a], { key: "own" })
          return (yield* mine.loadTable()).numRows
        })
      )
      expect(await i.run(own())).toBe(1)
      expect(await i.run(Run.filter({ input_collections__key: "own" }).count())).toBe(0)
    })
  },
  { storages: ["local", "s3"] }
)
