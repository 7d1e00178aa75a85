/**
 * Model sweep: train a small linear model by gradient descent over a grid of learning rates and
 * epoch counts, then rank the runs in a leaderboard.
 *
 *   dataset.csv ─ split ─┬─ fit(lr, epochs) ─ evaluate ─┐   (one `train` flow per grid point)
 *                        └─ … 9 grid points …           ┴─ leaderboard → leaderboard.md
 *
 * `split` has the same inputs at every grid point, so it computes once and every other point
 * reuses it (single flight). Find a point afterwards with `Run.filter({ params__learning_rate })`.
 *
 * @module
 */
import * as path from "node:path"
import { Effect, Either } from "effect"
import { flow, step, sweep } from "../../../src/flow/index.js"
import type { Artifact } from "../../../src/registry/Artifact.js"
import { formatCsv, parseCsv } from "../_lib/csv.js"
import type { ExampleContext } from "../_lib/example.js"
import { readText, registerFile, saveText, writeFile } from "../_lib/files.js"
import { gaussian, seeded } from "../_lib/random.js"

export const description = "Sweep a 3×3 grid of learning rates and epochs over a regression dataset; split computed once; leaderboard"

const TRUE_WEIGHTS = { w1: 3, w2: -2, bias: 0.5 }

/** A deterministic regression dataset: y = 3·x1 − 2·x2 + 0.5 + noise. */
const writeDataset = (file: string): string => {
  const rand = seeded(42)
  const rows = Array.from({ length: 400 }, () => {
    const x1 = rand() * 4 - 2
    const x2 = rand() * 4 - 2
    const y = TRUE_WEIGHTS.w1 * x1 + TRUE_WEIGHTS.w2 * x2 + TRUE_WEIGHTS.bias + gaussian(rand) * 0.3
    return { x1: x1.toFixed(4), x2: x2.toFixed(4), y: y.toFixed(4) }
  })
  return writeFile(file, formatCsv(["x1", "x2", "y"], rows))
}

interface Point {
  readonly x1: number
  readonly x2: number
  readonly y: number
}
const points = (text: string): Array<Point> => parseCsv(text).rows.map((r) => ({ x1: Number(r.x1), x2: Number(r.x2), y: Number(r.y) }))
const toCsv = (ps: ReadonlyArray<Point>) => formatCsv(["x1", "x2", "y"], ps.map((p) => ({ x1: p.x1, x2: p.x2, y: p.y })))

/** Shuffle deterministically and split into train and test tables. */
export const split = step("split", (dataset: Artifact, test_fraction = 0.2, seed = 7) =>
  Effect.gen(function* () {
    const all = points(yield* readText(dataset))
    const rand = seeded(seed)
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[all[i], all[j]] = [all[j]!, all[i]!]
    }
    const nTest = Math.round(all.length * test_fraction)
    const test = yield* saveText("sweep/test.csv", toCsv(all.slice(0, nTest)), "held-out test rows")
    const train = yield* saveText("sweep/train.csv", toCsv(all.slice(nTest)), "training rows")
    return { train, test }
  })
)

/** Fit w1, w2, bias by full-batch gradient descent; the model is a JSON artifact. */
export const fit = step("fit", (train: Artifact, learning_rate: number, epochs: number) =>
  Effect.gen(function* () {
    const data = points(yield* readText(train))
    let w1 = 0
    let w2 = 0
    let bias = 0
    const losses: Array<number> = []
    for (let e = 0; e < epochs; e++) {
      let g1 = 0
      let g2 = 0
      let gb = 0
      let loss = 0
      for (const p of data) {
        const err = w1 * p.x1 + w2 * p.x2 + bias - p.y
        g1 += err * p.x1
        g2 += err * p.x2
        gb += err
        loss += err * err
      }
      const n = data.length
      w1 -= (learning_rate * 2 * g1) / n
      w2 -= (learning_rate * 2 * g2) / n
      bias -= (learning_rate * 2 * gb) / n
      losses.push(loss / n)
    }
    const model = { w1, w2, bias, learning_rate, epochs, final_train_mse: losses.at(-1) ?? null, loss_curve: losses.filter((_, i) => i % Math.max(1, Math.floor(epochs / 20)) === 0) }
    return yield* saveText(`sweep/models/lr${learning_rate}-e${epochs}.json`, JSON.stringify(model, null, 2) + "\n", `linear model lr=${learning_rate} epochs=${epochs}`)
  })
)

