/**
 * Throwaway Postgres databases and schemas on the local server (127.0.0.1:5432, trust auth).
 */
import { randomBytes } from "node:crypto"
import pg from "pg"

/** The server tests use; override with LAMINA_TEST_PG (a URL to an admin database). */
export const adminUrl = process.env.LAMINA_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres"

const withClient = async <A>(url: string, f: (c: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

/** True when the server answers. */
export const postgresAvailable = async (): Promise<boolean> =>
  withClient(adminUrl, async (c) => {
    await c.query("SELECT 1")
    return true
  }).catch(() => false)

/** A fresh database; returns its URL and a drop function. */
export const createDatabase = async (): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `lamina_test_${process.pid}_${randomBytes(4).toString("hex")}`
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined)
  }
}

/** A fresh schema in `databaseUrl`; the returned URL sets it as the search path. */
export const createSchema = async (databaseUrl: string): Promise<string> => {
  const schema = `s_${randomBytes(5).toString("hex")}`
  await withClient(databaseUrl, (c) => c.query(`CREATE SCHEMA ${schema}`))
  const url = new URL(databaseUrl)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return url.toString()
}
