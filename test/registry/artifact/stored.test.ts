/**
 * Whether an artifact's bytes are still in storage as saved (src/registry/artifact/stored.ts):
 * a cache hit refuses outputs whose bytes are gone or were edited in place — in a local folder
 * and on S3 — and saving the same content again puts them back.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { flow, step } from "../../../src/flow/index.js"
import { Artifact } from "../../../src/registry/Artifact.js"
import { Run } from "../../../src/index.js"
import { runStatus } from "../../../src/registry/Run.js"
import { folderStateOf, storedStateOf, type StoredRow } from "../../../src/registry/artifact/stored.js"
import { describeBackends, type TestInstance } from "../../support/backends.js"
import { loadText, runsNamed, saveText } from "../../flow/support.js"

const row: StoredRow = { storage_id: 1, _key_is_virtual: true, uid: "u", suffix: ".txt", key: "k.txt", hash_type: "md5", n_files: null, size: 6 }

it("tells bytes as saved from bytes gone or of another size", () => {
  expect(storedStateOf(row, 6)).toBeUndefined()
  expect(storedStateOf(row, undefined)).toBe("missing")
  expect(storedStateOf(row, 7)).toBe("resized")
  expect(storedStateOf(row, 0)).toBe("resized")
  // A row without a recorded size is judged by presence alone.
  expect(storedStateOf({ ...row, size: null }, 7)).toBeUndefined()
})

it("tells a folder as saved from one whose files were removed, added or resized", () => {
  const folder: StoredRow = { ...row, suffix: "", key: "out/f", hash_type: "md5-d", n_files: 2, size: 5 }
  expect(folderStateOf(folder, { files: 2, bytes: 5 })).toBeUndefined()
  expect(folderStateOf(folder, undefined)).toBe("missing")
  expect(folderStateOf(folder, { files: 0, bytes: 0 })).toBe("missing")
  expect(folderStateOf(folder, { files: 1, bytes: 5 })).toBe("resized")
  expect(folderStateOf(folder, { files: 3, bytes: 5 })).toBe("resized")
  expect(folderStateOf(folder, { files: 2, bytes: 6 })).toBe("resized")
})

// Executions per step body, to see what ran.
let executions = 0

const repeat = step("stored-repeat", (input: Artifact, times: number, dir: string) =>
  Effect.gen(function* () {
    executions++
    return yield* saveText(dir, `out/r-${times}.txt`, (yield* loadText(input)).repeat(times))
  })
)
const repeatFlow = flow("stored-repeat-flow", (input: Artifact, times: number, dir: string) => repeat(input, times, dir))

/** A flow whose step saves a folder of `a.txt` and `b.txt` (holding `texts`) as `out/<name>`; `executions` counts its bodies. */
const folderFlow = (name: string, texts: readonly [string, string]) => {
  let n = 0
  const save = step(`stored-${name}`, (dir: string) =>
    Effect.gen(function* () {
      n++
      const folder = path.join(dir, `${name}-src`)
      mkdirSync(folder, { recursive: true })
      writeFileSync(path.join(folder, "a.txt"), texts[0])
      writeFileSync(path.join(folder, "b.txt"), texts[1])
      return yield* (yield* Artifact.fromPath(folder, { key: `out/${name}` })).save()
    })
  )
  return { run: flow(`stored-${name}-flow`, (dir: string) => save(dir)), executions: () => n }
}

/** The step ran again for `reason` (`why`: outputs unavailable); the runs, oldest first. */
const expectRecomputed = async (i: TestInstance, name: string, reason: string) => {
  const runs = await i.run(runsNamed(name))
  expect(runs.map((r) => runStatus(r))).toEqual(["completed", "completed"])
  const why = await i.run(Run.why(runs[1]!.uid))
  expect(why.outcome).toBe("outputs-unavailable")
  expect(why.message).toContain(reason)
  return runs
}

