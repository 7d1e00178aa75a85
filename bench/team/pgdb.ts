/**
 * Throwaway Postgres databases for benchmarks (127.0.0.1:5432 trust auth by default; override
 * with LAMINA_TEST_PG, an admin database URL).
 *
 * @module
 */
import { randomBytes } from "node:crypto"
import pg from "pg"

const adminUrl = process.env.LAMINA_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres"

const withAdmin = async <A>(f: (c: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

/** A fresh database: its URL and a function that drops it. */
export const createDatabase = async (): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `lamina_bench_${randomBytes(4).toString("hex")}`
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) }
}
