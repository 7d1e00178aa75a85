/**
 * Bulk seeding for the query benchmark: transforms, runs with five params each, artifacts.
 * SQLite: multi-row INSERTs (1,000 rows per statement) in 100,000-row transactions.
 * Postgres: `INSERT … SELECT * FROM unnest($1::text[], …)`, 10,000 rows per statement.
 * The registry's own triggers maintain the params side table and the search indexes.
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Dialect } from "../../src/db/dialect.js"

/** Deterministic pseudo-random numbers (xorshift32), so every run seeds the same data. */
export const rng = (seed: number) => {
  let x = seed >>> 0 || 1
  return (): number => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

const B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const uidOf = (random: () => number, n: number): string => {
  let s = ""
  for (let i = 0; i < n; i++) s += B62[Math.floor(random() * 62)]
  return s
}

/** Learning rates of the sweep: 0.01 is one of ten values (~10% of runs). */
export const LEARNING_RATES = [0.1, 0.05, 0.01, 0.005, 0.001, 0.0005, 0.0001, 0.00005, 0.00001, 0.000001]
const OPTIMIZERS = ["adam", "sgd", "adamw"]
const BATCHES = [16, 32, 64, 128, 256]
const WORDS = ["sample", "tumor", "control", "replicate", "liver", "cortex", "organoid", "pbmc", "atlas", "pilot"]

/** One run's params: five keys, one of them nested. */
export const paramsOf = (random: () => number) => ({
  learning_rate: LEARNING_RATES[Math.floor(random() * LEARNING_RATES.length)]!,
  epochs: 1 + Math.floor(random() * 100),
  batch_size: BATCHES[Math.floor(random() * BATCHES.length)]!,
  optimizer: OPTIMIZERS[Math.floor(random() * OPTIMIZERS.length)]!,
  preprocess: { downsample: random() < 0.5 }
})

/** One artifact's key and description: 60% under raw/{2021..2025}/, 1% of descriptions mention "batch". */
export const artifactOf = (random: () => number, i: number) => {
  const year = 2021 + Math.floor(random() * 5)
  const month = String(1 + Math.floor(random() * 12)).padStart(2, "0")
  const top = random() < 0.6 ? "raw" : "processed"
  const word = WORDS[Math.floor(random() * WORDS.length)]!
  const r = random()
  const description =
    r < 0.004 ? `batch ${i % 97} QC report` : r < 0.007 ? `${word} batch-corrected counts` : r < 0.01 ? `${word} minibatch ${i % 13}` : `${word} ${i % 1000} of study ${i % 37}`
  return { key: `${top}/${year}/${month}/${word}_${i}.h5ad`, description }
}

const insertSqlite = (table: string, columns: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const per = 1000
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per)
      const tuple = `(${columns.map(() => "?").join(", ")})`
      const text = `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${chunk.map(() => tuple).join(", ")}`
      yield* sql.unsafe(text, chunk.flat())
    }
  })

const insertPg = (table: string, columns: ReadonlyArray<readonly [string, string]>, rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const per = 10_000
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per)
      const arrays = columns.map((_, c) => chunk.map((r) => r[c]))
      const text = `INSERT INTO ${table} (${columns.map(([n]) => n).join(", ")}) SELECT * FROM unnest(${columns.map(([, t], c) => `$${c + 1}::${t}[]`).join(", ")})`
      yield* sql.unsafe(text, arrays)
    }
  })

