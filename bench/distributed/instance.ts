/**
 * A throwaway cluster instance for the distributed benchmark and probe: a fresh Postgres
 * database and a temporary storage folder (this process's LAMINA_HOME and scratch folder point
 * into it), with a 30 s failover: CPU-bound bodies block a runner's event loop, shard-lock
 * refreshes included, and on a loaded machine a 4 s failover (node.ts's default, for the tests)
 * would take shards from busy runners.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import type { ClusterInstance } from "./processes.js"

const adminUrl = process.env.LAMINA_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres"

const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}

/** Create the database and folder (named after `prefix` and this pid); `drop` removes both. */
export const throwawayInstance = async (prefix: string): Promise<{ readonly instance: ClusterInstance; readonly drop: () => Promise<void> }> => {
  const name = `${prefix}_${process.pid}`
  await admin(`CREATE DATABASE ${name}`)
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix.replaceAll("_", "-")}-`))
  mkdirSync(path.join(dir, "storage"), { recursive: true })
  const db = new URL(adminUrl)
  db.pathname = `/${name}`
  process.env.LAMINA_HOME = path.join(dir, "home")
  process.env.LAMINA_TEST_SCRATCH = path.join(dir, "scratch")
  return {
    instance: { storage: path.join(dir, "storage"), db: db.toString(), failoverAfter: "30 seconds" },
    drop: async () => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
