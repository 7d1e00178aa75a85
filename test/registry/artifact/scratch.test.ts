/**
 * The temporary copies of in-memory values (src/registry/artifact/scratch.ts): a pending
 * artifact's folder is removed when its `save()` ends, and one never saved when the process exits.
 */
import { existsSync, rmSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runNode } from "../../support/cli.js"
import { bundleScript } from "../../support/workers.js"

describe("temporary copies of in-memory values", () => {
  let worker = ""
  beforeAll(async () => {
    worker = await bundleScript("test/registry/artifact/scratchWorker.ts")
  })
  afterAll(() => rmSync(worker, { force: true }))

  it("a pending artifact never saved leaves no folder behind once its process exits", async () => {
    const r = await runNode([worker])
    expect(r.code, r.stderr).toBe(0)
    const paths = JSON.parse(r.stdout.trim()) as ReadonlyArray<string>
    expect(paths).toHaveLength(2)
    for (const p of paths) {
      expect(path.basename(path.dirname(p))).toMatch(/^lamina-artifact-/)
      expect(existsSync(path.dirname(p)), p).toBe(false)
    }
  })
})