/** Bulk-insert rows into `table` (multi-row INSERTs on SQLite, unnest on Postgres). */
export const insert = (dialect: Dialect, table: string, columns: ReadonlyArray<readonly [string, string]>, rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  dialect === "pg" ? insertPg(table, columns, rows) : insertSqlite(table, columns.map(([n]) => n), rows)

/** Seed 100 transforms; returns their ids. */
export const seedTransforms = (dialect: Dialect, userId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const random = rng(7)
    const bool = (b: boolean) => (dialect === "pg" ? b : b ? 1 : 0)
    const at = "2021-01-01T00:00:00.000Z"
    yield* sql.withTransaction(
      insert(
        dialect,
        "lamina_transform",
        [["uid", "text"], ["key", "text"], ["kind", "text"], ["is_latest", "boolean"], ["created_at", "timestamptz"], ["updated_at", "timestamptz"], ["created_by_id", "bigint"], ["branch", "bigint"], ["is_locked", "boolean"]],
        Array.from({ length: 100 }, (_, k) => [uidOf(random, 16), `pipelines/train_${k}.py`, "pipeline", bool(true), at, at, userId, 1, bool(false)])
      )
    )
    return (yield* sql<{ readonly id: number }>`SELECT id FROM lamina_transform ORDER BY id`).map((r) => Number(r.id))
  })

const T0 = Date.parse("2021-01-01T00:00:00Z")
const isoAt = (i: number, n: number) => new Date(T0 + Math.floor((i / n) * 5 * 365 * 86_400_000)).toISOString()
const TXN = 100_000

/** Runs `from` … `to - 1` of `n`, five params each, in 100,000-row transactions. */
export const seedRuns = (dialect: Dialect, from: number, to: number, n: number, userId: number, transformIds: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const random = rng(42 + from)
    const bool = (b: boolean) => (dialect === "pg" ? b : b ? 1 : 0)
    const columns: ReadonlyArray<readonly [string, string]> = [
      ["uid", "text"],
      ["name", "text"],
      ["transform_id", "bigint"],
      ["started_at", "timestamptz"],
      ["finished_at", "timestamptz"],
      ["params", "jsonb"],
      ["created_at", "timestamptz"],
      ["created_by_id", "bigint"],
      ["branch", "bigint"],
      ["is_locked", "boolean"],
      ["_status_code", "bigint"]
    ]
    for (let base = from; base < to; base += TXN) {
      const rows: Array<ReadonlyArray<unknown>> = []
      for (let i = base; i < Math.min(to, base + TXN); i++) {
        const at = isoAt(i, n)
        rows.push([uidOf(random, 16), `run ${i}`, transformIds[i % transformIds.length], at, at, JSON.stringify(paramsOf(random)), at, userId, 1, bool(false), random() < 0.05 ? 1 : 0])
      }
      yield* sql.withTransaction(insert(dialect, "lamina_run", columns, rows))
    }
  })

/** Artifacts `from` … `to - 1` of `n`, in 100,000-row transactions. */
export const seedArtifacts = (dialect: Dialect, from: number, to: number, n: number, userId: number, storageId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const random = rng(4242 + from)
    const bool = (b: boolean) => (dialect === "pg" ? b : b ? 1 : 0)
    const columns: ReadonlyArray<readonly [string, string]> = [
      ["uid", "text"],
      ["key", "text"],
      ["description", "text"],
      ["storage_id", "bigint"],
      ["suffix", "text"],
      ["size", "bigint"],
      ["hash", "text"],
      ["hash_type", "text"],
      ["n_files", "bigint"],
      ["is_latest", "boolean"],
      ["_key_is_virtual", "boolean"],
      ["created_at", "timestamptz"],
      ["updated_at", "timestamptz"],
      ["created_by_id", "bigint"],
      ["branch", "bigint"],
      ["is_locked", "boolean"]
    ]
    for (let base = from; base < to; base += TXN) {
      const rows: Array<ReadonlyArray<unknown>> = []
      for (let i = base; i < Math.min(to, base + TXN); i++) {
        const { key, description } = artifactOf(random, i)
        const at = isoAt(i, n)
        rows.push([uidOf(random, 16) + "0000", key, description, storageId, ".h5ad", Math.floor(random() * 1e9), uidOf(random, 22), "md5", 1, bool(true), bool(false), at, at, userId, 1, bool(false)])
      }
      yield* sql.withTransaction(insert(dialect, "lamina_artifact", columns, rows))
    }
  })
