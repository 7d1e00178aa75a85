/**
 * Database strings: a Postgres URL without a user name gets libpq's default, so
 * `postgresql://127.0.0.1:5432/lab` connects where $USER is unset (containers, services)
 * instead of failing with "no PostgreSQL user name specified in startup packet".
 */
import { describe, expect, it } from "vitest"
import { defaultPgUser, redactUrl, withDefaultUser } from "../../src/db/url.js"

describe("Postgres URLs", () => {
  it("fills a missing user name, keeps a given one and the rest of the URL", () => {
    expect(withDefaultUser("postgresql://127.0.0.1:5432/lab", "root")).toBe("postgresql://root@127.0.0.1:5432/lab")
    expect(withDefaultUser("postgres://db.example.com/lab?sslmode=require", "a b")).toBe("postgres://a%20b@db.example.com/lab?sslmode=require")
    expect(withDefaultUser("postgresql://alice:secret@127.0.0.1/lab", "root")).toBe("postgresql://alice:secret@127.0.0.1/lab")
    expect(withDefaultUser("postgresql://127.0.0.1/lab", undefined)).toBe("postgresql://127.0.0.1/lab")
    // A socket URL (empty host) cannot carry a user name: left as it is.
    expect(withDefaultUser("postgresql:///lab?host=/var/run/postgresql", "root")).toBe("postgresql:///lab?host=/var/run/postgresql")
  })

  it("defaults like libpq: PGUSER, then USER, then the OS user name", () => {
    expect(defaultPgUser({ PGUSER: "p", USER: "u" }, () => "os")).toBe("p")
    expect(defaultPgUser({ USER: "u" }, () => "os")).toBe("u")
    expect(defaultPgUser({}, () => "os")).toBe("os")
    expect(defaultPgUser({}, () => { throw new Error("no passwd entry") })).toBeUndefined()
  })

  it("redacts the password only", () => {
    expect(redactUrl("postgresql://alice:secret@127.0.0.1/lab")).toBe("postgresql://alice:***@127.0.0.1/lab")
  })
})
