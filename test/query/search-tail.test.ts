/**
 * Search stays exact while SQLite's search index lags behind by up to `SEARCH_BATCH` rows
 * (migration 171): new rows are found before and after the batch that indexes them, and
 * updates, deletes and reused ids keep the index and the table in step. Postgres runs the same
 * searches (its pg_trgm indexes do not lag).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { SEARCH_BATCH } from "../../src/db/migrations/171-search-tail.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { seedArtifact } from "../support/seed.js"

describeBackends("search over rows the index has not caught up with", ({ instance, backend }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
  })

  const keys = async (text: string): Promise<ReadonlyArray<string | null>> =>
    (await i.run(Artifact.search(text, { limit: 1000 }).toArray())).map((a) => a.key).sort()
  const sqlRows = <R extends object>(text: string): Promise<ReadonlyArray<R>> =>
    i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<R>(text)))
  const seed = (from: number, to: number) =>
    i.run(Effect.forEach(Array.from({ length: to - from }, (_, k) => from + k), (k) => seedArtifact({ key: `tail/item-${k}.csv`, description: `lot ${k}` }), { discard: true }))
  /** SQLite: the ids the index holds equal the ids up to its watermark. */
  const indexMatchesWatermark = async () => {
    if (backend !== "sqlite") return
    const [{ through }] = (await sqlRows<{ through: number }>("SELECT indexed_through AS through FROM lamina_artifact_fts_tail")) as [{ through: number }]
    const indexed = (await sqlRows<{ id: number }>("SELECT id FROM lamina_artifact_fts_docsize ORDER BY id")).map((r) => Number(r.id))
    const upTo = (await sqlRows<{ id: number }>(`SELECT id FROM lamina_artifact WHERE id <= ${Number(through)} ORDER BY id`)).map((r) => Number(r.id))
    expect(indexed).toEqual(upTo)
    // FTS5's own check of the index (it fails on a 'delete' of a row it never held).
    await sqlRows("INSERT INTO lamina_artifact_fts (lamina_artifact_fts) VALUES ('integrity-check')")
    return Number(through)
  }

  it("finds rows before and after the batch that indexes them", async () => {
    await seed(0, 10)
    expect(await keys("item-7.csv")).toEqual(["tail/item-7.csv"])
    const before = await indexMatchesWatermark()
    await seed(10, SEARCH_BATCH + 20)
    const after = await indexMatchesWatermark()
    if (backend === "sqlite") expect(after).toBeGreaterThan(before!)
    expect(await keys("item-7.csv")).toEqual(["tail/item-7.csv"])
    expect(await keys(`item-${SEARCH_BATCH + 19}.csv`)).toEqual([`tail/item-${SEARCH_BATCH + 19}.csv`])
    expect((await keys("tail/item-")).length).toBe(SEARCH_BATCH + 20)
  })

  it("renaming or deleting an indexed row or a tail row leaves no stale match", async () => {
    const indexed = await i.run(seedArtifact({ key: "zz/indexed-old.csv" }))
    // A full batch after it puts it below the watermark; the next row is in the tail.
    await seed(1000, 1000 + SEARCH_BATCH)
    const fresh = await i.run(seedArtifact({ key: "zz/fresh-old.csv" }))
    const through = await indexMatchesWatermark()
    if (backend === "sqlite") {
      expect(indexed.id).toBeLessThanOrEqual(through!)
      expect(fresh.id).toBeGreaterThan(through!)
    }
    await sqlRows(`UPDATE lamina_artifact SET key = 'zz/indexed-new.csv' WHERE id = ${indexed.id}`)
    await sqlRows(`UPDATE lamina_artifact SET key = 'zz/fresh-new.csv' WHERE id = ${fresh.id}`)
    expect(await keys("-old.csv")).toEqual([])
    expect(await keys("-new.csv")).toEqual(["zz/fresh-new.csv", "zz/indexed-new.csv"])
    await indexMatchesWatermark()

    await sqlRows(`DELETE FROM lamina_artifact WHERE id IN (${indexed.id}, ${fresh.id})`)
    expect(await keys("-new.csv")).toEqual([])
    await indexMatchesWatermark()
  })

  it("a reused id at or below the watermark is indexed at once", async () => {
    // Catch up exactly through the newest row, then delete it: SQLite gives its id to the next row.
    const newestId = async () => Number(((await sqlRows<{ newest: number }>("SELECT MAX(id) AS newest FROM lamina_artifact")) as [{ newest: number }])[0].newest)
    const before = await indexMatchesWatermark()
    await seed(2000, 2000 + (backend === "sqlite" ? before! + SEARCH_BATCH - (await newestId()) : 1))
    const newest = await newestId()
    if (backend === "sqlite") expect(await indexMatchesWatermark()).toBe(newest)
    await sqlRows(`DELETE FROM lamina_artifact WHERE id = ${Number(newest)}`)
    const reused = await i.run(seedArtifact({ key: "zz/reused.csv" }))
    if (backend === "sqlite") expect(reused.id).toBe(newest)
    expect(await keys("reused.csv")).toEqual(["zz/reused.csv"])
    await indexMatchesWatermark()
  })
})
