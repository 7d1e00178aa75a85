import { Effect } from "effect"
import { beforeAll, expect, it } from "vitest"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import { Storage } from "../../src/registry/Storage.js"
import { Transform } from "../../src/registry/Transform.js"
import { User } from "../../src/registry/User.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { at, seedArtifact, seedInput, seedRun, seedTransform, seedUser } from "../support/seed.js"

type Spec = Record<string, unknown>

describeBackends("relations", ({ instance }) => {
  let i: TestInstance
  let ids: Record<string, number>
  beforeAll(async () => {
    i = await instance()
    ids = await i.run(
      Effect.gen(function* () {
        const alice = yield* seedUser("alice", "Alice A.")
        const bob = yield* seedUser("bob")
        const train = yield* seedTransform({ key: "train.py", created_by_id: alice.id })
        const evalT = yield* seedTransform({ key: "eval.py" })
        const r1 = yield* seedRun(train, { name: "r1" })
        const r2 = yield* seedRun(train, { name: "r2" })
        const r3 = yield* seedRun(evalT, { name: "r3" })
        const r4 = yield* seedRun(evalT, { name: "r4", initiated_by_run_id: r3.id })
        const a1 = yield* seedArtifact({ key: "a1", size: 10, run_id: r1.id, created_by_id: alice.id, created_at: at(1) })
        const a2 = yield* seedArtifact({ key: "a2", size: 20, run_id: r1.id, created_at: at(2) })
        const a3 = yield* seedArtifact({ key: "a3", size: 30, run_id: r3.id, created_at: at(3) })
        const a4 = yield* seedArtifact({ key: "a4", size: 40, created_by_id: bob.id, created_at: at(4) })
        const a5 = yield* seedArtifact({ key: "a5", size: 50, created_by_id: null, created_at: at(5) })
        yield* seedInput(r2, a1)
        yield* seedInput(r3, a1)
        yield* seedInput(r3, a2)
        yield* seedInput(r4, a3)
        return { alice: alice.id, bob: bob.id, train: train.id, eval: evalT.id, r1: r1.id, r2: r2.id, r3: r3.id, r4: r4.id, a1: a1.id, a2: a2.id, a3: a3.id, a4: a4.id, a5: a5.id }
      })
    )
  })
  const artifacts = async (...specs: ReadonlyArray<Spec>) => (await i.run(Artifact.filter(...specs).toArray())).map((a) => a.key).sort()
  const runs = async (...specs: ReadonlyArray<Spec>) => (await i.run(Run.filter(...specs).toArray())).map((r) => r.name).sort()

  it("follows forward relations: created_by__handle, run__transform__key, the transform alias", async () => {
    expect(await artifacts({ created_by__handle: "alice" })).toEqual(["a1"])
    expect(await artifacts({ created_by__name__icontains: "alice" })).toEqual(["a1"])
    expect(await artifacts({ run__transform__key: "train.py" })).toEqual(["a1", "a2"])
    expect(await artifacts({ transform__key: "train.py" })).toEqual(["a1", "a2"])
    expect(await artifacts({ run__transform__created_by__handle: "alice" })).toEqual(["a1", "a2"])
    expect(await artifacts({ run__name__in: ["r3", "r4"] })).toEqual(["a3"])
    expect(await runs({ initiated_by_run__name: "r3" })).toEqual(["r4"])
  })

  it("compares relations with records, ids, lists, null", async () => {
    expect(await artifacts({ run: ids.r1 })).toEqual(["a1", "a2"])
    expect(await artifacts({ run: { id: ids.r3 } })).toEqual(["a3"])
    expect(await artifacts({ transform: { id: ids.eval } })).toEqual(["a3"])
    expect(await artifacts({ run__in: [ids.r3, { id: ids.r1 }] })).toEqual(["a1", "a2", "a3"])
    expect(await artifacts({ run: null })).toEqual(["a4", "a5"])
    expect(await artifacts({ run__isnull: true })).toEqual(["a4", "a5"])
    expect(await artifacts({ run_id__gt: ids.r1 })).toEqual(["a3"])
    expect(await artifacts({ created_by__isnull: true })).toEqual(["a5"])
    expect((await i.fail(Artifact.filter({ run: "r1" } as Spec).toArray())).message).toContain("expects a record or an integer id")
  })

  it("uses QuerySets as subqueries", async () => {
    const evalRuns = Run.filter({ transform__key: "eval.py" })
    expect(await artifacts({ run__in: evalRuns })).toEqual(["a3"])
    expect(await artifacts({ run: evalRuns })).toEqual(["a3"])
    expect(await artifacts({ run_id__in: evalRuns.values("id") })).toEqual(["a3"])
    expect(await artifacts({ id__in: Artifact.filter({ size__gte: 40 }) })).toEqual(["a4", "a5"])
    expect(await artifacts({ key__in: Artifact.filter({ size__lt: 20 }).values("key") })).toEqual(["a1"])
    expect(await artifacts({ run__in: Run.filter().orderBy("id").slice(0, 1) })).toEqual(["a1", "a2"])
    const wrong = await i.fail(Artifact.filter({ run__in: Artifact.filter() }).toArray())
    expect(wrong.message).toContain("expects a QuerySet of Run, got one of Artifact")
    const twoCols = await i.fail(Artifact.filter({ key__in: Artifact.filter().values("key", "size") }).toArray())
    expect(twoCols.message).toContain("must select one field")
  })

  it("follows links in both directions", async () => {
    const a1 = await i.run(Artifact.get({ key: "a1" }))
    expect(await runs({ input_artifacts: a1 })).toEqual(["r2", "r3"])
    expect(await runs({ input_artifacts: ids.a3 })).toEqual(["r4"])
    expect(await runs({ input_artifacts__in: [ids.a1, ids.a3] })).toEqual(["r2", "r3", "r4"])
    expect(await runs({ input_artifacts__key__startswith: "a" })).toEqual(["r2", "r3", "r4"])
    expect(await runs({ input_artifacts__isnull: true })).toEqual(["r1"])
    expect(await runs({ input_artifacts__in: Artifact.filter({ key: "a2" }) })).toEqual(["r3"])
    const r3 = await i.run(Run.get({ name: "r3" }))
    expect(await artifacts({ input_of_runs: r3 })).toEqual(["a1", "a2"])
    expect(await artifacts({ input_of_runs__transform__key: "eval.py" })).toEqual(["a1", "a2", "a3"])
    expect(await artifacts({ input_of_runs__isnull: true })).toEqual(["a4", "a5"])
    expect(await artifacts({ input_of_runs__isnull: false })).toEqual(["a1", "a2", "a3"])
  })

  it("keeps one related record per keyword object, like Django", async () => {
    // r3 has inputs a1 (size 10) and a2 (size 20): no single input has key a1 and size 20 …
    expect(await runs({ input_artifacts__key: "a1", input_artifacts__size: 20 })).toEqual([])
    // … but two filter() calls may match different inputs
    expect(await runs({ input_artifacts__key: "a1" }, { input_artifacts__size: 20 })).toEqual(["r3"])
  })

  it("follows reverse foreign keys under LaminDB's names", async () => {
    expect(await runs({ output_artifacts__key: "a3" })).toEqual(["r3"])
    expect(await runs({ output_artifacts__isnull: true })).toEqual(["r2", "r4"])
    expect(await runs({ initiated_runs: ids.r4 })).toEqual(["r3"])
    expect((await i.run(Transform.filter({ runs__name: "r4" }).toArray())).map((t) => t.key)).toEqual(["eval.py"])
    expect((await i.run(Transform.filter({ runs__output_artifacts__key: "a1" }).toArray())).map((t) => t.key)).toEqual(["train.py"])
    expect((await i.run(User.filter({ created_artifacts__key: "a4" }).toArray())).map((u) => u.handle)).toEqual(["bob"])
    expect(await i.run(Storage.filter({ artifacts__key: "a1" }).count())).toBe(1)
  })

  it("excludes with Django's semantics: a NULL relation is not excluded", async () => {
    expect((await i.run(Artifact.exclude({ run__transform__key: "train.py" }).toArray())).map((a) => a.key).sort()).toEqual(["a3", "a4", "a5"])
    expect((await i.run(Artifact.exclude({ created_by__handle: "alice" }).toArray())).map((a) => a.key).sort()).toEqual(["a2", "a3", "a4", "a5"])
    expect((await i.run(Artifact.filter().exclude({ size__gt: 20 }, { size__lt: 50 }).toArray())).map((a) => a.key).sort()).toEqual(["a1", "a2", "a5"])
  })

  it("orders, selects and includes through relations", async () => {
    const ordered = await i.run(Artifact.filter().orderBy("run__name", "-key").toArray())
    expect(ordered.map((a) => a.key)).toEqual(["a5", "a4", "a2", "a1", "a3"])
    const values = await i.run(Artifact.filter({ key__in: ["a1", "a4"] }).orderBy("key").values("key", "run__transform__key", "created_by__handle").toArray())
    expect(values).toEqual([
      { key: "a1", run__transform__key: "train.py", created_by__handle: "alice" },
      { key: "a4", run__transform__key: null, created_by__handle: "bob" }
    ])
    const byTransform = await i.run(Artifact.filter().values("transform__key").distinct().toArray())
    expect(byTransform).toEqual([{ transform__key: null }, { transform__key: "eval.py" }, { transform__key: "train.py" }])
    const inputs = await i.run(Artifact.filter({ key__in: ["a1", "a4"] }).orderBy("key").values("key", "input_of_runs__name").toArray())
    expect(inputs).toEqual([
      { key: "a1", input_of_runs__name: ["r2", "r3"] },
      { key: "a4", input_of_runs__name: [] }
    ])
    expect((await i.fail(Artifact.filter().orderBy("input_of_runs__name").toArray())).message).toContain("many-valued")
    expect((await i.fail(Artifact.filter().orderBy("run__nope").toArray())).message).toContain("Unknown field 'nope'")
  })

  it("reports unknown relation fields with the related registry's fields", async () => {
    const e = await i.fail(Artifact.filter({ run__nope: 1 }).toArray())
    expect(e.message).toContain("You can query either by available fields:")
    expect(e.message).toContain("transform")
    expect(e.message).toContain("Or fix invalid feature names: nope")
  })
})
