/**
 * `Lamina.resolveSettings`: storage and database strings are checked before anything connects,
 * so a typo'd or unsupported database URL is an `InvalidArgument`, never a SQLite file at a
 * path made from the URL.
 */
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { resolveSettings } from "../../src/instance/Lamina.js"

const failure = (options: Parameters<typeof resolveSettings>[0]) => Effect.runPromise(Effect.flip(resolveSettings(options)))

describe("resolveSettings", () => {
  it("keeps Postgres URLs and resolves SQLite paths", async () => {
    const pg = await Effect.runPromise(resolveSettings({ storage: "/tmp/x", db: "postgresql://u@127.0.0.1:5432/lab" }))
    expect(pg.db).toBe("postgresql://u@127.0.0.1:5432/lab")
    const sqlite = await Effect.runPromise(resolveSettings({ storage: "/tmp/x", db: "reg.db" }))
    expect(sqlite.db).toBe(path.resolve("reg.db"))
  })

  it("rejects database URLs of other schemes, empty and non-string databases", async () => {
    for (const db of ["mysql://127.0.0.1/x", "sqlite://reg.db", "postgres:/127.0.0.1/lab", "http://db"]) {
      const e = await failure({ storage: "/tmp/x", db })
      expect(e._tag).toBe("InvalidArgument")
      expect(e.message).toContain(`Unsupported database '${db}'`)
      expect(e.message).toContain("postgresql://")
    }
    for (const db of ["", " "]) expect((await failure({ storage: "/tmp/x", db }))._tag).toBe("InvalidArgument")
    // @ts-expect-error a number is not a database
    expect((await failure({ storage: "/tmp/x", db: 5 })).message).toContain("Pass a database")
  })

  it("rejects an S3 endpoint that is not an http(s) URL", async () => {
    const base = { storage: "s3://bucket/prefix", db: "postgresql://u@127.0.0.1:5432/lab" }
    for (const endpoint of ["notaurl", "127.0.0.1:9000", "ftp://127.0.0.1:9000"]) {
      const e = await failure({ ...base, s3: { endpoint } })
      expect(e._tag).toBe("InvalidArgument")
      expect(e.message).toContain(`S3 endpoint '${endpoint}'`)
      expect(e.message).toContain("http://host:port")
    }
    const ok = await Effect.runPromise(resolveSettings({ ...base, s3: { endpoint: "http://127.0.0.1:9000" } }))
    expect(ok.s3).toEqual({ endpoint: "http://127.0.0.1:9000" })
  })

  it("rejects a name or s3 settings of the wrong type", async () => {
    // @ts-expect-error a number is not a name
    expect((await failure({ storage: "/tmp/x", name: 5 })).message).toContain("instance name must be a non-empty string")
    expect((await failure({ storage: "/tmp/x", name: "" })).message).toContain("instance name must be a non-empty string")
    // @ts-expect-error s3 settings are an object
    expect((await failure({ storage: "/tmp/x", s3: 5 })).message).toContain("s3 must be an object")
  })
})
