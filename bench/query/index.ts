/**
 * Query benchmark: seeds a throwaway instance with N runs (five params each) and N artifacts,
 * then times the query language against naive SQL baselines measured in the same run.
 *
 * ```sh
 * npx tsc -p tsconfig.json && node dist/bench/query/index.js
 * LAMINA_BENCH_QUERY_N=100000 node dist/bench/query/index.js     # smaller
 * LAMINA_BENCH_QUERY_PG=0 node dist/bench/query/index.js         # SQLite only
 * ```
 *
 * Results and method: bench/query/README.md.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Dialect } from "../../src/db/dialect.js"
import { Instance } from "../../src/instance/Instance.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import { createDatabase } from "../team/pgdb.js"
import { median } from "../util.js"
import { seed } from "./seed.js"

const N = Number(process.env.LAMINA_BENCH_QUERY_N ?? 1_000_000)
const WITH_PG = process.env.LAMINA_BENCH_QUERY_PG !== "0"
const REPEAT = 9

/** One measured query: ours, the naive baseline, and the target (SQLite only). */
interface Row {
  readonly name: string
  readonly target?: number
  readonly ours: { readonly best: number; readonly median: number }
  readonly naive: { readonly best: number; readonly median: number }
}

type Runtime = ManagedRuntime.ManagedRuntime<Lamina.Lamina, unknown>

const measure = async <A>(rt: Runtime, effect: Effect.Effect<A, unknown, Lamina.Lamina>) => {
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

const raw = <A extends object>(text: string, params: ReadonlyArray<unknown> = []) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text, params))

/** LaminDB's search as a straight port would run it: a LIKE scan, ranked by its regexes. */
const naiveSearch = (d: Dialect, text: string) => {
  const e = text.replace(/[.*+?^${}()|[\]\\]/g, (c) => "\\" + c)
  const patterns: ReadonlyArray<readonly [string, number]> = [
    [`(?:^|.*\\|)${e}(?:\\|.*|$)`, 200],
    [`(?:^|.*[ \\|\\.,;:])${e}(?:[ \\|\\.,;:].*|$)`, 10],
    [`(?:^|.*\\|)${e}[^ ]*(?:\\|.*|$)`, 8],
    [`(?:^|.*[ \\|])${e}.*`, 2],
    [`.*${e}(?:$|[ \\|\\.,;:].*)`, 2]
  ]
  const params: Array<unknown> = []
  const p = (v: unknown) => {
    params.push(v)
    return d === "pg" ? `$${params.length}` : "?"
  }
  const like = `%${text.replace(/[\\%_]/g, (c) => "\\" + c)}%`
  // (parameters are numbered in the order they appear in the text)
  const filter = ["key", "description"].map((f) => `lower(COALESCE(${f}, '')) LIKE lower(${p(like)}) ESCAPE '\\'`).join(" OR ")
  const terms = ["key", "description"].flatMap((f) => {
    const v = `COALESCE(${f}, '')`
    const re = (pat: string) => (d === "pg" ? `${v} ~* ${p(pat)}` : `lamina_iregexp(${p(pat)}, ${v})`)
    return [
      `(CASE WHEN lower(${v}) = lower(${p(text)}) THEN 200 ELSE 0 END)`,
      ...patterns.map(([pat, w]) => `(CASE WHEN ${re(pat)} THEN ${w} ELSE 0 END)`),
      `(CASE WHEN lower(${v}) LIKE lower(${p(like)}) ESCAPE '\\' THEN 1 ELSE 0 END)`
    ]
  })
  return { text: `SELECT id FROM lamina_artifact WHERE branch = 1 AND (${filter}) ORDER BY (${terms.join(" + ")}) DESC, id DESC LIMIT 20`, params }
}

