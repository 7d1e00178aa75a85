/**
 * Honest provenance: a completed rerun is the creator of what it produced even when a failed
 * run wrote the same bytes first (no revival from trash); a run whose save returns an existing
 * artifact is recorded as a recreating run (LaminDB's `recreating_runs`), shown by the API and
 * lineage; restore from trash is explicit; Lamina's own files are never saved.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Effect, Fiber } from "effect"
import { expect, it } from "vitest"
import { flow, step, tracked } from "../../src/flow/index.js"
import { upstream } from "../../src/lineage/graph.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run, RunStatus } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"
import { lamina, laminaJson } from "../support/cli.js"
import { allRuns, createdBy, loadText, saveText } from "./support.js"

class Boom extends Data.TaggedError("Boom")<{ readonly message: string }> {}

describeBackends("provenance", ({ instance, backend }) => {
  it("a rerun's completed run creates the output a failed run wrote identically; the failed one is never its producer", async () => {
    const i = await instance()
    let shouldFail = true
    const report = step("report", (dir: string) =>
      Effect.gen(function* () {
        const out = yield* saveText(dir, "out/report.md", "# final")
        if (shouldFail) return yield* new Boom({ message: "crashed after writing the report" })
        return out
      })
    )
    const f = flow("report-flow", (dir: string) => report(dir))
    await i.fail(f(i.dir))
    shouldFail = false
    const out = await i.run(f(i.dir))

    const runs = (await i.run(allRuns)).filter((r) => r.name === "report")
    expect(runs.map((r) => r.status)).toEqual([RunStatus.errored, RunStatus.completed])
    const [failed, completed] = await Promise.all(runs.map((r) => i.run(Run.get(r.uid))))
    // The completed run created the live artifact; the failed run's copy stays in trash.
    expect(out.run_id).toBe(completed!.id)
    expect(out.branch).toBe(1)
    const trashedUid = (await i.run(createdBy(failed!.id)))[0]!
    const trashed = await i.run(Artifact.get(trashedUid))
    expect(trashed.branch).toBe(-1)
    expect(trashed.uid).not.toBe(out.uid)
    expect((await i.run(Artifact.get({ key: "out/report.md" }))).uid).toBe(out.uid)
    expect(await i.run(out.recreatingRuns())).toEqual([])
    const graph = await i.run(upstream(out))
    const runNodes = graph.nodes.filter((n) => n.kind === "run").map((n) => n.uid)
    expect(runNodes).toContain(completed!.uid)
    expect(runNodes).not.toContain(failed!.uid)
  })

  it("records a run whose save returns an existing artifact as a recreating run (steps and track()); failed runs and runs that loaded it are not", async () => {
    const i = await instance()
    let fail = false
    const make = step("make", (dir: string, tag: string) =>
      Effect.gen(function* () {
        const a = yield* saveText(dir, `out/${tag}.txt`, "the same bytes")
        if (fail) return yield* new Boom({ message: "after saving" })
        return a
      })
    )
    const reread = step("reread", (dir: string, a: Artifact) => Effect.flatMap(loadText(a), (text) => saveText(dir, "out/reread.txt", text)))
    const first = await i.run(flow("make-a", (dir: string) => make(dir, "a"))(i.dir))
    const second = await i.run(flow("make-b", (dir: string) => make(dir, "b"))(i.dir))
    expect(second.uid).toBe(first.uid)
    fail = true
    await i.fail(flow("make-c", (dir: string) => make(dir, "c"))(i.dir))
    await i.run(flow("reread", (dir: string, a: Artifact) => reread(dir, a))(i.dir, first))
    // A tracked script saving the same bytes again.
    await i.run(tracked(saveText(i.dir, "out/script.txt", "the same bytes"), { path: fileURLToPath(import.meta.url), key: "scripts/provenance" }))

    const runs = await i.run(allRuns)
    const makeRuns = runs.filter((r) => r.name === "make")
    expect(makeRuns.map((r) => r.status)).toEqual([RunStatus.completed, RunStatus.completed, RunStatus.errored])
    const script = runs.find((r) => r.key === "scripts/provenance")!
    const artifact = await i.run(Artifact.get(first.uid))
    expect(artifact.run_id).toBe((await i.run(Run.get(makeRuns[0]!.uid))).id)
    expect((await i.run(artifact.recreatingRuns())).map((r) => r.uid)).toEqual([makeRuns[1]!.uid, script.uid])
    // Queryable both ways.
    expect((await i.run(Artifact.filter({ recreating_runs__uid: makeRuns[1]!.uid }).toArray())).map((a) => a.uid)).toEqual([first.uid])
    expect((await i.run(Run.filter({ recreated_artifacts__uid: first.uid }).toArray())).map((r) => r.uid).sort()).toEqual([makeRuns[1]!.uid, script.uid].sort())
    // Lineage: the creating run, and the recreating runs as dashed "recreated" edges.
    const graph = await i.run(upstream(artifact))
    expect(graph.edges).toContainEqual({ from: `run:${makeRuns[0]!.uid}`, to: `artifact:${first.uid}` })
    expect(graph.edges).toContainEqual({ from: `run:${makeRuns[1]!.uid}`, to: `artifact:${first.uid}`, kind: "recreated" })
    expect(graph.edges).toContainEqual({ from: `run:${script.uid}`, to: `artifact:${first.uid}`, kind: "recreated" })
    expect(graph.nodes.map((n) => n.uid)).not.toContain(makeRuns[2]!.uid)
    expect(graph.nodes.map((n) => n.uid)).not.toContain(runs.find((r) => r.name === "reread" && r.key.endsWith(":reread") && r.kind === "function")!.uid)
  })

  it("lamina describe shows the creating run and the recreating runs, as text and --json", async () => {
    const i = await instance()
    const make = step("make", (dir: string, tag: string) => saveText(dir, `out/${tag}.txt`, "described bytes"))
    const first = await i.run(flow("describe-a", (dir: string) => make(dir, "a"))(i.dir))
    await i.run(flow("describe-b", (dir: string) => make(dir, "b"))(i.dir))
    const runs = (await i.run(allRuns)).filter((r) => r.name === "make")
    const home = mkdtempSync(path.join(os.tmpdir(), "lamina-home-describe-"))
    try {
      await laminaJson(home, ["init", "--storage", i.storage, "--db", i.db])
      const json = await laminaJson<{ run: { uid: string }; recreating_runs: ReadonlyArray<{ uid: string; name: string; status: string }> }>(home, ["describe", first.uid])
      expect(json.run.uid).toBe(runs[0]!.uid)
      expect(json.recreating_runs).toEqual([expect.objectContaining({ uid: runs[1]!.uid, name: "make", status: "completed" })])
      const text = await lamina(home, ["describe", first.uid])
      expect(text.code).toBe(0)
      expect(text.stdout).toMatch(/recreating_runs:\s+1 later run saved the same bytes/)
      expect(text.stdout).toContain(`${runs[1]!.uid}  make (completed, `)
    } finally {
      rmSync(home, { recursive: true, force: true })
    }
  })

  it("brings an artifact back from trash only when asked; refuses while a live artifact holds the same content and key", async () => {
    const i = await instance()
    const a = await i.run(saveText(i.dir, "keep/x.txt", "x"))
    await i.run(a.delete())
    const b = await i.run(saveText(i.dir, "keep/x.txt", "x"))
    expect(b.uid).not.toBe(a.uid)
    expect((await i.run(Artifact.get(a.uid))).branch).toBe(-1)
    const refused = await i.fail((await i.run(Artifact.get(a.uid))).restore())
    expect(refused._tag).toBe("IntegrityError")
    expect(refused.message).toContain(b.uid)
    await i.run(b.delete())
    // Restored inside a run: the run is recorded as recreating it.
    const bringBack = step("bring-back", (uid: string) => Effect.flatMap(Artifact.get(uid), (x) => x.restore()))
    const restored = await i.run(flow("restore-flow", (uid: string) => bringBack(uid))(a.uid))
    expect(restored.branch).toBe(1)
    expect((await i.run(Artifact.get({ key: "keep/x.txt" }))).uid).toBe(a.uid)
    expect((await i.run(restored.recreatingRuns())).map((r) => r.name)).toEqual(["bring-back"])
  })

  it("refuses to save a folder containing the storage root, anything in .lamina/, or the live SQLite registry", async () => {
    const i = await instance()
    const parent = await i.fail(Effect.flatMap(Artifact.fromPath(i.dir), (p) => p.save()))
    expect(parent._tag).toBe("InvalidArgument")
    expect(parent.message).toContain("contains this instance's storage root")
    expect(parent.message).toContain("lamina.db")
    // Once something is stored, .lamina/ exists: saving it (or anything in it) is refused too.
    await i.run(saveText(i.dir, "k.txt", "k"))
    const internal = await i.fail(Effect.flatMap(Artifact.fromPath(path.join(i.storage, ".lamina")), (p) => p.save()))
    expect(internal.message).toContain("inside Lamina's own '.lamina/' folder")
    if (backend === "sqlite") {
      const db = await i.fail(Effect.flatMap(Artifact.fromPath(i.db), (p) => p.save()))
      expect(db.message).toContain("live registry database")
    }
    // Nothing else was registered.
    expect(await i.run(Artifact.filter({}).count())).toBe(1)
  })
})

describeBackends("concurrent saves from one path", ({ instance }) => {
  const csv = (rows: ReadonlyArray<string>) => ["sample,value", ...rows].join("\n")

  it("the README's pipeline writing one /tmp file from two concurrent calls fails instead of caching one input's rows for both", async () => {
    const i = await instance()
    const shared = path.join(i.dir, "clean.csv")
    await i.run(saveText(i.dir, "raw/a.csv", csv(["a1,0.9", "a2,0.1"])))
    await i.run(saveText(i.dir, "raw/b.csv", csv(["b1,0.8", "b2,0.7"])))
    // Both calls are inside their bodies before either writes: the overlap the README hit.
    let arrived = 0
    let release!: () => void
    const together = new Promise<void>((r) => (release = r))
    const clean = step({ name: "clean", concurrency: 4 }, (raw: Artifact, minValue = 0) =>
      Effect.gen(function* () {
        const rows = new TextDecoder().decode(yield* raw.load()).split("\n")
        if (++arrived === 2) release()
        yield* Effect.promise(() => together)
        const kept = rows.filter((line, k) => k === 0 || Number(line.split(",")[1]) >= minValue)
        writeFileSync(shared, kept.join("\n"))
        return yield* (yield* Artifact.fromPath(shared, { key: "clean/data.csv" })).save()
      })
    )
    const pipeline = flow("pipeline", (keys: ReadonlyArray<string>) =>
      Effect.forEach(keys, (key) => Effect.flatMap(Artifact.get({ key }), (raw) => clean(raw, 0.5)), { concurrency: "unbounded" })
    )
    const e = await i.fail(pipeline(["raw/a.csv", "raw/b.csv"]))
    expect(e._tag).toBe("FlowFailed")
    expect(e.message).toContain(shared)
    expect(e.message).toContain("Write each call's output to its own path")
    // The refused run errored; the other errored too, or was aborted when the flow failed first.
    const runs = (await i.run(allRuns)).filter((r) => r.name === "clean")
    expect(runs).toHaveLength(2)
    expect(runs.map((r) => r.status)).toContain(RunStatus.errored)
    expect(runs.every((r) => r.status === RunStatus.errored || r.status === RunStatus.aborted)).toBe(true)
    // Nothing a later process could reuse, and nothing left live under the key.
    expect(await i.run(Artifact.filter({ key: "clean/data.csv" }).count())).toBe(0)
  })

  it("withdraws a run that already completed when a run overlapping it saves the same path afterwards", async () => {
    const i = await instance()
    const shared = path.join(i.dir, "scratch.txt")
    let signal: { aWrote: () => void; bWrote: () => void; go: () => void } | undefined
    const gates = () => {
      const make = () => {
        let open!: () => void
        return { p: new Promise<void>((r) => (open = r)), open: () => open() }
      }
      const aWrote = make()
      const bWrote = make()
      const go = make()
      signal = { aWrote: aWrote.open, bWrote: bWrote.open, go: go.open }
      return { aWrote: aWrote.p, bWrote: bWrote.p, go: go.p }
    }
    let g = gates()
    const a = step("writer-a", () =>
      Effect.gen(function* () {
        writeFileSync(shared, "from a")
        signal!.aWrote()
        yield* Effect.promise(() => g.bWrote)
        // Saves b's bytes: the race, invisible to A itself.
        return yield* (yield* Artifact.fromPath(shared, { key: "race/a.txt" })).save()
      })
    )
    const b = step("writer-b", () =>
      Effect.gen(function* () {
        yield* Effect.promise(() => g.aWrote)
        writeFileSync(shared, "from b")
        signal!.bWrote()
        yield* Effect.promise(() => g.go)
        return yield* (yield* Artifact.fromPath(shared, { key: "race/b.txt" })).save()
      })
    )
    const f = flow("race", () =>
      Effect.gen(function* () {
        const fb = yield* Effect.fork(b())
        const outA = yield* a() // A's run is completed (and would be cached) here
        signal!.go()
        return [outA, yield* Fiber.join(fb)]
      })
    )
    const result = await i.fail(f())
    expect(result._tag).toBe("FlowFailed")
    const runs = await i.run(allRuns)
    const ra = runs.find((r) => r.name === "writer-a")!
    const rb = runs.find((r) => r.name === "writer-b")!
    expect([ra.status, rb.status]).toEqual([RunStatus.errored, RunStatus.errored])
    const withdrawn = await i.run(Run.get(ra.uid))
    expect((withdrawn.error as { readonly message: string }).message).toContain(shared)
    // A's output (holding b's bytes) went to trash: no live artifact, no cache hit for A.
    expect(await i.run(Artifact.filter({ key__startswith: "race/" }).count())).toBe(0)
    g = gates()
  })

  it("allows one scratch path used by runs one after another, and by a flow and the step it called", async () => {
    const i = await instance()
    const shared = path.join(i.dir, "scratch.csv")
    const write = step("write", (content: string) =>
      Effect.gen(function* () {
        writeFileSync(shared, content)
        return yield* (yield* Artifact.fromPath(shared, { key: `seq/${content}.txt` })).save()
      })
    )
    const f = flow("sequential", () =>
      Effect.gen(function* () {
        const one = yield* write("one")
        const two = yield* write("two")
        writeFileSync(shared, "three")
        const three = yield* (yield* Artifact.fromPath(shared, { key: "seq/three.txt" })).save()
        return [one, two, three]
      })
    )
    const out = await i.run(f())
    expect(await Promise.all(out.map((a) => i.run(loadText(a))))).toEqual(["one", "two", "three"])
    expect((await i.run(allRuns)).every((r) => r.status === RunStatus.completed)).toBe(true)
  })
})