/** Test-set metrics of a model. */
export const evaluate = step("evaluate", (model: Artifact, test: Artifact) =>
  Effect.gen(function* () {
    const m = JSON.parse(yield* readText(model)) as { w1: number; w2: number; bias: number; learning_rate: number; epochs: number }
    const data = points(yield* readText(test))
    const mean = data.reduce((s, p) => s + p.y, 0) / data.length
    let sse = 0
    let sst = 0
    for (const p of data) {
      sse += (m.w1 * p.x1 + m.w2 * p.x2 + m.bias - p.y) ** 2
      sst += (p.y - mean) ** 2
    }
    return { mse: sse / data.length, r2: 1 - sse / sst, learning_rate: m.learning_rate, epochs: m.epochs, model }
  })
)

/** One grid point: a tracked flow whose params are the hyper-parameters. */
export const train = flow("train", ({ dataset, learning_rate, epochs }: { dataset: Artifact; learning_rate: number; epochs: number }) =>
  Effect.gen(function* () {
    const { train: trainSet, test } = yield* split(dataset)
    const model = yield* fit(trainSet, learning_rate, epochs)
    return yield* evaluate(model, test)
  })
)

type Metrics = Effect.Effect.Success<ReturnType<typeof evaluate>>

/** Rank the grid points by test MSE: a CSV and a markdown table. */
export const writeLeaderboard = step("write-leaderboard", (rows: ReadonlyArray<Metrics>) =>
    Effect.gen(function* () {
      const ranked = [...rows].sort((a, b) => a.mse - b.mse)
      const csv = yield* saveText(
        "sweep/leaderboard.csv",
        formatCsv(
          ["rank", "learning_rate", "epochs", "test_mse", "test_r2", "model"],
          ranked.map((r, i) => ({ rank: i + 1, learning_rate: r.learning_rate, epochs: r.epochs, test_mse: r.mse.toFixed(5), test_r2: r.r2.toFixed(4), model: r.model.uid }))
        ),
        "sweep leaderboard"
      )
      const best = ranked[0]!
      const md = [
        "# Sweep leaderboard",
        "",
        `Best: learning_rate=${best.learning_rate}, epochs=${best.epochs} — test MSE ${best.mse.toFixed(5)}, R² ${best.r2.toFixed(4)} (model ${best.model.uid}).`,
        `True weights: w1=${TRUE_WEIGHTS.w1}, w2=${TRUE_WEIGHTS.w2}, bias=${TRUE_WEIGHTS.bias}.`,
        "",
        "| rank | learning_rate | epochs | test MSE | R² |",
        "|---:|---:|---:|---:|---:|",
        ...ranked.map((r, i) => `| ${i + 1} | ${r.learning_rate} | ${r.epochs} | ${r.mse.toFixed(5)} | ${r.r2.toFixed(4)} |`),
        ""
      ].join("\n")
      const report = yield* saveText("sweep/leaderboard.md", md, "sweep leaderboard (markdown)")
      return { csv, report }
    })
)

/** The leaderboard as its own tracked flow (the sweep's flows are separate top-level runs). */
export const leaderboard = flow("leaderboard", (results: ReadonlyArray<Metrics>) => writeLeaderboard(results))

/** Generate and register the dataset, sweep the grid, write the leaderboard. */
export const main = (ctx: ExampleContext) =>
  Effect.gen(function* () {
    const dataset = yield* registerFile(writeDataset(path.join(ctx.workDir, "dataset.csv")), "sweep/dataset.csv", "synthetic regression data")
    const outcomes = yield* sweep(train, { dataset: [dataset], learning_rate: [0.01, 0.05, 0.2], epochs: [20, 100, 400] }, { concurrency: 3 })
    const failed = outcomes.filter((o) => Either.isLeft(o.result))
    if (failed.length > 0) yield* Effect.logWarning(`${failed.length} grid point(s) failed`)
    const results = outcomes.flatMap((o) => (Either.isRight(o.result) ? [o.result.right] : []))
    return yield* leaderboard(results)
  })