const same = (name: string, a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>) => {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${name}: Lamina and the baseline disagree:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`)
}

const benchBackend = async (backend: Dialect): Promise<{ readonly rows: ReadonlyArray<Row>; readonly seeding: string }> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-query-"))
  const pg = backend === "pg" ? await createDatabase() : undefined
  const rt: Runtime = ManagedRuntime.make(Lamina.layer({ storage: path.join(dir, "storage"), db: pg?.url ?? path.join(dir, "registry.db") }) as Layer.Layer<Lamina.Lamina, unknown>)
  try {
    const seeded = await rt.runPromise(
      Effect.gen(function* () {
        const instance = yield* Instance
        if (backend === "sqlite") yield* raw("PRAGMA cache_size = -524288")
        return yield* seed(backend, N, N, instance.user.id, instance.storage.id)
      })
    )
    const sideRows = Number((await rt.runPromise(raw<{ readonly n: number }>("SELECT COUNT(*) AS n FROM lamina_run_param")))[0]!.n)
    const seeding =
      `${backend}: ${N.toLocaleString("en")} runs in ${seeded.runSeconds.toFixed(1)} s (${Math.round(N / seeded.runSeconds).toLocaleString("en")} runs/s, ` +
      `${Math.round((N + sideRows) / seeded.runSeconds).toLocaleString("en")} rows/s with ${sideRows.toLocaleString("en")} params rows); ` +
      `${N.toLocaleString("en")} artifacts in ${seeded.artifactSeconds.toFixed(1)} s (${Math.round(N / seeded.artifactSeconds).toLocaleString("en")} rows/s, search index included)`
    console.log(seeding)
    const rows: Array<Row> = []
    const d = backend

    // 1. params equality, counted
    const q1 = await measure(rt, Run.filter({ params__learning_rate: 0.01 }).count())
    const n1 = await measure(
      rt,
      raw<{ readonly n: number }>(
        d === "pg"
          ? "SELECT COUNT(*) AS n FROM lamina_run WHERE branch = 1 AND (params -> 'learning_rate') = '0.01'::jsonb"
          : "SELECT COUNT(*) AS n FROM lamina_run WHERE branch = 1 AND json_extract(params, '$.learning_rate') = 0.01"
      )
    )
    same("params count", [q1.result], [Number(n1.result[0]!.n)])
    rows.push({ name: `Run.filter({ params__learning_rate: 0.01 }).count() → ${q1.result.toLocaleString("en")}`, target: 50, ours: q1, naive: n1 })

    // 2. params comparison, ordered by the param, first 20
    const q2 = await measure(rt, Effect.map(Run.filter({ params__epochs__gt: 50 }).orderBy("-params__epochs").slice(0, 20).toArray(), (rs) => rs.map((r) => r.id)))
    const n2 = await measure(
      rt,
      raw<{ readonly id: number }>(
        d === "pg"
          ? "SELECT id FROM lamina_run WHERE branch = 1 AND jsonb_typeof(params -> 'epochs') = 'number' AND (params ->> 'epochs')::float8 > 50 ORDER BY (params ->> 'epochs')::float8 DESC, id DESC LIMIT 20"
          : "SELECT id FROM lamina_run WHERE branch = 1 AND json_type(params, '$.epochs') IN ('integer', 'real') AND json_extract(params, '$.epochs') > 50 ORDER BY json_extract(params, '$.epochs') DESC, id DESC LIMIT 20"
      )
    )
    same("params order", q2.result, n2.result.map((r) => Number(r.id)))
    rows.push({ name: `Run.filter({ params__epochs__gt: 50 }).orderBy("-params__epochs").slice(0, 20)`, target: 50, ours: q2, naive: n2 })

    // 3. key prefix, first 100 (newest first)
    const q3 = await measure(rt, Effect.map(Artifact.filter({ key__startswith: "raw/2025/" }).slice(0, 100).toArray(), (as) => as.map((a) => a.id)))
    const n3 = await measure(
      rt,
      raw<{ readonly id: number }>(
        d === "pg"
          ? "SELECT id FROM lamina_artifact WHERE branch = 1 AND left(key, 9) = 'raw/2025/' ORDER BY id DESC LIMIT 100"
          : "SELECT id FROM lamina_artifact WHERE branch = 1 AND substr(key, 1, 9) = 'raw/2025/' ORDER BY id DESC LIMIT 100"
      )
    )
    same("key prefix", q3.result, n3.result.map((r) => Number(r.id)))
    rows.push({ name: `Artifact.filter({ key__startswith: "raw/2025/" }).slice(0, 100).toArray()`, target: 10, ours: q3, naive: n3 })

    // 3b. key prefix, ordered by key (the index order)
    const q3b = await measure(rt, Effect.map(Artifact.filter({ key__startswith: "raw/2025/" }).orderBy("key").slice(0, 100).toArray(), (as) => as.map((a) => a.id)))
    const n3b = await measure(
      rt,
      raw<{ readonly id: number }>(
        d === "pg"
          ? `SELECT id FROM lamina_artifact WHERE branch = 1 AND left(key, 9) = 'raw/2025/' ORDER BY key COLLATE "C", id LIMIT 100`
          : "SELECT id FROM lamina_artifact WHERE branch = 1 AND substr(key, 1, 9) = 'raw/2025/' ORDER BY key, id LIMIT 100"
      )
    )
    same("key prefix by key", q3b.result, n3b.result.map((r) => Number(r.id)))
    rows.push({ name: `Artifact.filter({ key__startswith: "raw/2025/" }).orderBy("key").slice(0, 100)`, ours: q3b, naive: n3b })

    // 4. ranked search
    const q4 = await measure(rt, Effect.map(Artifact.search("batch").toArray(), (as) => as.map((a) => a.id)))
    const naive = naiveSearch(d, "batch")
    const n4 = await measure(rt, raw<{ readonly id: number }>(naive.text, naive.params))
    same("search", q4.result, n4.result.map((r) => Number(r.id)))
    rows.push({ name: `Artifact.search("batch") (top 20 of ~${Math.round(N * 0.01).toLocaleString("en")} candidates)`, target: 200, ours: q4, naive: n4 })

    return { rows, seeding }
  } finally {
    await rt.dispose()
    await pg?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1))

const results: Array<readonly [Dialect, Awaited<ReturnType<typeof benchBackend>>]> = [["sqlite", await benchBackend("sqlite")]]
if (WITH_PG) results.push(["pg", await benchBackend("pg")])

console.log(`\n### Query language at ${N.toLocaleString("en")} runs and ${N.toLocaleString("en")} artifacts (best of ${REPEAT}, ms; median in parentheses)\n`)
console.log("| query | backend | Lamina | naive SQL | speed-up | target | ok |")
console.log("|---|---|---|---|---|---|---|")
for (const [backend, { rows }] of results) {
  for (const r of rows) {
    const target = backend === "sqlite" && r.target !== undefined ? `≤ ${r.target} ms` : "–"
    const ok = backend === "sqlite" && r.target !== undefined ? (r.ours.best <= r.target ? "yes" : "NO") : "–"
    console.log(
      `| ${r.name} | ${backend} | ${fmt(r.ours.best)} (${fmt(r.ours.median)}) | ${fmt(r.naive.best)} (${fmt(r.naive.median)}) | ${(r.naive.best / r.ours.best).toFixed(1)}× | ${target} | ${ok} |`
    )
  }
}
console.log("")
for (const [, { seeding }] of results) console.log(`- seeding ${seeding}`)
