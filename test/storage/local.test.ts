import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as Local from "../../src/storage/local.js"

const root = mkdtempSync(path.join(os.tmpdir(), "lamina-local-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("local store", () => {
  it("reads byte ranges [start, end), clamped to the file", async () => {
    const store = Local.make(root)
    writeFileSync(path.join(root, "r.bin"), "0123456789")
    const range = (a: number, b: number) => Effect.runPromise(store.readRange("r.bin", a, b)).then((r) => Buffer.from(r).toString())
    expect(await range(0, 3)).toBe("012")
    expect(await range(7, 100)).toBe("789")
    expect(await range(10, 12)).toBe("")
    expect(await range(4, 4)).toBe("")
    expect((await Effect.runPromise(Effect.flip(store.readRange("r.bin", 2.5, 3))))._tag).toBe("InvalidArgument")
    expect((await Effect.runPromise(Effect.flip(store.readRange("missing", 0, 3))))._tag).toBe("StorageError")
  })
})
