/**
 * Annotation benchmark (ratios against baselines measured in the same run):
 *
 * 1. A feature filter on N artifacts carrying 5 feature values each (5N side-table rows,
 *    seeded with bulk SQL, not through the API): `Artifact.filter({ temperature__gt })` via
 *    the side table, against the naive `json_extract` scan of every artifact. Target on
 *    SQLite at N = 1,000,000: ≤ 50 ms.
 * 2. Annotating M artifacts with 5 features each through `Artifact.features.addMany` (one
 *    batch) and through `artifact.features.add` (one call per artifact), against a bare UPDATE
 *    per artifact. Target: ≥ 5,000 values/s.
 * 3. `collection.iterate` over K member tables of R rows: peak RSS growth while iterating,
 *    against the growth of loading one member. Target: < 2×.
 *
 * ```sh
 * npx tsc -p tsconfig.json && node dist/bench/annotate/index.js
 * LAMINA_BENCH_ANNOTATE_N=10000 LAMINA_BENCH_ANNOTATE_M=1000 LAMINA_BENCH_ANNOTATE_ROWS=100000 node dist/bench/annotate/index.js
 * ```
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { tableFromArrays } from "apache-arrow"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Dialect } from "../../src/db/dialect.js"
import { Instance } from "../../src/instance/Instance.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Collection } from "../../src/registry/Collection.js"
import { Feature } from "../../src/registry/Feature.js"
import { seedArtifacts } from "../query/seed.js"
import { createDatabase } from "../team/pgdb.js"
import { median } from "../util.js"

const N = Number(process.env.LAMINA_BENCH_ANNOTATE_N ?? 1_000_000)
const M = Number(process.env.LAMINA_BENCH_ANNOTATE_M ?? 10_000)
const K = Number(process.env.LAMINA_BENCH_ANNOTATE_MEMBERS ?? 10)
const ROWS = Number(process.env.LAMINA_BENCH_ANNOTATE_ROWS ?? 1_000_000)
const WITH_PG = process.env.LAMINA_BENCH_ANNOTATE_PG !== "0"
const REPEAT = 9

type Runtime = ManagedRuntime.ManagedRuntime<Lamina.Lamina, unknown>

const raw = <A extends object>(text: string, params: ReadonlyArray<unknown> = []) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text, params))

const timed = async <A>(rt: Runtime, effect: Effect.Effect<A, unknown, Lamina.Lamina>) => {
  for (let i = 0; i < 2; i++) await rt.runPromise(effect)
  const times: Array<number> = []
  let result: A | undefined
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now()
    result = await rt.runPromise(effect)
    times.push(performance.now() - t0)
  }
  return { best: Math.min(...times), median: median(times), result: result as A }
}

const FEATURES = ["temperature", "ph", "depth", "salinity", "pressure"] as const

const backendRun = async (backend: Dialect) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-annotate-"))
  const pg = backend === "pg" ? await createDatabase() : undefined
  const rt: Runtime = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage"), db: pg?.url ?? path.join(dir, "registry.db") }) as Layer.Layer<Lamina.Lamina, unknown>)
  const lines: Array<string> = []
  try {
    // 1. seed N artifacts, then their feature values with one set-based UPDATE per chunk
    const uids = await rt.runPromise(
      Effect.gen(function* () {
        const instance = yield* Instance
        if (backend === "sqlite") yield* raw("PRAGMA cache_size = -1048576")
        const features = yield* Effect.forEach(FEATURES, (name) => Feature.create({ name, dtype: "float" }))
        yield* seedArtifacts(backend, 0, N, N, instance.user.id, instance.storage.id)
        return features.map((f) => f.uid)
      })
    )
    const t0 = performance.now()
    const obj = uids.map((u, i) => (backend === "pg" ? `'${u}', ((id * ${7 + i}) % 1000) / 10.0` : `'${u}', ((id * ${7 + i}) % 1000) / 10.0`)).join(", ")
    const CHUNK = 100_000
    for (let from = 0; from < N + 1; from += CHUNK)
      await rt.runPromise(
        raw(
          backend === "pg"
            ? `UPDATE lamina_artifact SET _features = jsonb_build_object(${obj}) WHERE id > ${from} AND id <= ${from + CHUNK}`
            : `UPDATE lamina_artifact SET _features = json_object(${obj}) WHERE id > ${from} AND id <= ${from + CHUNK}`
        )
      )
    await rt.runPromise(raw(backend === "pg" ? "VACUUM ANALYZE" : "ANALYZE"))
    const values = Number((await rt.runPromise(raw<{ readonly n: number }>("SELECT COUNT(*) AS n FROM lamina_artifact_feature_value")))[0]!.n)
    lines.push(`${backend}: seeded ${N.toLocaleString("en")} artifacts × 5 feature values (${values.toLocaleString("en")} side-table rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const temperature = uids[0]!
    const naive = backend === "pg" ? `(_features ->> '${temperature}')::float` : `json_extract(_features, '$.${temperature}')`
    for (const [label, threshold] of [["selective (0.1%)", 99.85], ["broad (10%)", 90]] as const) {
      const ours = await timed(rt, Artifact.filter({ temperature__gt: threshold }).count())
      const base = await timed(rt, Effect.map(raw<{ readonly n: number }>(`SELECT COUNT(*) AS n FROM lamina_artifact WHERE branch = 1 AND ${naive} > ${threshold}`), (r) => Number(r[0]!.n)))
      if (ours.result !== base.result) throw new Error(`count mismatch: ${ours.result} vs ${base.result}`)
      const page = await timed(rt, Artifact.filter({ temperature__gt: threshold }).slice(0, 20).toArray())
      lines.push(
        `${backend} feature filter ${label}: count ${ours.median.toFixed(1)} ms (best ${ours.best.toFixed(1)}; ${ours.result} matches) vs json scan ${base.median.toFixed(1)} ms → ${(base.median / ours.median).toFixed(1)}× faster; first page of 20: ${page.median.toFixed(1)} ms`
      )
    }
    // 2. annotate M fresh artifacts with 5 values each through the API
    const ids = await rt.runPromise(Effect.map(raw<{ readonly id: number }>(`SELECT id FROM lamina_artifact ORDER BY id LIMIT ${M}`), (r) => r.map((x) => Number(x.id))))
    const artifacts = await rt.runPromise(Effect.forEach(ids, (id) => Artifact.filter({ id }).one()))
    const t1 = performance.now()
    await rt.runPromise(Effect.forEach(artifacts, (a, i) => a.features.add(Object.fromEntries(FEATURES.map((f, j) => [f, (i * (j + 3)) % 97])))))
    const apiSeconds = (performance.now() - t1) / 1000
    const t2 = performance.now()
    await rt.runPromise(
      Effect.forEach(ids, (id, i) =>
        raw(`UPDATE lamina_artifact SET _features = ${backend === "pg" ? "$1::jsonb" : "$1"} WHERE id = ${id}`.replace("$1", backend === "pg" ? "$1" : "?"), [
          JSON.stringify(Object.fromEntries(uids.map((u, j) => [u, (i * (j + 5)) % 97])))
        ])
      )
    )
    const bareSeconds = (performance.now() - t2) / 1000
    // The batch path on M other artifacts: validated like add(), one transaction.
    const batchIds = await rt.runPromise(Effect.map(raw<{ readonly id: number }>(`SELECT id FROM lamina_artifact ORDER BY id LIMIT ${M} OFFSET ${M}`), (r) => r.map((x) => Number(x.id))))
    const batch = await rt.runPromise(Effect.forEach(batchIds, (id) => Artifact.filter({ id }).one()))
    const t3 = performance.now()
    await rt.runPromise(Artifact.features.addMany(batch.map((a, i) => [a, Object.fromEntries(FEATURES.map((f, j) => [f, (i * (j + 4)) % 97]))] as const)))
    const batchSeconds = (performance.now() - t3) / 1000
    const rate = (s: number) => Math.round((M * 5) / s).toLocaleString("en")
    lines.push(
      `${backend} annotate ${M.toLocaleString("en")} artifacts × 5 features: ${rate(batchSeconds)} values/s through Artifact.features.addMany (target ≥ 5,000), ${rate(apiSeconds)} values/s through features.add one artifact at a time, vs ${rate(bareSeconds)} values/s bare UPDATEs one per artifact (addMany ${(bareSeconds / batchSeconds).toFixed(1)}× faster than the bare UPDATEs; add() ${(apiSeconds / bareSeconds).toFixed(1)}× their cost)`
    )
    return lines
  } finally {
    await rt.dispose()
    await pg?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** 3. RSS while iterating a collection vs loading one member (SQLite, local storage). */
