/**
 * The team registry client: PostgreSQL through @effect/sql-pg.
 *
 * @module
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Layer, Redacted } from "effect"
import pg from "pg"
import { StorageError } from "../errors.js"
import { redactUrl, withLibpqUser } from "./url.js"

const INT8 = 20
const NUMERIC = 1700
const JSON_OID = 114
const JSONB = 3802

// BIGINT (sizes, counts) as numbers: JS numbers are exact to 2^53, far beyond any file size.
// JSON as text, as SQLite returns it, so one decoder (registry/model.ts) parses both dialects.
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 || oid === NUMERIC
      ? (v: string) => Number(v)
      : oid === JSON_OID || oid === JSONB
        ? (v: string) => v
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
}

/**
 * Connections per process: `LAMINA_PG_MAX_CONNECTIONS`, default 8. With many worker processes
 * on one server, processes × this must stay below the server's `max_connections`.
 */
const defaultMaxConnections = (): number => {
  const n = Number(process.env.LAMINA_PG_MAX_CONNECTIONS)
  return Number.isInteger(n) && n > 0 ? n : 8
}

/** Options of the Postgres registry. */
export interface PostgresOptions {
  readonly url: string
  readonly maxConnections?: number
}

/** A layer providing `SqlClient` backed by Postgres; fails with a `StorageError` when unreachable. */
export const layer = (options: PostgresOptions): Layer.Layer<SqlClient.SqlClient, StorageError> =>
  PgClient.layer({
    url: Redacted.make(withLibpqUser(options.url)),
    types,
    maxConnections: options.maxConnections ?? defaultMaxConnections(),
    connectTimeout: Duration.seconds(5),
    idleTimeout: Duration.seconds(30),
    applicationName: "lamina",
    // Keep results untouched: LaminDB's field names are already snake_case.
    transformJson: false
  }).pipe(
    Layer.mapError(
      (cause) =>
        new StorageError({
          message: `Cannot connect to the Postgres registry at ${redactUrl(options.url)}: ${
            (cause.cause instanceof Error ? cause.cause.message : "") || cause.message
          }. Check that the server is running and the URL (host, port, database, user) is right.`,
          cause
        })
    )
  )
