/**
 * Curation benchmark: validating a ROWS × 20-column table read from Parquet (17 float columns,
 * 3 dictionary-encoded categorical columns of DISTINCT terms each, all terms saved as ULabels)
 * against a 20-feature schema, against the baseline of a plain Arrow scan of the same columns
 * in the same run. Target at ROWS = 1,000,000, DISTINCT = 10,000: validation ≤ 1 s.
 * The AnnData target (100,000 obs × 20,000 var) is bench/curate/anndata.ts.
 *
 * ```sh
 * npx tsc -p tsconfig.json && node dist/bench/curate/index.js
 * LAMINA_BENCH_CURATE_ROWS=100000 LAMINA_BENCH_CURATE_DISTINCT=1000 node dist/bench/curate/index.js
 * ```
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Dictionary, Int32, makeVector, Table, Utf8, vectorFromArray, type Vector } from "apache-arrow"
import { Effect, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DataFrameCurator } from "../../src/curate/DataFrameCurator.js"
import { readParquet, writeParquet } from "../../src/formats/table/parquet.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Feature } from "../../src/registry/Feature.js"
import { Schema } from "../../src/registry/Schema.js"
import { base62 } from "../../src/registry/uid.js"
import { median, report } from "../util.js"

const ROWS = Number(process.env.LAMINA_BENCH_CURATE_ROWS ?? 1_000_000)
const DISTINCT = Number(process.env.LAMINA_BENCH_CURATE_DISTINCT ?? 10_000)
const CATS = ["cell_type", "donor", "batch"] as const
const NUMS = Array.from({ length: 17 }, (_, k) => `m${k}`)

const makeTable = (): Table => {
  const cols: Record<string, Vector> = {}
  for (const [k, n] of NUMS.entries()) cols[n] = makeVector(Float64Array.from({ length: ROWS }, (_, i) => (i * (k + 1)) % 997)) as unknown as Vector
  for (const c of CATS) cols[c] = vectorFromArray(Array.from({ length: ROWS }, (_, i) => `${c}_${(i * 7919) % DISTINCT}`), new Dictionary(new Utf8(), new Int32())) as unknown as Vector
  return new Table(cols)
}

const run = async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-curate-"))
  const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage") }))
  try {
    const file = path.join(dir, "t.parquet")
    await Effect.runPromise(writeParquet(makeTable(), file))
    await rt.runPromise(
      Effect.gen(function* () {
        for (const n of NUMS) yield* Feature.create({ name: n, dtype: "float" })
        for (const c of CATS) yield* Feature.create({ name: c, dtype: "cat[ULabel]" })
        const sql = yield* SqlClient.SqlClient
        // Labels seeded in bulk: the registry the categorical columns are validated against.
        const t = new Date().toISOString()
        for (const c of CATS)
          for (let i = 0; i < DISTINCT; i += 500) {
            const rows = Array.from({ length: Math.min(500, DISTINCT - i) }, (_, j) => ({ uid: base62(8), name: `${c}_${i + j}`, is_type: 0, updated_at: t, created_at: t, branch: 1, is_locked: 0 }))
            yield* sql`INSERT INTO lamina_ulabel ${sql.insert(rows)}`
          }
        yield* Schema.create({ name: "bench", features: [...NUMS, ...CATS] })
      })
    )
    const table = await Effect.runPromise(readParquet(file))
    const baseline: Array<number> = []
    const lamina: Array<number> = []
    for (let r = 0; r < 5; r++) {
      let t0 = performance.now()
      let sink = 0
      for (const f of table.schema.fields) for (const v of table.getChild(f.name)!) if (v !== null) sink++
      baseline.push(performance.now() - t0)
      if (sink < 0) console.log(sink)
      t0 = performance.now()
      await rt.runPromise(Effect.flatMap(DataFrameCurator.make(table, "bench"), (c) => c.validate()))
      lamina.push(performance.now() - t0)
    }
    const b = median(baseline)
    const l = median(lamina)
    report(`curate: validate ${ROWS.toLocaleString("en")} rows × 20 columns, 3 × ${DISTINCT.toLocaleString("en")} terms (SQLite)`, [
      { name: "validate (DataFrameCurator)", value: `${l.toFixed(0)} ms`, baseline: `${b.toFixed(0)} ms (Arrow scan)`, ratio: `${(l / b).toFixed(2)}×`, target: "≤ 1 s at 1M rows", ok: l <= 1000 }
    ])
  } finally {
    await rt.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

await run()
