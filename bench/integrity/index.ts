/**
 * Integrity benchmark.
 *
 * 1. `check` (metadata: every object present with its size, families, orphans, runs, references)
 *    over N artifacts (default 100,000), each a small file in `.lamina/`; rows bulk-inserted with
 *    SQL. Target ≤ 10 s. Baseline in the same run: `find .lamina -type f -printf '%s'` (the
 *    stat of every object, nothing else).
 * 2. `check --deep` over the same bytes as `md5sum` (default 1 GiB in 8 files, page cache warm
 *    for both). Target ≤ 1.2× md5sum.
 *
 * ```sh
 * npx tsc -p tsconfig.json && node dist/bench/integrity/index.js
 * LAMINA_BENCH_INTEGRITY_N=20000 LAMINA_BENCH_INTEGRITY_MB=256 node dist/bench/integrity/index.js   # small
 * LAMINA_BENCH_INTEGRITY_PG=1 …     # the metadata check on Postgres too
 * ```
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import type { Dialect } from "../../src/db/dialect.js"
import { Instance } from "../../src/instance/Instance.js"
import * as Lamina from "../../src/instance/Lamina.js"
import { check } from "../../src/integrity/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { hashBytes } from "../../src/storage/hash.js"
import { insert } from "../query/seed.js"
import { createDatabase } from "../team/pgdb.js"
import { best, report, shell, writeRandomFile, type Result } from "../util.js"

const N = Number(process.env.LAMINA_BENCH_INTEGRITY_N ?? 100_000)
const MB = Number(process.env.LAMINA_BENCH_INTEGRITY_MB ?? 1024)
const WITH_PG = process.env.LAMINA_BENCH_INTEGRITY_PG === "1"
const FILES = 8

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const uidOf = (i: number): string => {
  let s = ""
  let x = i + 1
  for (let k = 0; k < 16; k++) {
    s += B62[x % 62]
    x = Math.floor(x / 62) + k * 7919
  }
  return s + "0000"
}

type Runtime = ManagedRuntime.ManagedRuntime<Lamina.Lamina, unknown>

/** N artifacts with their bytes: small files written straight into `.lamina/`, rows by bulk SQL. */
const seed = (rt: Runtime, storage: string, dialect: Dialect) =>
  rt.runPromise(
    Effect.gen(function* () {
      const instance = yield* Instance
      const dir = path.join(storage, ".lamina")
      mkdirSync(dir, { recursive: true })
      const bool = (b: boolean) => (dialect === "pg" ? b : b ? 1 : 0)
      const at = new Date().toISOString()
      const rows: Array<ReadonlyArray<unknown>> = []
      for (let i = 0; i < N; i++) {
        const uid = uidOf(i)
        const bytes = Buffer.from(`artifact ${i}\n`)
        writeFileSync(path.join(dir, `${uid}.txt`), bytes)
        const h = hashBytes(bytes)
        rows.push([uid, `bench/${i}.txt`, instance.storage.id, ".txt", h.size, h.hash, "md5", 1, bool(true), bool(true), at, at, instance.user.id, 1, bool(false)])
      }
      const columns: ReadonlyArray<readonly [string, string]> = [
        ["uid", "text"], ["key", "text"], ["storage_id", "bigint"], ["suffix", "text"], ["size", "bigint"], ["hash", "text"], ["hash_type", "text"],
        ["n_files", "bigint"], ["is_latest", "boolean"], ["_key_is_virtual", "boolean"], ["created_at", "timestamptz"], ["updated_at", "timestamptz"],
        ["created_by_id", "bigint"], ["branch", "bigint"], ["is_locked", "boolean"]
      ]
      for (let k = 0; k < rows.length; k += 50_000) yield* insert(dialect, "lamina_artifact", columns, rows.slice(k, k + 50_000))
    })
  )

const metadata = async (dialect: Dialect): Promise<Result> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-integrity-"))
  const storage = path.join(dir, "storage")
  const pg = dialect === "pg" ? await createDatabase() : undefined
  const rt = ManagedRuntime.make(Lamina.layer({ storage, db: pg?.url ?? path.join(dir, "registry.db") }) as Layer.Layer<Lamina.Lamina, unknown>)
  try {
    await seed(rt, storage, dialect)
    let problems = -1
    const ours = await best(3, async () => {
      problems = (await rt.runPromise(check())).problems.length
    })
    if (problems !== 0) throw new Error(`the seeded instance should check clean, got ${problems} problem(s)`)
    const base = Math.min(...[0, 1, 2].map(() => shell(`find '${storage}/.lamina' -type f -printf '%s\\n' > /dev/null`)))
    return {
      name: `check, ${N.toLocaleString("en")} artifacts (${dialect === "pg" ? "Postgres" : "SQLite"}, local)`,
      value: `${(ours / 1000).toFixed(2)} s`,
      baseline: `find -printf %s: ${(base / 1000).toFixed(2)} s`,
      ratio: `${(ours / base).toFixed(1)}×`,
      target: "≤ 10 s",
      ok: ours <= 10_000
    }
  } finally {
    await rt.dispose()
    await pg?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const deep = async (): Promise<Result> => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-bench-deep-"))
  const storage = path.join(dir, "storage")
  const rt = ManagedRuntime.make(Lamina.layer({ storage }) as Layer.Layer<Lamina.Lamina, unknown>)
  try {
    const files: Array<string> = []
    for (let f = 0; f < FILES; f++) {
      const src = path.join(dir, `input-${f}.bin`)
      writeRandomFile(src, Math.floor((MB * 1024 * 1024) / FILES) + f)
      const a = await rt.runPromise(Effect.flatMap(Artifact.fromPath(src, { key: `deep/${f}.bin` }), (p) => p.save()))
      files.push(path.join(storage, ".lamina", `${a.uid}.bin`))
      rmSync(src)
    }
    const list = files.map((f) => `'${f}'`).join(" ")
    shell(`cat ${list} > /dev/null`) // warm the page cache for both
    let verified = 0
    const ours = await best(3, async () => {
      const r = await rt.runPromise(check({ deep: true }))
      if (r.problems.length > 0) throw new Error(`deep check found problems: ${r.problems.map((p) => p.message).join("; ")}`)
      verified = r.counts.bytesVerified
    })
    const base = Math.min(...[0, 1, 2].map(() => shell(`md5sum ${list} > /dev/null`)))
    return {
      name: `check --deep, ${(verified / 1024 ** 2).toFixed(0)} MiB in ${FILES} files (local)`,
      value: `${(ours / 1000).toFixed(2)} s`,
      baseline: `md5sum: ${(base / 1000).toFixed(2)} s`,
      ratio: `${(ours / base).toFixed(2)}×`,
      target: "≤ 1.2× md5sum",
      ok: ours <= base * 1.2
    }
  } finally {
    await rt.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

const results: Array<Result> = [await metadata("sqlite")]
if (WITH_PG) results.push(await metadata("pg"))
results.push(await deep())
report("Integrity (lamina check)", results)
