/**
 * Artifacts of tables and AnnData: fromTable / fromAnnData, typed loaders, open(), metadata
 * detected by fromPath, input tracking, damaged files. Runs on SQLite and Postgres × local and S3.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { tableFromArrays } from "apache-arrow"
import { Effect, Option } from "effect"
import * as zarr from "zarrita"
import { expect, it } from "vitest"
import type { AnnData } from "../../src/formats/anndata/anndata.js"
import { dataframeTable } from "../../src/formats/anndata/dataframe-table.js"
import { DenseArray } from "../../src/formats/anndata/dense-array.js"
import { writeH5ad } from "../../src/formats/anndata/h5/write-h5ad.js"
import { range } from "../../src/formats/anndata/slicing.js"
import { writeParquet } from "../../src/formats/table/parquet.js"
import { writeAnnDataZarr } from "../../src/formats/zarr/anndata-zarr.js"
import { CurrentRun, type RunScope } from "../../src/flow/CurrentRun.js"
import { Artifact, type PendingArtifact } from "../../src/registry/Artifact.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { column, expectSampleAnnData, sampleAnnData, sampleTable } from "./samples.js"

const save = <E, R>(pending: Effect.Effect<PendingArtifact, E, R>) => Effect.flatMap(pending, (p) => p.save())

const filesUnder = (dir: string): Array<string> => {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
  } catch {
    return []
  }
}

const localFile = (i: TestInstance, name: string) => {
  const p = path.join(i.dir, "inputs", name)
  mkdirSync(path.dirname(p), { recursive: true })
  return p
}

/** A fake run that collects what it is told, to check input tracking without the engine. */
const fakeRun = (runId: number) => {
  const inputs: Array<number> = []
  const scope: RunScope = {
    runId,
    runUid: `fake${runId}`,
    name: "fake",
    log: () => undefined,
    recordInput: (id) => Effect.sync(() => void inputs.push(id)),
    recordOutput: () => Effect.void
  }
  return { inputs, within: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.locally(effect, CurrentRun, Option.some(scope)) }
}

