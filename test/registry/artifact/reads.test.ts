/**
 * Reading an artifact whose stored bytes were edited in place (a local folder): the read fails
 * with a StorageError that says what happened and what to do, instead of handing a run bytes
 * that no longer match the recorded hash.
 */
import { appendFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../../src/flow/index.js"
import { Artifact } from "../../../src/registry/Artifact.js"
import { describeBackends } from "../../support/backends.js"

describeBackends("reading an artifact edited in storage", ({ instance }) => {
  it("fails the read, naming the change and the way out; a step loading it fails instead of computing on it", async () => {
    const i = await instance()
    const file = path.join(i.dir, "counts.csv")
    writeFileSync(file, "gene,count\nA,1\n")
    const saved = await i.run(Effect.flatMap(Artifact.fromPath(file, { key: "edited/counts.csv" }), (p) => p.save()))
    expect(Buffer.from(await i.run(saved.load())).toString()).toBe("gene,count\nA,1\n")

    appendFileSync(i.uri(saved.storageKey), "B,2\n")
    const error = await i.fail(saved.load())
    expect(error._tag).toBe("StorageError")
    expect(error.message).toContain("changed outside Lamina")
    expect(error.message).toContain("lamina check --deep")

    const count = step("count-lines", (a: Artifact) => Effect.map(a.load(), (bytes) => Buffer.from(bytes).toString().split("\n").length))
    const f = flow("count-flow", (a: Artifact) => count(a))
    const failed = await i.fail(f(saved))
    expect(String(failed)).toContain("changed outside Lamina")
  })
})
