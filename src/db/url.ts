/**
 * Database strings: which backend a string names, how to print it, and the user a Postgres URL
 * without one connects as. Kept apart from db/postgres.ts so that telling the backends apart
 * does not load the Postgres driver.
 *
 * @module
 */
import * as os from "node:os"

/** True for `postgres://` and `postgresql://` URLs. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//.test(db)

/** A Postgres URL with its password replaced, safe to print or store in logs. */
export const redactUrl = (url: string): string => url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@")

/**
 * The user name a Postgres URL without one connects as, as libpq picks it: `PGUSER`, else
 * `USER`, else the OS user name (`undefined` when none is known).
 */
export const defaultPgUser = (env: Readonly<Record<string, string | undefined>>, osUser: () => string): string | undefined => {
  if (env["PGUSER"]) return env["PGUSER"]
  if (env["USER"]) return env["USER"]
  try {
    return osUser() || undefined
  } catch {
    return undefined
  }
}

/**
 * `url` with `user` filled in when it names no user. node-postgres falls back to `$USER`
 * only, which containers and services often leave unset; the server then refuses the
 * connection ("no PostgreSQL user name specified") although libpq would have connected.
 */
export const withDefaultUser = (url: string, user: string | undefined): string => {
  if (user === undefined || !URL.canParse(url)) return url
  const parsed = new URL(url)
  // A socket URL (empty host) cannot carry a user name.
  if (parsed.username !== "" || parsed.host === "") return url
  parsed.username = encodeURIComponent(user)
  return parsed.toString()
}

/** `url` as the registry and the cluster connect with it: its user, else libpq's default one. */
export const withLibpqUser = (url: string): string => withDefaultUser(url, defaultPgUser(process.env, () => os.userInfo().username))
