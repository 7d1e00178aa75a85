/**
 * A short step's records commit behind on the embedded registry (src/db/writeBehind.ts, decided
 * in src/flow/executeNow.ts): a sequential flow of short steps commits its claims, runs and
 * saves together, and every record is there when the flow returns; a step whose last call was
 * long commits its claim before its body runs (another process sees it); a flow's own saves
 * commit before they return; a child process a body runs synchronously finds them committed.
 */
import Database from "better-sqlite3"
import { Effect, Option } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, expect, it } from "vitest"
import { currentRun } from "../../src/flow/CurrentRun.js"
import { flow, step } from "../../src/flow/index.js"
import { RunStatus } from "../../src/registry/Run.js"
import { connect, type TestInstance } from "../support/backends.js"
import { sqliteCommits as commits } from "../support/sqliteCommits.js"
import { allRuns, saveText } from "./support.js"

const opened: Array<{ readonly i: TestInstance; readonly dir: string }> = []
afterAll(async () => {
  for (const { i, dir } of opened) {
    await i.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

/**
 * What counts as a short call here: far above what these bodies take on a busy machine (a test
 * must not depend on a timing), far below what the long one takes.
 */
const SHORT_MS = 250

/** A fresh SQLite instance, and a reader on another connection (as another process would read). */
const instance = async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-behind-"))
  const before = process.env.LAMINA_SHORT_CALL_MS
  process.env.LAMINA_SHORT_CALL_MS = String(SHORT_MS)
  const i = await connect("sqlite", path.join(dir, "storage"), path.join(dir, "registry.db"), dir).finally(() => {
    if (before === undefined) delete process.env.LAMINA_SHORT_CALL_MS
    else process.env.LAMINA_SHORT_CALL_MS = before
  })
  opened.push({ i, dir })
  const reader = new Database(i.db, { readonly: true })
  /** Whether another connection sees run `id`, and its artifacts under `key`. */
  const sees = {
    run: (id: number) => reader.prepare("SELECT count(*) AS n FROM lamina_run WHERE id = ?").get(id) as { readonly n: number },
    artifacts: (prefix: string) => reader.prepare("SELECT count(*) AS n FROM lamina_artifact WHERE key LIKE ?").get(`${prefix}%`) as { readonly n: number }
  }
  return { i, sees, close: () => reader.close() }
}

/** The current run's id (inside a body). */
const runId = Effect.map(currentRun, (r) => Option.getOrThrow(r).runId)

/** Block the thread for `ms` (a synchronous body: the event loop does not turn). */
const busyFor = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

it("commits a sequential flow's short steps together, and every record is there when the flow returns", async () => {
  const { i, sees, close } = await instance()
  const double = step("wb-double", (n: number) => Effect.succeed(n * 2))
  const many = flow("wb-many", (ns: ReadonlyArray<number>) => Effect.forEach(ns, (n) => double(n)))
  // The first calls store the transform and learn that the step is short.
  await i.run(many([0, 1]))
  commits.reset()
  const out = await i.run(many(Array.from({ length: 40 }, (_, n) => n + 10)))
  const commitsDuring = commits.count
  expect(out).toEqual(Array.from({ length: 40 }, (_, n) => 2 * (n + 10)))
  // Executed one by one, 40 runs committed in a handful of transactions, not one or two each.
  expect(commitsDuring).toBeLessThan(10)
  const runs = (await i.run(allRuns)).filter((r) => r.name === "wb-double")
  expect(runs).toHaveLength(42)
  expect(runs.every((r) => r.status === RunStatus.completed)).toBe(true)
  // Seen from another connection as soon as the flow returned.
  const reader = new Database(i.db, { readonly: true })
  const completed = reader.prepare("SELECT count(*) AS n FROM lamina_run WHERE name = 'wb-double' AND _status_code = 0").get() as { readonly n: number }
  reader.close()
  expect(completed.n).toBe(42)
  close()
})

it("commits the claim of a step whose last call was long before its body runs, and a short step's behind", async () => {
  const { i, sees, close } = await instance()
  const visible: Array<{ readonly step: string; readonly n: number; readonly seen: number }> = []
  const body = (name: string, ms: number) => (n: number) =>
    Effect.map(runId, (id) => {
      // Another connection's view of this very run while its body runs.
      visible.push({ step: name, n, seen: sees.run(id).n })
      if (ms > 0) busyFor(ms)
      return n
    })
  const long = step("wb-long", body("wb-long", SHORT_MS + 50))
  const short = step("wb-short", body("wb-short", 0))
  // A run's first claim commits at once (it may start a fan-out): the calls after it are the ones compared.
  const three = flow("wb-three", (n: number) => Effect.zipRight(short(n), Effect.zipRight(long(n), short(n + 100))))
  for (let n = 0; n < 4; n++) await i.run(three(n))
  // From the third call on, each step takes the short path knowing how long its last call took.
  const late = visible.filter((v) => v.n % 100 >= 2)
  expect(late.filter((v) => v.step === "wb-long").map((v) => v.seen)).toEqual([1, 1])
  expect(late.filter((v) => v.step === "wb-short" && v.n >= 100).map((v) => v.seen)).toEqual([0, 0])
  close()
})

it("saves in a short step's body go behind; a flow body's own saves commit before they return", async () => {
  const { i, sees, close } = await instance()
  const seenAfterSave: Array<{ readonly where: string; readonly n: number }> = []
  const saving = step("wb-saving", (n: number) =>
    Effect.tap(saveText(i.dir, `wb/step/${n}.txt`, `step ${n}`), () => Effect.sync(() => seenAfterSave.push({ where: `step ${n}`, n: sees.artifacts(`wb/step/${n}`).n })))
  )
  const outer = flow("wb-outer", (n: number) =>
    Effect.gen(function* () {
      yield* saving(n)
      yield* saveText(i.dir, `wb/flow/${n}.txt`, `flow ${n}`)
      seenAfterSave.push({ where: `flow ${n}`, n: sees.artifacts(`wb/flow/${n}`).n })
    })
  )
  for (let n = 0; n < 3; n++) await i.run(outer(n))
  expect(seenAfterSave).toEqual([
    // The first two calls commit at once (the step is not known to be short yet).
    { where: "step 0", n: 1 },
    { where: "flow 0", n: 1 },
    { where: "step 1", n: 1 },
    { where: "flow 1", n: 1 },
    { where: "step 2", n: 0 },
    { where: "flow 2", n: 1 }
  ])
  close()
})

it("commits what went behind before a body runs a child process synchronously (it may need the registry)", async () => {
  const { i, close } = await instance()
  const sqlite = createRequire(import.meta.url).resolve("better-sqlite3")
  // The child counts this run's row, as a tool writing to the registry would find it.
  const child = `const D = require(${JSON.stringify(sqlite)}); const db = new D(process.argv[1], { readonly: true }); process.stdout.write(String(db.prepare("SELECT count(*) AS n FROM lamina_run WHERE id = ?").get(Number(process.argv[2])).n))`
  const seen: Array<string> = []
  // Short at first (no child): its third call writes behind, and that one runs the child.
  const spawning = step("wb-spawning", (n: number) =>
    Effect.map(runId, (id) => {
      if (n === 2) seen.push(execFileSync(process.execPath, ["-e", child, i.db, String(id)], { encoding: "utf8" }))
      return n
    })
  )
  const warm = step("wb-warm", (n: number) => Effect.succeed(n))
  // A run's first claim commits at once: the warm-up call takes that place.
  const calls = flow("wb-calls", (n: number) => Effect.zipRight(warm(n), spawning(n)))
  for (let n = 0; n < 3; n++) await i.run(calls(n))
  expect(seen).toEqual(["1"])
  close()
})