describeBackends(
  "Artifact tables and AnnData",
  ({ instance }) => {
    it("fromTable → loadTable round trips Parquet, Arrow IPC and CSV, with DataFrame metadata", async () => {
      const i = await instance()
      for (const format of ["parquet", "arrow", "csv"] as const) {
        const a = await i.run(save(Artifact.fromTable(sampleTable(), { key: `tables/sample.${format}`, format, description: `a ${format} table` })))
        expect(a).toMatchObject({ otype: "DataFrame", kind: "dataset", n_observations: 3, suffix: `.${format}`, key: `tables/sample.${format}`, description: `a ${format} table` })
        expect(a._aux).toMatchObject({ format, columns: [{ name: "id" }, { name: "score", type: "float64" }, { name: "name", type: "string" }, { name: "ok", type: "bool" }] })
        const t = await i.run(a.loadTable())
        expect(t.numRows).toBe(3)
        expect(column(t, "id").map(Number)).toEqual([1, 2, 3])
        expect(column(t, "score")).toEqual([0.5, 1.25, -2])
        expect(column(t, "name")).toEqual(["a", "b,c", null])
        expect(column(t, "ok")).toEqual([true, false, true])
        // the raw bytes are still there
        expect((await i.run(a.load())).byteLength).toBe(a.size)
      }
    })

    it("fromTable: format from the key, Parquet by default, key suffix must fit", async () => {
      const i = await instance()
      const tsv = await i.run(save(Artifact.fromTable(sampleTable(), { key: "t/x.tsv" })))
      expect(tsv).toMatchObject({ suffix: ".tsv", otype: "DataFrame" })
      expect(Buffer.from(await i.run(tsv.load())).toString().split("\n")[0]).toBe("id\tscore\tname\tok")
      expect(column(await i.run(tsv.loadTable()), "name")).toEqual(["a", "b,c", null])
      const byDescription = await i.run(save(Artifact.fromTable(tableFromArrays({ v: Float64Array.of(7) }), { description: "no key" })))
      expect(byDescription).toMatchObject({ suffix: ".parquet", key: null, n_observations: 1 })
      const wrong = await i.fail(Artifact.fromTable(sampleTable(), { key: "t/x.csv", format: "parquet" }))
      expect(wrong).toMatchObject({ _tag: "InvalidArgument", message: "The suffix '.csv' of the provided key is incorrect, it should be '.parquet'." })
      expect((await i.fail(Artifact.fromTable(sampleTable(), { key: "t/x" })))._tag).toBe("InvalidArgument")
      // saving twice is fine: the temporary copy is written again
      const pending = await i.run(Artifact.fromTable(sampleTable(), { key: "t/twice.parquet" }))
      const first = await i.run(pending.save())
      expect((await i.run(pending.save())).uid).toBe(first.uid)
    })

    it("fromTable / fromAnnData reject values and options of the wrong type (JavaScript callers), writing nothing", async () => {
      const i = await instance()
      const adata = await i.run(sampleAnnData())
      for (const bad of [null, {}, "a,b\n1,2", adata]) {
        // @ts-expect-error not an Arrow table
        const e = await i.fail(Artifact.fromTable(bad, { key: "t/bad.parquet" }))
        expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("Artifact.fromTable() takes an Apache Arrow Table") })
      }
      for (const bad of [null, {}, sampleTable()]) {
        // @ts-expect-error not an AnnData
        const e = await i.fail(Artifact.fromAnnData(bad, { key: "cells/bad.h5ad" }))
        expect(e).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("Artifact.fromAnnData() takes an AnnData") })
      }
      // @ts-expect-error options must be an object
      expect((await i.fail(Artifact.fromTable(sampleTable(), null))).message).toContain("options must be an object")
      // @ts-expect-error options must be an object
      expect((await i.fail(Artifact.fromAnnData(adata, 5))).message).toContain("options must be an object")
      // @ts-expect-error an unknown format
      expect((await i.fail(Artifact.fromTable(sampleTable(), { format: "xlsx" }))).message).toContain("format must be one of parquet, arrow, csv")
      // @ts-expect-error an unknown format
      expect((await i.fail(Artifact.fromAnnData(adata, { format: "loom" }))).message).toContain("format must be one of h5ad, zarr")
      // @ts-expect-error a key must be a string
      expect((await i.fail(Artifact.fromTable(sampleTable(), { key: 5 })))._tag).toBe("InvalidArgument")
      expect(await i.run(Artifact.filter().count())).toBe(0)
    })

    it("loadTable / loadAnnData / open refuse artifacts of other formats with a hint", async () => {
      const i = await instance()
      const p = localFile(i, "notes.txt")
      writeFileSync(p, "hello")
      const txt = await i.run(save(Artifact.fromPath(p, { key: "notes.txt" })))
      expect(txt.otype).toBeNull()
      expect(await i.fail(txt.loadTable())).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("load() gives its bytes") })
      expect((await i.fail(txt.loadAnnData()))._tag).toBe("InvalidArgument")
      expect((await i.fail(Effect.scoped(txt.open())))._tag).toBe("InvalidArgument")
      const table = await i.run(save(Artifact.fromTable(sampleTable(), { key: "t.parquet" })))
      expect(await i.fail(table.loadAnnData())).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("loadTable()") })
    })

    for (const format of ["h5ad", "zarr"] as const) {
      it(`fromAnnData → loadAnnData round trips ${format} (categorical, boolean, obs index)`, async () => {
        const i = await instance()
        const adata = await i.run(sampleAnnData())
        const a = await i.run(save(Artifact.fromAnnData(adata, { key: `cells/sample.${format}`, format })))
        expect(a).toMatchObject({ otype: "AnnData", kind: "dataset", n_observations: 4, suffix: `.${format}` })
        expect(a.isFolder).toBe(format === "zarr")
        expect(a._aux).toMatchObject({
          format,
          shape: [4, 3],
          X: { format: "dense", dtype: "float32" },
          obs: { n: 4, columns: [{ name: "cell_type", type: "category[string]" }, { name: "is_doublet", type: "bool" }, { name: "n_genes", type: "int32" }] },
          var: { n: 3, columns: [{ name: "mean", type: "float32" }] }
        })
        expectSampleAnnData(await i.run(a.loadAnnData()))
      })

      it(`open() reads slices of a ${format} artifact without loading it`, async () => {
        const i = await instance()
        const a = await i.run(save(Artifact.fromAnnData(await i.run(sampleAnnData()), { key: `cells/open.${format}` })))
        const { rows, obs, shape } = await i.run(
          Effect.scoped(
            Effect.gen(function* () {
              const backed = yield* a.openAnnData()
              const rows = (yield* backed.X!.slice(range(1, 3), [2, 0])) as DenseArray
              const obs = yield* backed.obs(["cell_type"])
              return { rows: [...(rows.data as Float32Array)], obs, shape: backed.shape }
            })
          )
        )
        expect(shape).toEqual([4, 3])
        expect(rows).toEqual([5, 3, 8, 6])
        expect(obs.schema.fields.map((f) => f.name)).toEqual(["_index", "cell_type"])
        expect(column(obs, "cell_type")).toEqual(["B", "T", "B", null])
        const opened = await i.run(Effect.scoped(Effect.map(a.open(), (o) => o._tag)))
        expect(opened).toBe("AnnData")
        // on S3 a zarr store is read in place: nothing of it lands in the cache
        if (i.storageKind === "s3" && format === "zarr") expect(filesUnder(path.join(i.dir, "cache")).filter((f) => f.includes(a.uid))).toEqual([])
      })
    }

    it("a key ending in .zarr makes an AnnData zarr artifact; a mismatched key fails", async () => {
      const i = await instance()
      const adata = await i.run(sampleAnnData())
      const z = await i.run(save(Artifact.fromAnnData(adata, { key: "cells/by-key.anndata.zarr" })))
      expect(z).toMatchObject({ suffix: ".anndata.zarr", otype: "AnnData" })
      expect(z.format).toBe("anndata-zarr")
      expect((await i.fail(Artifact.fromAnnData(adata, { key: "cells/x.h5ad", format: "zarr" })))._tag).toBe("InvalidArgument")
    })

    it("fromAnnData with obs not matching X fails with a ValidationError, nothing registered", async () => {
      const i = await instance()
      const bad: AnnData = { ...(await i.run(sampleAnnData())), obs: dataframeTable(["only", "three", "cells"]) }
      const e = await i.fail(Artifact.fromAnnData(bad, { key: "bad.h5ad" }))
      expect(e).toMatchObject({ _tag: "ValidationError", message: expect.stringMatching(/obs.*3 rows but X has 4 rows/) })
      expect(await i.run(Artifact.filter({ key: "bad.h5ad" }).toArray())).toEqual([])
    })

    it("fromPath detects the format and records otype, n_observations and metadata", async () => {
      const i = await instance()
      const pq = localFile(i, "t.parquet")
      await Effect.runPromise(writeParquet(sampleTable(), pq))
      const h5 = localFile(i, "a.h5ad")
      const zarr = localFile(i, "a.zarr")
      const adata = await i.run(sampleAnnData())
      await Effect.runPromise(Effect.zipRight(writeH5ad(adata, h5), writeAnnDataZarr(adata, zarr)))
      const csv = localFile(i, "m.csv")
      writeFileSync(csv, "sample,value\ns1,0.5\ns2,0.7\n")

      const t = await i.run(save(Artifact.fromPath(pq, { key: "auto/t.parquet" })))
      expect(t).toMatchObject({ otype: "DataFrame", kind: "dataset", n_observations: 3, _aux: { format: "parquet" } })
      const h = await i.run(save(Artifact.fromPath(h5, { key: "auto/a.h5ad", kind: "model" })))
      expect(h).toMatchObject({ otype: "AnnData", kind: "model", n_observations: 4, _aux: { format: "h5ad", shape: [4, 3] } })
      const z = await i.run(save(Artifact.fromPath(zarr, { key: "auto/a.zarr" })))
      expect(z).toMatchObject({ otype: "AnnData", n_observations: 4, n_files: expect.any(Number), _aux: { format: "zarr", shape: [4, 3] } })
      expectSampleAnnData(await i.run(z.loadAnnData()))
      const c = await i.run(save(Artifact.fromPath(csv, { key: "auto/m.csv", aux: { source: "plate reader" } })))
      expect(c).toMatchObject({ otype: "DataFrame", n_observations: 2, _aux: { format: "csv", source: "plate reader", columns: [{ name: "sample", type: "string" }, { name: "value", type: "float64" }] } })
      const plain = await i.run(save(Artifact.fromPath(csv, { key: "auto/plain.csv", inspect: false, description: "again" })))
      // same content: the existing artifact comes back
      expect(plain.uid).toBe(c.uid)
      expect(c.toJSON()).toMatchObject({ otype: "DataFrame", n_observations: 2 })
    })

    it("a plain zarr group: metadata at save, open() gives the zarrita node, read in place on S3", async () => {
      const i = await instance()
      const dir = localFile(i, "plain.zarr")
      mkdirSync(path.join(dir, "values"), { recursive: true })
      writeFileSync(path.join(dir, ".zgroup"), JSON.stringify({ zarr_format: 2 }))
      writeFileSync(
        path.join(dir, "values", ".zarray"),
        JSON.stringify({ zarr_format: 2, shape: [4], chunks: [4], dtype: "<f8", compressor: null, fill_value: 0, order: "C", filters: null })
      )
      writeFileSync(path.join(dir, "values", "0"), Buffer.from(Float64Array.of(1.5, 2.5, 3.5, 4.5).buffer))
      const a = await i.run(save(Artifact.fromPath(dir, { key: "plain/plain.zarr" })))
      expect(a).toMatchObject({ otype: null, n_observations: null, _aux: { format: "zarr", zarr: "group", keys: ["values"] } })
      const values = await i.run(
        Effect.scoped(
          Effect.gen(function* () {
            const opened = yield* a.open()
            if (opened._tag !== "Zarr" || opened.node.kind !== "group") return yield* Effect.die("expected a zarr group")
            const arr = yield* Effect.promise(() => zarr.open(zarr.root(opened.node.store).resolve(opened.node.path).resolve("values"), { kind: "array" }))
            const chunk = yield* Effect.promise(() => zarr.get(arr))
            return [...(chunk.data as Float64Array)]
          })
        )
      )
      expect(values).toEqual([1.5, 2.5, 3.5, 4.5])
      expect(await i.fail(a.loadAnnData())).toMatchObject({ _tag: "InvalidArgument", message: expect.stringContaining("not an AnnData") })
      expect((await i.fail(Effect.scoped(a.openAnnData())))._tag).toBe("InvalidArgument")
    })

    it("a CSV that is not a table stays a plain file", async () => {
      const i = await instance()
      const p = localFile(i, "odd.csv")
      writeFileSync(p, 'a,b\n"unterminated\n')
      const a = await i.run(save(Artifact.fromPath(p, { key: "odd.csv" })))
      expect(a).toMatchObject({ otype: null, n_observations: null })
    })

    it("load, loadTable, loadAnnData and open record a run input; not for the run's own outputs", async () => {
      const i = await instance()
      const table = await i.run(save(Artifact.fromTable(sampleTable(), { key: "in/t.parquet" })))
      const h5 = await i.run(save(Artifact.fromAnnData(await i.run(sampleAnnData()), { key: "in/a.h5ad" })))
      const zarr = await i.run(save(Artifact.fromAnnData(await i.run(sampleAnnData()), { key: "in/a.zarr" })))
      const run = fakeRun(987_654)
      await i.run(run.within(table.loadTable()))
      await i.run(run.within(table.load()))
      await i.run(run.within(h5.loadAnnData()))
      await i.run(run.within(Effect.scoped(zarr.open())))
      await i.run(run.within(Effect.scoped(h5.openAnnData())))
      expect(run.inputs).toEqual([table.id, table.id, h5.id, zarr.id, h5.id])
      // an artifact the run itself created is its output, not an input
      const creator = fakeRun(987_000)
      await i.run(creator.within(new Artifact({ ...table, run_id: 987_000 }).loadTable()))
      await i.run(creator.within(Effect.scoped(new Artifact({ ...zarr, run_id: 987_000 }).open())))
      expect(creator.inputs).toEqual([])
    })

    it("damaged files: typed errors naming the file (and element), never an abort", async () => {
      const i = await instance()
      const adata = await i.run(sampleAnnData())
      // truncated .h5ad
      const h5 = localFile(i, "cut.h5ad")
      await Effect.runPromise(writeH5ad(adata, h5))
      truncateSync(h5, Math.floor(readFileSync(h5).length / 2))
      const cut = await i.fail(Artifact.fromPath(h5, { key: "bad/cut.h5ad" }))
      expect(cut).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("cut.h5ad") })
      // registered anyway as plain bytes: loading it names the artifact and the file
      const stored = await i.run(save(Artifact.fromPath(h5, { key: "bad/cut.h5ad", inspect: false })))
      expect(stored.otype).toBeNull()
      const loadErr = await i.fail(stored.loadAnnData())
      expect(loadErr).toMatchObject({ _tag: "ValidationError", message: expect.stringMatching(/^Artifact 'bad\/cut\.h5ad' \(\w+\): .*truncated/) })
      expect((await i.fail(Effect.scoped(stored.open())))._tag).toBe("ValidationError")

      // garbage .parquet
      const pq = localFile(i, "junk.parquet")
      writeFileSync(pq, "PAR1 this is not parquet at all PAR1")
      expect(await i.fail(Artifact.fromPath(pq, { key: "bad/junk.parquet" }))).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("junk.parquet") })
      const junk = await i.run(save(Artifact.fromPath(pq, { key: "bad/junk.parquet", inspect: false })))
      expect(await i.fail(junk.loadTable())).toMatchObject({ _tag: "ValidationError", message: expect.stringContaining("bad/junk.parquet") })

      // zarr with a broken element: obs/cell_type's metadata is not JSON
      const zarr = localFile(i, "broken.zarr")
      await Effect.runPromise(writeAnnDataZarr(adata, zarr))
      rmSync(path.join(zarr, ".zmetadata"))
      writeFileSync(path.join(zarr, "obs", "cell_type", ".zattrs"), "{ not json")
      const zerr = await i.fail(Artifact.fromPath(zarr, { key: "bad/broken.zarr" }))
      expect(zerr).toMatchObject({ _tag: "ValidationError", message: expect.stringMatching(/broken\.zarr.*obs\/cell_type/) })
      const z = await i.run(save(Artifact.fromPath(zarr, { key: "bad/broken.zarr", inspect: false })))
      const zload = await i.fail(z.loadAnnData())
      expect(zload).toMatchObject({ _tag: "ValidationError", message: expect.stringMatching(/bad\/broken\.zarr.*obs\/cell_type/) })
      // the process still works
      expectSampleAnnData(await i.run(Effect.flatMap(save(Artifact.fromAnnData(adata, { key: "ok.h5ad" })), (a) => a.loadAnnData())))
    })
  },
  { storages: ["local", "s3"] }
)
