/**
 * kill -9 in the middle of things, with real processes: a save of a big file killed while it
 * copies leaves a temporary file that `check` finds and `check --fix` removes (no row, no
 * other file touched).
 */
import { spawn, type ChildProcess } from "node:child_process"
import { readdirSync, rmSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { writeRandomFile } from "../../bench/util.js"
import { check } from "../../src/integrity/index.js"
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
})
