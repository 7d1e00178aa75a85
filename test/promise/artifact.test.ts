/**
 * The Promise API over the Artifact registry: the Effect suite's checks (save, dedup, versions,
 * load, get, delete, describe) through `lamina/promise`, on SQLite and Postgres, local storage and S3.
 */
import { expect, it } from "vitest"
import { Artifact as EffectArtifact } from "../../src/registry/Artifact.js"
import { DoesNotExist, InvalidArgument, StorageError } from "../../src/promise/index.js"
import { describeBackends } from "../support/backends.js"
import { promiseInstance, saveText, scratchFile, textOf } from "./support.js"

describeBackends(
  "promise: artifacts",
  (ctx) => {
    it("fromPath → save → get → load, versions, dedup, delete", async () => {
      const { i, lm } = await promiseInstance(ctx)
      const pending = await lm.Artifact.fromPath(scratchFile(i, "m.csv", "sample,value\ns1,0.5\n"), { key: "raw/m.csv", description: "plate reader export" })
      expect(pending.suffix).toBe(".csv")
      const v1 = await pending.save()
      expect(v1).toBeInstanceOf(EffectArtifact)
      expect(v1.key).toBe("raw/m.csv")
      expect(v1.otype).toBe("DataFrame")
      expect(v1.n_observations).toBe(1)
      expect(await textOf(v1)).toBe("sample,value\ns1,0.5\n")
      expect(await v1.path).toBe(i.uri(v1.storageKey))
      const described = await v1.describe()
      expect(described.data).toMatchObject({ uid: v1.uid, key: "raw/m.csv", description: "plate reader export", otype: "DataFrame", run: null })
      expect(described.text.split("\n")[0]).toBe("Artifact .csv · raw/m.csv")

      const v2 = await saveText(lm, i, "raw/m.csv", "sample,value\ns1,0.5\ns2,0.7\n")
      expect(v2.stem).toBe(v1.stem)
      expect(v2.version).toBe("0001")
      const again = await saveText(lm, i, "raw/copy.csv", "sample,value\ns1,0.5\ns2,0.7\n")
      expect(again.uid).toBe(v2.uid) // same content → the existing artifact

      const latest = await lm.Artifact.get({ key: "raw/m.csv" })
      expect(latest.uid).toBe(v2.uid)
      expect((await lm.Artifact.get(v1.uid)).uid).toBe(v1.uid)
      const versions = await latest.versions
      expect(versions.map((a) => a.version)).toEqual(["0000", "0001"])
      expect(await textOf(versions[0]!)).toBe("sample,value\ns1,0.5\n")

      await latest.delete()
      expect((await lm.Artifact.get({ key: "raw/m.csv" })).uid).toBe(v1.uid)
      expect(JSON.parse(JSON.stringify(v1))).toMatchObject({ uid: v1.uid, key: "raw/m.csv", version: "0000" })
    })

    it("rejects with the Effect API's tagged errors and messages", async () => {
      const { i, lm } = await promiseInstance(ctx)
      const missing = await lm.Artifact.get({ key: "nope.csv" }).catch((e: unknown) => e)
      expect(missing).toBeInstanceOf(DoesNotExist)
      const effectError = await i.fail(EffectArtifact.get({ key: "nope.csv" }))
      expect((missing as DoesNotExist).message).toBe(effectError.message)
      await expect(lm.Artifact.get("not-a-uid")).rejects.toBeInstanceOf(InvalidArgument)
      await expect(lm.Artifact.fromPath(`${i.dir}/does/not/exist.csv`)).rejects.toBeInstanceOf(StorageError)
      // a bad filter key: the QuerySet's own message, did-you-mean included
      await expect(lm.Artifact.filter({ siz__gt: 1 } as never).toArray()).rejects.toThrow(/Did you mean 'size'/)
    })

    it("tables and AnnData: loadTable, openAnnData (closed with await using)", async () => {
      const { i, lm } = await promiseInstance(ctx)
      const { tableFromArrays } = await import("apache-arrow")
      const { DenseArray, makeAnnData, range } = await import("../../src/formats/index.js")
      const table = tableFromArrays({ sample: ["s1", "s2"], value: Float64Array.of(0.5, 0.7) })
      const t = await (await lm.Artifact.fromTable(table, { key: "tables/m.parquet" })).save()
      const back = await t.loadTable()
      expect(back.numRows).toBe(2)
      expect(back.getChild("value")?.toArray()).toEqual(Float64Array.of(0.5, 0.7))

      const { Effect } = await import("effect")
      const adata = await Effect.runPromise(makeAnnData({ X: DenseArray.of(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]) }))
      const a = await (await lm.Artifact.fromAnnData(adata, { key: "cells/x.h5ad" })).save()
      expect(a.otype).toBe("AnnData")
      {
        await using backed = await a.openAnnData()
        expect(backed.shape).toEqual([3, 2])
        const rows = await backed.X!.slice(range(0, 2))
        expect(Array.from((rows as { readonly data: Float32Array }).data)).toEqual([1, 2, 3, 4])
      }
      const whole = await a.loadAnnData()
      expect(whole.obs.numRows).toBe(3)
      expect(Array.from((whole.X as { readonly data: Float32Array }).data)).toEqual([1, 2, 3, 4, 5, 6])
      void i
    })
  },
  { storages: ["local", "s3"] }
)
