/**
 * `npm run example -- distributed` (dist/examples/run.js, built like `npm test` builds it) end
 * to end on a throwaway Postgres database: it starts two `lamina worker` processes, the fan-out
 * spreads over both, and a second run is all cache hits.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runNode } from "../support/cli.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, postgresAvailable } from "../support/postgres.js"
import { query } from "./suite.js"

const enabled = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

;(enabled ? describe : describe.skip)("example: distributed", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-example-distributed-"))
  const dbs: Array<{ readonly url: string; readonly drop: () => Promise<void> }> = []

  beforeAll(async () => {
    dbs.push(await createDatabase())
  }, 60_000)

  afterAll(async () => {
    for (const d of dbs) await d.drop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it("two workers share the fan-out; a rerun is all cache hits", async () => {
    const exampleHome = path.join(dir, "example-home")
    mkdirSync(exampleHome, { recursive: true })
    const env = { LAMINA_HOME: exampleHome, LAMINA_EXAMPLE_DB: dbs[0]!.url }
    const first = await runNode([path.resolve("dist/examples/run.js"), "distributed"], { env, cwd: dir })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain("distributed: 9 step runs — 9 executed, 0 cached, 0 failed")
    // Both runners executed estimates.
    for (const port of [24461, 24462]) expect(first.stderr).toMatch(new RegExp(`✓ estimate done on 127\\.0\\.0\\.1:${port}`))
    const placed = await query<{ runner: string }>(dbs[0]!.url, `SELECT DISTINCT runner FROM lamina_run WHERE name = 'estimate' AND _status_code = 0 ORDER BY runner`)
    expect(placed.map((r) => r.runner)).toEqual(["127.0.0.1:24461", "127.0.0.1:24462"])

    const second = await runNode([path.resolve("dist/examples/run.js"), "distributed"], { env, cwd: dir })
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain("distributed: 9 step runs — 0 executed, 9 cached, 0 failed")
  }, 240_000)
})
