/**
 * The cluster's tables in a fresh database, created by several processes' storage layers at
 * once (runners started together): every one of them comes up, and the tables exist once.
 */
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TABLE_PREFIX } from "../../src/cluster/config.js"
import { layerStorage } from "../../src/cluster/storage.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { query } from "./suite.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

;(enabled ? describe : describe.skip)("cluster storage", () => {
  let db: { readonly url: string; readonly drop: () => Promise<void> }
  beforeAll(async () => {
    db = await createDatabase()
  }, 60_000)
  afterAll(async () => {
    await db.drop()
  }, 60_000)

  it("six storage layers built at once on a fresh database all come up", async () => {
    const build = Effect.scoped(Layer.build(layerStorage(db.url).pipe(Layer.provide(ShardingConfig.layer({})))))
    const built = await Effect.runPromise(Effect.all(Array.from({ length: 6 }, () => Effect.as(build, "up")), { concurrency: "unbounded" }))
    expect(built).toEqual(Array(6).fill("up"))
    const tables = await query<{ table_name: string }>(db.url, `SELECT table_name FROM information_schema.tables WHERE table_name LIKE '${TABLE_PREFIX}%'`)
    expect(tables.length).toBeGreaterThan(0)
  }, 60_000)
})
