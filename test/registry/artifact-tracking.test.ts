/**
 * Inside a tracked step, loadTable / loadAnnData / open record the artifact as a run input
 * (found by key, not passed as an argument), and fromTable / fromAnnData outputs belong to the
 * step's run.
 */
import { Effect } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { range } from "../../src/formats/anndata/slicing.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import { describeBackends } from "../support/backends.js"
import { createdBy, inputsOf } from "../flow/support.js"
import { sampleAnnData, sampleTable } from "./samples.js"

const summarize = step("summarize", (tableKey: string, cellsKey: string, zarrKey: string) =>
  Effect.gen(function* () {
    const table = yield* (yield* Artifact.get({ key: tableKey })).loadTable()
    const cells = yield* (yield* Artifact.get({ key: cellsKey })).loadAnnData()
    const firstRow = yield* Effect.scoped(
      Effect.flatMap((yield* Artifact.get({ key: zarrKey })).openAnnData(), (backed) => backed.X!.slice(range(0, 1)))
    )
    const out = yield* Effect.flatMap(Artifact.fromTable(table, { key: "tracked/copy.arrow" }), (p) => p.save())
    return { rows: table.numRows, cells: cells.obs.numRows, firstRow: firstRow.shape, out }
  })
)

const pipeline = flow("formats-pipeline", (tableKey: string, cellsKey: string, zarrKey: string) => summarize(tableKey, cellsKey, zarrKey))

describeBackends(
  "tracking table and AnnData artifacts",
  ({ instance }) => {
    it("loads and opens inside a step are the step's inputs; fromTable inside it is its output", async () => {
      const i = await instance()
      const adata = await i.run(sampleAnnData())
      const table = await i.run(Effect.flatMap(Artifact.fromTable(sampleTable(), { key: "tracked/t.parquet" }), (p) => p.save()))
      const h5 = await i.run(Effect.flatMap(Artifact.fromAnnData(adata, { key: "tracked/c.h5ad" }), (p) => p.save()))
      const zarr = await i.run(Effect.flatMap(Artifact.fromAnnData(adata, { key: "tracked/c.zarr" }), (p) => p.save()))
      const result = await i.run(pipeline("tracked/t.parquet", "tracked/c.h5ad", "tracked/c.zarr"))
      expect(result).toMatchObject({ rows: 3, cells: 4, firstRow: [1, 3] })
      const run = (await i.run(Run.filter({ name: "summarize" }).toArray()))[0]!
      expect([...(await i.run(inputsOf(run.id)))].sort()).toEqual([table.uid, h5.uid, zarr.uid].sort())
      expect(await i.run(createdBy(run.id))).toEqual([result.out.uid])
      expect(result.out).toMatchObject({ otype: "DataFrame", n_observations: 3, run_id: run.id })
    })
  },
  { storages: ["local", "s3"] }
)
