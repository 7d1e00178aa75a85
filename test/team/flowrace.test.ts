/**
 * Single flight across OS processes: 4 processes call the same step with the same arguments
 * at once; the body runs once, the others record cached runs of it and get the same output.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { readFileSync, rmSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, expect, it } from "vitest"
import type { FlowWorkerConfig, FlowWorkerResult } from "../../bench/team/flowWorker.js"
import { runProcesses } from "../../bench/team/spawn.js"
import { RunStatus } from "../../src/registry/Run.js"
import { describeBackends } from "../support/backends.js"
import { bundleScript } from "../support/workers.js"

const RACERS = 4

let worker = ""
beforeAll(async () => {
  worker = await bundleScript("bench/team/flowWorker.ts")
})
afterAll(() => rmSync(worker, { force: true }))

describeBackends(
  "step single flight across processes",
  ({ instance }) => {
    it(`${RACERS} processes racing on one cache key compute once`, async () => {
      const i = await instance()
      const dir = path.join(i.dir, "race")
      const results = await runProcesses<FlowWorkerResult>(
        worker,
        Array.from({ length: RACERS }, (_, n): FlowWorkerConfig => ({ storage: i.storage, db: i.db, ...(i.s3 ? { s3: i.s3 } : {}), dir, id: `r${n}`, racers: RACERS }))
      )
      expect(readFileSync(path.join(dir, "executions.log"), "utf8").trim().split("\n")).toHaveLength(1)
      expect(new Set(results.map((r) => r.uid)).size).toBe(1)
      const runs = await i.run(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly status: number }>`SELECT _status_code AS status FROM lamina_run WHERE name = 'team-race' ORDER BY id`)
      )
      expect(runs.map((r) => Number(r.status)).sort()).toEqual([RunStatus.completed, RunStatus.cached, RunStatus.cached, RunStatus.cached].sort())
      const claims = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT cache_key FROM lamina_run_claim`))
      expect(claims).toEqual([])
    }, 300_000)
  },
  { storages: ["local", "s3"] }
)
