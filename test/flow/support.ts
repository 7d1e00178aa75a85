/**
 * Helpers for lineage tests: files, artifacts, and registry reads by SQL.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Scheduler } from "effect"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import type { TestInstance } from "../support/backends.js"

let counter = 0

/** Write a file under the instance's scratch folder. */
export const writeFile = (i: TestInstance, name: string, content: string | Buffer): string => {
  const p = path.join(i.dir, "files", name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

/** Save content as an artifact at `key` (an effect: inside a step it becomes an output). */
export const saveText = (dir: string, key: string, content: string) =>
  Effect.suspend(() => {
    const p = path.join(dir, "tmp", `${process.pid}-${counter++}-${path.basename(key)}`)
    mkdirSync(path.dirname(p), { recursive: true })
    writeFileSync(p, content)
    return Effect.flatMap(Artifact.fromPath(p, { key }), (pending) => pending.save())
  })

/** Read an artifact's text (records an input inside a run). */
export const loadText = (a: Artifact) => Effect.map(a.load(), (b) => Buffer.from(b).toString("utf8"))

/** Every run, oldest first, with its transform's key and kind. */
export const allRuns = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ readonly uid: string; readonly name: string | null; readonly key: string; readonly kind: string; readonly status: number; readonly parent: string | null; readonly reused: string | null }>`
    SELECT r.uid, r.name, t.key, t.kind, r._status_code AS status, p.uid AS parent, u.uid AS reused
    FROM lamina_run r JOIN lamina_transform t ON t.id = r.transform_id
    LEFT JOIN lamina_run p ON p.id = r.initiated_by_run_id
    LEFT JOIN lamina_run u ON u.id = r.reused_run_id
    ORDER BY r.id`
  return rows.map((r) => ({ ...r, status: Number(r.status) }))
})

/** Runs of a step name, oldest first. */
export const runsNamed = (name: string) =>
  Effect.map(Run.filter({ name }).toArray(), (runs) => [...runs].sort((a, b) => a.id - b.id))

/** Uids of a run's input artifacts. */
export const inputsOf = (runId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly uid: string }>`SELECT a.uid FROM lamina_run_input_artifact l JOIN lamina_artifact a ON a.id = l.artifact_id WHERE l.run_id = ${runId} ORDER BY a.id`
    return rows.map((r) => r.uid)
  })

/** Uids of artifacts a run created. */
export const createdBy = (runId: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly uid: string }>`SELECT uid FROM lamina_artifact WHERE run_id = ${runId} ORDER BY id`
    return rows.map((r) => r.uid)
  })

/** Count rows of a table. */
export const count = (table: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM ${sql(table)}`
    return Number(rows[0]!.n)
  })

/** A scheduler counting the fibers' operations (the run loop asks `shouldYield` once per operation). */
export const counting = () => {
  let ops = 0
  const scheduler: Scheduler.Scheduler = {
    scheduleTask: (task, priority) => Scheduler.defaultScheduler.scheduleTask(task, priority),
    shouldYield: (fiber) => {
      ops++
      return Scheduler.defaultScheduler.shouldYield(fiber)
    }
  }
  return { scheduler, ops: () => ops }
}
