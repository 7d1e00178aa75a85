/**
 * A save interrupted while its COMMIT is in flight: the row is committed, so its bytes must stay
 * (and, inside a step, the aborted run's output goes to trash like any failed run's). A deferred
 * constraint trigger makes Postgres's COMMIT of an artifact under `slow/` take 0.8 s, long
 * enough to interrupt the save then.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Exit, Fiber } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../../src/flow/index.js"
import { Run, RunStatus } from "../../../src/index.js"
import { Artifact } from "../../../src/registry/Artifact.js"
import { allRuns, createdBy } from "../../flow/support.js"
import { describeBackends, type TestInstance } from "../../support/backends.js"

const slowCommits = (i: TestInstance) =>
  i.run(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.zipRight(
        sql.unsafe(`CREATE FUNCTION lamina_test_slow_commit() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.8); RETURN NULL; END $$ LANGUAGE plpgsql`),
        sql.unsafe(
          `CREATE CONSTRAINT TRIGGER lamina_test_slow_commit AFTER INSERT ON lamina_artifact DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.key LIKE 'slow/%') EXECUTE FUNCTION lamina_test_slow_commit()`
        )
      )
    )
  )

/** Wait until a connection of this database is in the slow trigger of a COMMIT. */
const commitInFlight = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query = 'COMMIT' AND wait_event = 'PgSleep'`.pipe(
    Effect.flatMap((rows) => (Number(rows[0]!.n) > 0 ? Effect.void : Effect.fail("not yet" as const))),
    Effect.retry({ times: 500, schedule: undefined }),
    Effect.orDie
  )
)

const input = (i: TestInstance, name: string, content: string) => {
  const p = path.join(i.dir, "inputs", name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

describeBackends("save interrupted during its commit", ({ instance, backend }) => {
  it.skipIf(backend !== "pg")("keeps the bytes of the row it committed", async () => {
    const i = await instance()
    await slowCommits(i)
    const file = input(i, "slow.txt", "committed while interrupted")
    const exit = await i.run(
      Effect.gen(function* () {
        const fiber = yield* Effect.fork(Effect.flatMap(Artifact.fromPath(file, { key: "slow/a.txt" }), (p) => p.save()))
        yield* Effect.sleep("20 millis").pipe(Effect.zipRight(commitInFlight))
        return yield* Fiber.interrupt(fiber)
      })
    )
    expect(Exit.isInterrupted(exit)).toBe(true)
    const saved = await i.run(Artifact.get({ key: "slow/a.txt" }))
    expect(await i.exists(`.lamina/${saved.uid}.txt`)).toBe(true)
    expect(Buffer.from(await i.run(saved.load())).toString()).toBe("committed while interrupted")
  })

  it.skipIf(backend !== "pg")("inside a step: the aborted run's output goes to trash, bytes kept", async () => {
    const i = await instance()
    await slowCommits(i)
    const file = input(i, "slow-step.txt", "a step's output, committed while interrupted")
    const slow = step("slow-save", (key: string) => Effect.flatMap(Artifact.fromPath(file, { key }), (p) => p.save()))
    const f = flow("slow-save-flow", (key: string) => slow(key))
    const exit = await i.run(
      Effect.gen(function* () {
        const fiber = yield* Effect.fork(f("slow/step.txt"))
        yield* Effect.sleep("20 millis").pipe(Effect.zipRight(commitInFlight))
        return yield* Fiber.interrupt(fiber)
      })
    )
    expect(Exit.isSuccess(exit)).toBe(false)
    const runs = (await i.run(allRuns)).filter((r) => r.name === "slow-save")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.aborted])
    const created = await i.run(createdBy((await i.run(Run.get(runs[0]!.uid))).id))
    expect(created).toHaveLength(1)
    const output = await i.run(Artifact.get(created[0]!))
    expect(output.branch).toBe(-1)
    expect(await i.run(Artifact.filter({ key: "slow/step.txt" }).count())).toBe(0)
    expect(await i.exists(`.lamina/${output.uid}.txt`)).toBe(true)
  })
})