describeBackends(
  "stored outputs",
  ({ instance }) => {
    it("recomputes when the bytes of an output it saved are gone from storage, puts them back, then hits", async () => {
      const i = await instance()
      executions = 0
      const input = await i.run(saveText(i.dir, "in/x.txt", "ab"))
      const out1 = await i.run(repeatFlow(input, 3, i.dir))
      await i.removeRaw(out1.storageKey)
      const out2 = await i.run(repeatFlow(input, 3, i.dir))
      expect(executions).toBe(2)
      await expectRecomputed(i, "stored-repeat", `the bytes of its output ${out1.uid} are missing from storage`)
      // The same bytes saved again: the existing artifact, its bytes restored.
      expect(out2.uid).toBe(out1.uid)
      expect(await i.exists(out1.storageKey)).toBe(true)
      expect(await i.run(loadText(out2))).toBe("ababab")
      await i.run(repeatFlow(input, 3, i.dir))
      expect(executions).toBe(2)
    })

    it("recomputes when an output's bytes were replaced with another size, and restores them", async () => {
      const i = await instance()
      executions = 0
      const input = await i.run(saveText(i.dir, "in/y.txt", "xy"))
      const out1 = await i.run(repeatFlow(input, 2, i.dir))
      await i.putRaw(out1.storageKey, "edited in place")
      const out2 = await i.run(repeatFlow(input, 2, i.dir))
      expect(executions).toBe(2)
      await expectRecomputed(i, "stored-repeat", `are not the 4 it saved`)
      expect(out2.uid).toBe(out1.uid)
      expect(await i.run(loadText(out2))).toBe("xyxy")
      await i.run(repeatFlow(input, 2, i.dir))
      expect(executions).toBe(2)
    })

    it("checks an output a step saved but did not return (its value is a plain string)", async () => {
      const i = await instance()
      let n = 0
      const report = step("stored-report", (dir: string) =>
        Effect.gen(function* () {
          n++
          const side = yield* saveText(dir, "out/side.txt", "side")
          return `made ${side.uid}`
        })
      )
      const reportFlow = flow("stored-report-flow", (dir: string) => report(dir))
      const value = await i.run(reportFlow(i.dir))
      const side = await i.run(Artifact.get({ key: "out/side.txt" }))
      await i.run(reportFlow(i.dir))
      expect(n).toBe(1)
      await i.removeRaw(side.storageKey)
      expect(await i.run(reportFlow(i.dir))).toBe(value)
      expect(n).toBe(2)
      const runs = await i.run(runsNamed("stored-report"))
      expect(runs.map((r) => runStatus(r))).toEqual(["completed", "cached", "completed"])
      expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the bytes of its output ${side.uid} are missing from storage`)
      expect(await i.run(Effect.map(Artifact.get(side.uid), (a) => a.load()).pipe(Effect.flatten))).toEqual(new Uint8Array(Buffer.from("side")))
    })

    it("recomputes when a folder output is gone from storage, and puts its files back", async () => {
      const i = await instance()
      const bundle = folderFlow("bundle", ["a", "b"])
      const first = await i.run(bundle.run(i.dir))
      await i.run(bundle.run(i.dir))
      expect(bundle.executions()).toBe(1)
      await i.removeRaw(first.storageKey)
      const again = await i.run(bundle.run(i.dir))
      expect(bundle.executions()).toBe(2)
      expect(again.uid).toBe(first.uid)
      expect(await i.storedKeys(first.storageKey)).toEqual([`${first.storageKey}/a.txt`, `${first.storageKey}/b.txt`])
      const runs = await i.run(runsNamed("stored-bundle"))
      expect((await i.run(Run.why(runs[2]!.uid))).message).toContain(`the bytes of its output ${first.uid} are missing from storage`)
    })

    it("recomputes when a file inside a folder output was removed or added, and puts the folder back as saved", async () => {
      const i = await instance()
      const pair = folderFlow("pair", ["aa", "bbb"])
      const first = await i.run(pair.run(i.dir))
      const key = first.storageKey
      const asSaved = [`${key}/a.txt`, `${key}/b.txt`]
      await i.run(pair.run(i.dir))
      expect(pair.executions()).toBe(1)
      const changed = `the files of its output folder ${first.uid} in storage ('${key}') are not the 2 files of 5 bytes it saved`

      await i.removeRaw(`${key}/a.txt`)
      expect((await i.run(pair.run(i.dir))).uid).toBe(first.uid)
      expect(pair.executions()).toBe(2)
      expect(await i.storedKeys(key)).toEqual(asSaved)
      await i.run(pair.run(i.dir))
      expect(pair.executions()).toBe(2)

      await i.putRaw(`${key}/extra.txt`, "x")
      await i.run(pair.run(i.dir))
      expect(pair.executions()).toBe(3)
      expect(await i.storedKeys(key)).toEqual(asSaved)
      await i.run(pair.run(i.dir))
      expect(pair.executions()).toBe(3)

      const runs = await i.run(runsNamed("stored-pair"))
      expect(runs.map((r) => runStatus(r))).toEqual(["completed", "cached", "completed", "cached", "completed", "cached"])
      for (const at of [2, 4]) expect((await i.run(Run.why(runs[at]!.uid))).message).toContain(changed)
      // The changed folder set aside while the copy took its place is gone.
      expect((await i.storedKeys(".lamina")).filter((k) => k.includes("-replaced"))).toEqual([])
    })
  },
  { storages: ["local", "s3"] }
)
