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
