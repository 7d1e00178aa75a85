/**
 * kill -9 in the middle of things, with real processes: a save of a big file killed while it
 * copies leaves a temporary file that `check` finds and `check --fix` removes (no row, no
 * other file touched); a flow killed inside a step leaves its runs `started` — `check` names
 * them (their lease's owner is gone) and `check --fix` ends them `aborted`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { spawn, type ChildProcess } from "node:child_process"
import { writeFileSync } from "node:fs"
import { Effect } from "effect"
import { readdirSync, rmSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { writeRandomFile } from "../../bench/util.js"
import { check } from "../../src/integrity/index.js"
import { RunStatus } from "../../src/registry/Run.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { bundleScript } from "../support/workers.js"

let worker = ""
beforeAll(async () => {
  worker = await bundleScript("test/integrity/workers/killable.ts")
})
afterAll(() => rmSync(worker, { force: true }))

const start = (i: TestInstance, mode: "save" | "flow", file: string): ChildProcess =>
  spawn(process.execPath, [worker, JSON.stringify({ storage: i.storage, db: i.db, ...(i.s3 ? { s3: i.s3 } : {}), mode, file })], {
    stdio: ["ignore", "pipe", "pipe"]
  })

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())))

/** Poll until `found` answers something, or fail after `ms`. */
const until = async <A>(found: () => A | undefined, ms: number, what: string): Promise<A> => {
  const t0 = Date.now()
  for (;;) {
    const a = found()
    if (a !== undefined) return a
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

describeBackends("kill -9", ({ instance }) => {
  it("during a save of a big file: check finds the temp file, --fix removes it", async () => {
    const i = await instance()
    const big = path.join(i.dir, "big.bin")
    writeRandomFile(big, 256 * 1024 * 1024)
    const internal = path.join(i.storage, ".lamina")
    const child = start(i, "save", big)
    const temp = await until(() => {
      try {
        return readdirSync(internal).find((n) => n.endsWith(".tmp"))
      } catch {
        return undefined
      }
    }, 60_000, "the save's temporary file")
    child.kill("SIGKILL")
    await exited(child)
    expect(child.signalCode).toBe("SIGKILL")
    const r = await i.run(check())
    expect(r.problems.map((p) => p.kind)).toEqual(["temp-file"])
    expect(r.problems[0]!.subject).toBe(`.lamina/${temp}`)
    expect(await i.run(Artifact.filter({ key: "big/file.bin" }).count())).toBe(0)
    const fixed = await i.run(check({ fix: true, minAgeMs: 0 }))
    expect(fixed.fixed.map((p) => p.subject)).toEqual([`.lamina/${temp}`])
    expect(fixed.problems).toEqual([])
    expect(readdirSync(internal).filter((n) => n.endsWith(".tmp"))).toEqual([])
    rmSync(big, { force: true })
  })

  it("during a flow: its runs stay started until check --fix ends them aborted", async () => {
    const i = await instance()
    const input = path.join(i.dir, "input.bin")
    writeFileSync(input, "output of a step that never finishes")
    const child = start(i, "flow", input)
    let stdout = ""
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    await until(() => (stdout.includes("ready") ? true : undefined), 60_000, "the flow to reach its step")
    child.kill("SIGKILL")
    await exited(child)
    const runs = () =>
      i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly uid: string; readonly name: string; readonly s: number }>`SELECT uid, name, _status_code AS s FROM lamina_run ORDER BY id`))
    const before = await runs()
    expect(before.map((r) => [r.name, Number(r.s)])).toEqual([["killed-flow", RunStatus.started], ["killed-step", RunStatus.started]])
    const r = await i.run(check())
    expect(r.problems.map((p) => [p.kind, p.subject])).toEqual(before.map((b) => ["dead-run", b.uid]))
    expect(r.problems[0]!.message).toContain("is gone")
    const fixed = await i.run(check({ fix: true }))
    expect(fixed.problems).toEqual([])
    expect(fixed.fixed.map((p) => p.kind)).toEqual(["dead-run", "dead-run"])
    expect((await runs()).map((x) => Number(x.s))).toEqual([RunStatus.aborted, RunStatus.aborted])
    // The killed step's output is not presented as computed: it went to trash with its bytes kept.
    const output = await i.run(Artifact.filter({ key: "killed/output.bin" }, { branch: -1 }).toArray())
    expect(output).toHaveLength(1)
    expect((await i.run(check({ deep: true }))).problems).toEqual([])
  })
})