const iterateRss = async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-collection-"))
  const rt: Runtime = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage"), db: path.join(dir, "registry.db") }) as Layer.Layer<Lamina.Lamina, unknown>)
  try {
    const collection = await rt.runPromise(
      Effect.gen(function* () {
        const members: Array<Artifact> = []
        for (let k = 0; k < K; k++) {
          const t = tableFromArrays({ value: Float64Array.from({ length: ROWS }, (_, i) => i + k), id: Int32Array.from({ length: ROWS }, (_, i) => i) })
          members.push(yield* (yield* Artifact.fromTable(t, { key: `bench/member-${k}.parquet` })).save())
        }
        return yield* Collection.create(members, { key: "bench/collection" })
      })
    )
    const gc = (globalThis as { gc?: () => void }).gc
    let peak = 0
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
    gc?.()
    const base1 = process.memoryUsage().rss
    peak = base1
    const first = await rt.runPromise(Effect.flatMap(collection.artifacts, (a) => a[0]!.loadTable()))
    const oneMember = Math.max(peak, process.memoryUsage().rss) - base1
    void first.numRows
    gc?.()
    const base2 = process.memoryUsage().rss
    peak = base2
    let rows = 0
    await rt.runPromise(Stream.runForEach(collection.iterate({ batchSize: 65_536 }), (b) => Effect.sync(() => (rows += b.numRows))))
    const iterating = Math.max(peak, process.memoryUsage().rss) - base2
    clearInterval(sample)
    const mb = (x: number) => (x / 1e6).toFixed(0)
    return `collection.iterate over ${K} members × ${ROWS.toLocaleString("en")} rows (${rows.toLocaleString("en")} rows): peak RSS growth ${mb(iterating)} MB vs ${mb(oneMember)} MB loading one member → ${(iterating / Math.max(1, oneMember)).toFixed(2)}× (target < 2×)`
  } finally {
    await rt.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

const out: Array<string> = []
out.push(...(await backendRun("sqlite")))
if (WITH_PG) out.push(...(await backendRun("pg")))
out.push(await iterateRss())
console.log(out.join("\n"))
