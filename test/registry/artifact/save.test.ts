/**
 * A save interrupted while its COMMIT is in flight: the row is committed, so its bytes must stay
 * (and, inside a step, the aborted run's output goes to trash like any failed run's). Postgres
 * only: its commit is slowed by a deferred trigger (test/support/slowCommit.ts).
 *
 * Saves running side by side (on SQLite their registrations share one commit): each row with
 * its own bytes, and identical content registered once. (A save interrupted while its
 * registration waits in the shared batch: test/db/sqliteSync.test.ts.)
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Exit, Fiber } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../../src/flow/index.js"
import { Run, RunStatus } from "../../../src/index.js"
import { Artifact } from "../../../src/registry/Artifact.js"
import { allRuns, createdBy } from "../../flow/support.js"
import { describeBackends, type TestInstance } from "../../support/backends.js"
import { commitInFlight, slowCommits } from "../../support/slowCommit.js"
import { sqliteCommits } from "../../support/sqliteCommits.js"

const input = (i: TestInstance, name: string, content: string) => {
  const p = path.join(i.dir, "inputs", name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, content)
  return p
}

describeBackends("save interrupted during its commit", ({ instance, backend }) => {
  // A new key registers in one round trip (direct.ts), a new version in a transaction (save.ts).
  it.skipIf(backend !== "pg").each([
    ["a new key (one round trip)", false],
    ["a new version of a key (a transaction)", true]
  ])("%s: keeps the bytes of the row it committed", async (_case, versioned) => {
    const i = await instance()
    await slowCommits(i)
    if (versioned) await i.run(Effect.flatMap(Artifact.fromPath(input(i, "slow-v1.txt", "version 1"), { key: "slow/a.txt" }), (p) => p.save()))
    const file = input(i, "slow.txt", "committed while interrupted")
    const exit = await i.run(
      Effect.gen(function* () {
        const fiber = yield* Effect.fork(Effect.flatMap(Artifact.fromPath(file, { key: "slow/a.txt" }), (p) => p.save()))
        yield* commitInFlight
        return yield* Fiber.interrupt(fiber)
      })
    )
    expect(Exit.isInterrupted(exit)).toBe(true)
    const saved = await i.run(Artifact.get({ key: "slow/a.txt" }))
    expect(saved.uid.endsWith(versioned ? "0001" : "0000")).toBe(true)
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
        yield* commitInFlight
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

describeBackends("concurrent saves", ({ instance, backend }) => {
  const saveAll = (i: TestInstance, files: ReadonlyArray<readonly [string, string]>) =>
    Effect.forEach(files, ([file, key]) => Effect.flatMap(Artifact.fromPath(file, { key }), (p) => p.save()), { concurrency: 8 })

  it("eight saves side by side: each row with its bytes (on SQLite in one commit)", async () => {
    const i = await instance()
    const files = Array.from({ length: 8 }, (_, n) => [input(i, `side-${n}.txt`, `side by side ${n}`), `side/${n}.txt`] as const)
    sqliteCommits.reset()
    const saved = await i.run(saveAll(i, files))
    if (backend === "sqlite") expect(sqliteCommits.count).toBe(1)
    expect(new Set(saved.map((a) => a.uid)).size).toBe(8)
    for (const [n, a] of saved.entries()) {
      expect(a.key).toBe(`side/${n}.txt`)
      expect(Buffer.from(await i.run(a.load())).toString()).toBe(`side by side ${n}`)
    }
  })

  it("the same content saved side by side: one artifact, one stored file", async () => {
    const i = await instance()
    const files = Array.from({ length: 8 }, (_, n) => [input(i, `same-${n}.txt`, "the same bytes"), `same/${n}.txt`] as const)
    const saved = await i.run(saveAll(i, files))
    expect(new Set(saved.map((a) => a.uid)).size).toBe(1)
    expect(await i.run(Artifact.filter({ key__startswith: "same/" }).count())).toBe(1)
    expect(await i.storedKeys(".lamina")).toEqual([`.lamina/${saved[0]!.uid}.txt`])
  })
})
