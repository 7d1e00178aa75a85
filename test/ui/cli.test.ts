/**
 * `lamina ui` on the command line: options are checked before anything listens; it needs an
 * instance. (Serving is tested end to end in e2e.test.ts.)
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lamina } from "../support/cli.js"

describe("lamina ui (CLI)", () => {
  let home: string
  beforeAll(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), "lamina-ui-cli-"))
    const init = await lamina(home, ["init", "--storage", path.join(home, "storage")])
    expect(init.code, init.stderr).toBe(0)
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  it("rejects bad options with a message that says what to do", async () => {
    const port = await lamina(home, ["ui", "--port", "70000"])
    expect(port.code).toBe(2)
    expect(port.stderr).toMatch(/--port must be a whole number from 0 to 65535/)
    const extra = await lamina(home, ["ui", "somewhere"])
    expect(extra.code).toBe(2)
    expect(extra.stderr).toMatch(/takes no arguments/)
    const help = await lamina(home, ["ui", "--help"])
    expect(help.stdout).toMatch(/--host/)
    expect(help.stdout).toMatch(/--open/)
  })

  it("needs an instance", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "lamina-ui-none-"))
    try {
      const r = await lamina(empty, ["ui", "--port", "0"])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/lamina init/)
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })
})
