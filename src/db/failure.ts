/**
 * Driver errors as Lamina errors.
 *
 * @module
 */
import type { SqlError } from "@effect/sql/SqlError"
import { IntegrityError, StorageError } from "../errors.js"

/** Turn driver errors into Lamina errors: constraint violations are `IntegrityError`s. */
export const sqlFailure = (what: string) => (e: SqlError): IntegrityError | StorageError => {
  const text = `${e.message} ${e.cause instanceof Error ? e.cause.message : ""}`
  return /UNIQUE|unique constraint|duplicate key|FOREIGN KEY|foreign key|NOT NULL|violates/i.test(text)
    ? new IntegrityError({ message: `${what}: the registry refused the write (${text.trim()}).`, cause: e })
    : new StorageError({ message: `${what}: registry query failed (${text.trim()}).`, cause: e })
}
