/**
 * Driver errors as Lamina errors.
 *
 * @module
 */
import { SqlError } from "@effect/sql/SqlError"
import { IntegrityError, StorageError } from "../errors.js"

/** Turn driver errors into Lamina errors: constraint violations are `IntegrityError`s. */
export const sqlFailure = (what: string) => (e: SqlError): IntegrityError | StorageError => {
  const text = `${e.message} ${e.cause instanceof Error ? e.cause.message : ""}`
  return /UNIQUE|unique constraint|duplicate key|FOREIGN KEY|foreign key|NOT NULL|violates/i.test(text)
    ? new IntegrityError({ message: `${what}: the registry refused the write (${text.trim()}).`, cause: e })
    : new StorageError({ message: `${what}: registry query failed (${text.trim()}).`, cause: e })
}

/** A throw from a direct better-sqlite3 call (`db/sqlite.ts`' direct path) as @effect/sql reports it. */
export const directSqlError = (cause: unknown): SqlError =>
  new SqlError({ cause, message: `Failed to execute statement: ${cause instanceof Error ? cause.message : String(cause)}` })

/** A throw from a direct better-sqlite3 call as a Lamina error, like `sqlFailure`. */
export const directFailure = (what: string) => (cause: unknown): IntegrityError | StorageError => sqlFailure(what)(directSqlError(cause))

/** Whether `error` or a cause under it carries one of the Postgres error `codes` (SQLSTATE). */
const hasCode = (error: unknown, codes: ReadonlySet<string>): boolean => {
  let e = error
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null; depth++) {
    if (codes.has(String((e as { readonly code?: unknown }).code))) return true
    e = (e as { readonly cause?: unknown }).cause
  }
  return false
}

/** Postgres's deadlock (40P01) and serialization failure (40001) codes. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["40P01", "40001"])

/**
 * True when `error` (or a cause under it) is a deadlock or serialization failure: the database
 * undid the statement, and running the same write again in a new transaction may simply succeed.
 */
export const isTransient = (error: unknown): boolean => hasCode(error, TRANSIENT_CODES)

/** Postgres's lock_not_available (55P03): a lock wait ran past `lock_timeout`. */
const LOCK_TIMEOUT_CODES: ReadonlySet<string> = new Set(["55P03"])

/** True when `error` (or a cause under it) says a lock wait ran past its bound and the statement was undone. */
export const isLockTimeout = (error: unknown): boolean => hasCode(error, LOCK_TIMEOUT_CODES)
