/**
 * Curation benchmark, AnnData: validating an `.h5ad` artifact of OBS cells × VAR genes (sparse
 * X, never read) against a composite schema — obs: two categorical columns (ULabels) and a
 * float; var: the index against VAR Records of type "Gene" (Ensembl-like ids) — against the
 * baseline of a plain read of the same obs and var (opening the file backed, reading both
 * dataframes and scanning their columns) in the same run. Target at OBS = 100,000,
 * VAR = 20,000: validation ≤ 2 s. The file is written by Python's anndata (/usr/bin/python3).
 *
 * ```sh
 * npx tsc -p tsconfig.json && node dist/bench/curate/anndata.js
 * LAMINA_BENCH_ANNDATA_OBS=10000 LAMINA_BENCH_ANNDATA_VAR=2000 node dist/bench/curate/anndata.js
 * ```
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { Table } from "apache-arrow"
import { Effect, ManagedRuntime } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { AnnDataCurator } from "../../src/curate/AnnDataCurator.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Feature } from "../../src/registry/Feature.js"
import { Record } from "../../src/registry/Record.js"
import { Schema } from "../../src/registry/Schema.js"
import { ULabel } from "../../src/registry/ULabel.js"
import { base62 } from "../../src/registry/uid.js"
import { median, report } from "../util.js"

const OBS = Number(process.env.LAMINA_BENCH_ANNDATA_OBS ?? 100_000)
const VAR = Number(process.env.LAMINA_BENCH_ANNDATA_VAR ?? 20_000)

const GENERATE = `
import sys
import numpy as np, pandas as pd, scipy.sparse as sp, anndata as ad
n_obs, n_var, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
k = 10
indices = np.sort(rng.integers(0, n_var, (n_obs, k)), axis=1).astype(np.int32).ravel()
X = sp.csr_matrix((np.ones(n_obs * k, dtype=np.float32), indices, np.arange(0, n_obs * k + 1, k)), shape=(n_obs, n_var))
obs = pd.DataFrame({
    "cell_type": pd.Categorical([f"cell_type_{i % 100}" for i in range(n_obs)]),
    "donor": pd.Categorical([f"donor_{i % 50}" for i in range(n_obs)]),
    "n_counts": rng.random(n_obs),
}, index=[f"cell{i}" for i in range(n_obs)])
var = pd.DataFrame(index=[f"ENSG{i:011d}" for i in range(n_var)])
ad.AnnData(X=X, obs=obs, var=var).write_h5ad(out)
`

const scan = (t: Table): number => {
  let n = 0
  for (const f of t.schema.fields) for (const v of t.getChild(f.name)!) if (v !== null) n++
  return n
}

const run = async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-curate-anndata-"))
  const rt = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage") }))
  try {
    const script = path.join(dir, "generate.py")
    writeFileSync(script, GENERATE)
    const file = path.join(dir, "cells.h5ad")
    execFileSync("/usr/bin/python3", [script, String(OBS), String(VAR), file], { stdio: "inherit" })
    const artifact = await rt.runPromise(
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const t = new Date().toISOString()
        const gene = yield* Record.create({ name: "Gene", is_type: true })
        // The gene registry in bulk: VAR records of type Gene.
        for (let i = 0; i < VAR; i += 500) {
          const rows = Array.from({ length: Math.min(500, VAR - i) }, (_, j) => ({
            uid: base62(16), name: `ENSG${String(i + j).padStart(11, "0")}`, type_id: gene.id, is_type: 0, updated_at: t, created_at: t, branch: 1, is_locked: 0
          }))
          yield* sql`INSERT INTO lamina_record ${sql.insert(rows)}`
        }
        for (const n of Array.from({ length: 100 }, (_, k) => `cell_type_${k}`)) yield* ULabel.create({ name: n })
        for (const n of Array.from({ length: 50 }, (_, k) => `donor_${k}`)) yield* ULabel.create({ name: n })
        yield* Feature.create({ name: "cell_type", dtype: "cat[ULabel]" })
        yield* Feature.create({ name: "donor", dtype: "cat[ULabel]" })
        yield* Feature.create({ name: "n_counts", dtype: "float" })
        const obs = yield* Schema.create({ name: "bench obs", features: ["cell_type", "donor", "n_counts"] })
        const v = yield* Schema.create({ name: "bench var", itype: "Record[Gene].name", dtype: "float" })
        yield* Schema.create({ name: "bench anndata", otype: "AnnData", components: { obs, var: v } })
        return yield* (yield* Artifact.fromPath(file, { key: "bench/cells.h5ad" })).save()
      })
    )
    const baseline: Array<number> = []
    const lamina: Array<number> = []
    for (let r = 0; r < 5; r++) {
      let t0 = performance.now()
      const cells = await rt.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const backed = yield* artifact.openAnnData()
            return scan(yield* backed.obs()) + scan(yield* backed.var())
          })
        )
      )
      baseline.push(performance.now() - t0)
      if (cells < 0) console.log(cells)
      t0 = performance.now()
      await rt.runPromise(Effect.flatMap(AnnDataCurator.make(artifact, "bench anndata"), (c) => c.validate()))
      lamina.push(performance.now() - t0)
    }
    const b = median(baseline)
    const l = median(lamina)
    report(`curate: validate an AnnData artifact, ${OBS.toLocaleString("en")} obs × ${VAR.toLocaleString("en")} var against ${VAR.toLocaleString("en")} Gene records (SQLite)`, [
      { name: "validate (AnnDataCurator, from .h5ad)", value: `${l.toFixed(0)} ms`, baseline: `${b.toFixed(0)} ms (read obs + var, Arrow scan)`, ratio: `${(l / b).toFixed(2)}×`, target: "≤ 2 s at 100k × 20k", ok: l <= 2000 }
    ])
  } finally {
    await rt.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

await run()
