/**
 * `Tracker.recordFinishedRuns` on {SQLite, Postgres}: a batch of finished runs (a parent and
 * more children than one multi-row insert holds) lands with parents, links and report /
 * environment in one transaction — and a failure in its artifacts step leaves no run behind.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { StorageError } from "../../src/errors.js"
import { RunStatus } from "../../src/registry/Run.js"
import { Tracker, type FinishedRun } from "../../src/tracker/index.js"
import { describeBackends } from "../support/backends.js"

const transformId = Effect.flatMap(Tracker, (t) => Effect.map(t.ensureTransform({ key: "test/finished", kind: "pipeline", source: "external" }), (x) => x.id))

const batch = (transform: number, children: number): ReadonlyArray<FinishedRun> => [
  { name: "launch", transformId: transform, status: RunStatus.completed, params: { run: 1 }, startedAt: new Date(0), finishedAt: new Date(5000), reference: "L", referenceType: "test_launch" },
  ...Array.from({ length: children }, (_, i): FinishedRun => ({
    name: `task ${i}`,
    transformId: transform,
    status: i % 10 === 0 ? RunStatus.errored : RunStatus.completed,
    params: { i },
    startedAt: new Date(1000),
    finishedAt: new Date(2000),
    reference: `T${i}`,
    referenceType: "test_task",
    ...(i % 10 === 0 ? { error: { _tag: "WorkflowFailed", message: `task ${i} failed` } } : {}),
    parent: { index: 0 }
  }))
]

describeBackends("Tracker.recordFinishedRuns", ({ instance }) => {
  it("writes runs with their parent, links, report and environment in one go", async () => {
    const i = await instance()
    const result = await i.run(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const sql = yield* SqlClient.SqlClient
        const t = yield* transformId
        const artifact = Number((yield* sql<{ readonly id: number }>`SELECT id FROM lamina_artifact ORDER BY id LIMIT 1`)[0]?.id ?? 0)
        const ids = yield* tracker.recordFinishedRuns({
          runs: batch(t, 450),
          artifacts: (runIds) =>
            Effect.succeed({
              inputs: artifact === 0 ? [] : [{ run_id: runIds[1]!, artifact_id: artifact }],
              outputs: [],
              described: []
            })
        })
        const children = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run WHERE initiated_by_run_id = ${ids[0]!}`
        const failed = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run WHERE _status_code = ${RunStatus.errored} AND error IS NOT NULL`
        const leases = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run WHERE _lease_expires_at IS NOT NULL`
        return { ids, children: Number(children[0]!.n), failed: Number(failed[0]!.n), leases: Number(leases[0]!.n) }
      })
    )
    expect(result.ids).toHaveLength(451)
    expect(new Set(result.ids).size).toBe(451)
    expect(result.children).toBe(450)
    expect(result.failed).toBe(45)
    expect(result.leases).toBe(0)
  })

  it("a failing artifacts step rolls the whole batch back", async () => {
    const i = await instance()
    const error = await i.fail(
      Effect.gen(function* () {
        const tracker = yield* Tracker
        const t = yield* transformId
        return yield* tracker.recordFinishedRuns({
          runs: batch(t, 300),
          artifacts: () => Effect.fail(new StorageError({ message: "disk full while registering outputs" }))
        })
      })
    )
    expect(error.message).toContain("disk full")
    const runs = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM lamina_run`).pipe(Effect.orDie))
    expect(Number(runs[0]!.n)).toBe(0)
  })
})
