/**
 * Database strings: which backend a string names, and how to print it. Kept apart from
 * db/postgres.ts so that telling the backends apart does not load the Postgres driver.
 *
 * @module
 */

/** True for `postgres://` and `postgresql://` URLs. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//.test(db)

/** A Postgres URL with its password replaced, safe to print or store in logs. */
export const redactUrl = (url: string): string => url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@")
