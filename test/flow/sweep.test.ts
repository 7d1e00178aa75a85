/**
 * Sweeps over a param grid and over explicit param lists; finding their runs by params.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Either } from "effect"
import { expect, it } from "vitest"
import { expandGrid, flow, step, sweep } from "../../src/flow/index.js"
import { Run, RunStatus } from "../../src/registry/Run.js"
import { describeBackends } from "../support/backends.js"
import { allRuns } from "./support.js"

const loss = step("loss", (learning_rate: number, batch_size: number) => Effect.succeed(Math.round(1000 * learning_rate * batch_size) / 1000))
const train = flow("train", ({ learning_rate, batch_size = 32 }: { learning_rate: number; batch_size?: number }) => loss(learning_rate, batch_size))

/** Runs whose params.learning_rate equals `lr`, by a JSON query written per dialect. */
const runsWithLearningRate = (lr: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.onDialectOrElse({
      pg: () => sql<{ readonly uid: string }>`SELECT uid FROM lamina_run WHERE (params->>'learning_rate')::float8 = ${lr} ORDER BY id`,
      orElse: () => sql<{ readonly uid: string }>`SELECT uid FROM lamina_run WHERE json_extract(params, '$.learning_rate') = ${lr} ORDER BY id`
    })
    return rows.map((r) => r.uid)
  })

describeBackends("sweep", ({ instance }) => {
  it("expands a grid in key order, last key fastest", () => {
    expect(expandGrid({ a: [1, 2], b: ["x", "y"] })).toEqual([
      { a: 1, b: "x" },
      { a: 1, b: "y" },
      { a: 2, b: "x" },
      { a: 2, b: "y" }
    ])
  })

  it("runs a flow per grid point with bounded concurrency; runs are found by params", async () => {
    const i = await instance()
    const out = await i.run(sweep(train, { learning_rate: [0.01, 0.1], batch_size: [16, 32] }, { concurrency: 2 }))
    expect(out.map((o) => [o.params, Either.getOrThrow(o.result)])).toEqual([
      [{ learning_rate: 0.01, batch_size: 16 }, 0.16],
      [{ learning_rate: 0.01, batch_size: 32 }, 0.32],
      [{ learning_rate: 0.1, batch_size: 16 }, 1.6],
      [{ learning_rate: 0.1, batch_size: 32 }, 3.2]
    ])
    const flows = (await i.run(allRuns)).filter((r) => r.name === "train")
    expect(flows).toHaveLength(4)
    expect(flows.every((r) => r.status === RunStatus.completed && r.parent === null)).toBe(true)
    const found = await i.run(runsWithLearningRate(0.01))
    // two flow runs and their two loss steps
    expect(found).toHaveLength(4)
    const trainRuns = (await i.run(Run.filter({ name: "train" }).toArray())).filter((r) => (r.params as { learning_rate: number }).learning_rate === 0.01)
    expect(trainRuns.map((r) => r.params)).toEqual(
      expect.arrayContaining([
        { learning_rate: 0.01, batch_size: 16 },
        { learning_rate: 0.01, batch_size: 32 }
      ])
    )
  })

  it("sweeps an explicit list of param objects (defaults applied) and reports failures per point", async () => {
    const i = await instance()
    const risky = flow("risky", ({ learning_rate, batch_size = 8 }: { learning_rate: number; batch_size?: number }) =>
      learning_rate > 1 ? Effect.fail(new Error("diverged")) : loss(learning_rate, batch_size)
    )
    const out = await i.run(sweep(risky, [{ learning_rate: 0.5 }, { learning_rate: 2 }], { concurrency: "unbounded" }))
    expect(Either.getOrThrow(out[0]!.result)).toBe(4)
    expect(Either.isLeft(out[1]!.result) && out[1]!.result.left.message).toMatch(/diverged/)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "risky")
    expect(runs.map((r) => r.status).sort()).toEqual([RunStatus.completed, RunStatus.errored])
    const [first] = await i.run(Run.filter({ name: "risky" }).toArray())
    expect(first!.params).toHaveProperty("batch_size", 8)
    expect((await i.fail(sweep(risky, { learning_rate: [] }))).message).toMatch(/non-empty list/)
  })

  it("finds sweep runs with Run.filter({ params__learning_rate })", async () => {
    const i = await instance()
    await i.run(sweep(train, { learning_rate: [0.01, 0.1] }))
    const exit = await i.run(Effect.either(Run.filter({ name: "train", params__learning_rate: 0.01 }).toArray()))
    if (Either.isLeft(exit)) {
      // The placeholder QuerySet has no JSON lookups yet; the full query engine replaces it.
      expect(exit.left.message).toMatch(/You can query either by available fields/)
      return
    }
    expect(exit.right.map((r) => r.params)).toEqual([{ learning_rate: 0.01, batch_size: 32 }])
  })
})
