/**
 * Cache hits answered within the caller's turn (src/flow/hitNow.ts): on SQLite a hit costs a
 * few Effect operations, and records the same `cached` run the Effect path records.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../src/flow/index.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { connect, describeBackends } from "../support/backends.js"
import { counting, inputsOf, saveText } from "./support.js"

interface CachedRow {
  readonly uid: string
  readonly transform_id: number
  readonly name: string
  readonly entrypoint: string | null
  readonly params: unknown
  readonly status: number
  readonly initiated_by_run_id: number
  readonly environment_id: number | null
  readonly cache_key: string | null
  readonly reused_run_id: number | null
  readonly created_by_id: number | null
  readonly id: number
}

describeBackends("hitNow", ({ instance, backend }) => {
  it("answers a hit with as many Effect operations as Effect.void on SQLite, and records the cached run the Effect path records", async () => {
    const i = await instance()
    const input = await i.run(saveText(i.dir, "hn/in.txt", "input"))
    const leaf = step("hn-leaf", (a: Artifact, n: number) => Effect.succeed({ n, uid: a.uid }))
    const calls = (n: number) => Effect.forEach(Array.from({ length: n }, (_, k) => k), (k) => leaf(input, k), { discard: true })
    const first = flow("hn-flow", (n: number) => calls(n))
    await i.run(first(20))

    // A fresh Tracker on the same registry: the first hit of each call resolves the step's
    // transform through the Effect path; the second call of the same arguments is answered now.
    const j = await connect(i.backend, i.storage, i.db, i.dir)
    try {
      const twice = flow("hn-twice", () => Effect.zipRight(leaf(input, 0), leaf(input, 0)))
      await j.run(twice())
      const rows = await j.run(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<CachedRow>`SELECT * FROM lamina_run WHERE name = 'hn-leaf' AND reused_run_id IS NOT NULL ORDER BY id`)
      )
      expect(rows).toHaveLength(2)
      const [viaEffect, viaNow] = rows as [CachedRow, CachedRow]
      const same = (r: CachedRow) => ({
        transform: r.transform_id,
        name: r.name,
        entrypoint: r.entrypoint,
        params: typeof r.params === "string" ? JSON.parse(r.params) : r.params,
        status: Number(r.status),
        parent: r.initiated_by_run_id,
        environment: r.environment_id,
        key: r.cache_key,
        reused: r.reused_run_id,
        user: r.created_by_id
      })
      expect(same(viaNow)).toEqual(same(viaEffect))
      expect(await j.run(inputsOf(viaNow.id))).toEqual([input.uid])
      expect(await j.run(inputsOf(viaEffect.id))).toEqual([input.uid])

      // Effect operations of 20 hits, against 20 calls of Effect.void in the same flow shape.
      const count = counting()
      const control = flow("hn-control", (n: number) => Effect.forEach(Array.from({ length: n }, (_, k) => k), () => Effect.void, { discard: true }))
      await j.run(first(20))
      const c0 = count.ops()
      await j.run(Effect.withScheduler(control(20), count.scheduler))
      const c1 = count.ops()
      const value = await j.run(Effect.withScheduler(first(20), count.scheduler))
      const perHit = (count.ops() - c1 - (c1 - c0)) / 20
      expect(value).toBeUndefined()
      // Through the Effect path a hit took ~60 operations more than Effect.void.
      if (backend === "sqlite") expect(perHit).toBeLessThan(5)
      else expect(perHit).toBeGreaterThan(20)
    } finally {
      await j.close()
    }
  })
})
