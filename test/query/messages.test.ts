/**
 * Issue #11's query items: `version` filters and orders like a field; a params key no run has
 * is reported (a warning naming the key and the keys recent runs have), not silently counted 0.
 */
import { Effect, Logger } from "effect"
import { beforeAll, expect, it } from "vitest"
import { Artifact } from "../../src/registry/Artifact.js"
import { Run } from "../../src/registry/Run.js"
import { Transform } from "../../src/registry/Transform.js"
import { describeBackends, type TestInstance } from "../support/backends.js"
import { seedArtifact, seedRun, seedTransform } from "../support/seed.js"

/** Run `effect`, returning its value and the warnings it logged. */
const withWarnings = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    })
    const value = yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return { value, warnings }
  })

describeBackends("query messages (#11)", ({ instance }) => {
  let i: TestInstance
  beforeAll(async () => {
    i = await instance()
    await i.run(
      Effect.gen(function* () {
        yield* seedArtifact({ uid: "vErSi0nFam1lyAbc0000", key: "v.csv", is_latest: false })
        yield* seedArtifact({ uid: "vErSi0nFam1lyAbc0001", key: "v.csv", is_latest: false, version_tag: "1.0" })
        yield* seedArtifact({ uid: "vErSi0nFam1lyAbc0002", key: "v.csv" })
        const t = yield* seedTransform({ key: "train.py" })
        yield* seedRun(t, { name: "a", params: { learning_rate: 0.1, preprocess: { downsample: true } } })
        yield* seedRun(t, { name: "b", params: { learning_rate: 0.2, "odd key": 1 } })
      })
    )
  })

  it("filters and orders by version (the tag, else the uid suffix)", async () => {
    const keys = (a: ReadonlyArray<Artifact>) => a.map((x) => `${x.key}@${x.version}`)
    expect(keys(await i.run(Artifact.filter({ version: "0000" }).toArray()))).toEqual(["v.csv@0000"])
    expect(keys(await i.run(Artifact.filter({ version: "1.0" }).toArray()))).toEqual(["v.csv@1.0"])
    expect(keys(await i.run(Artifact.filter({ key: "v.csv", version__in: ["0002", "1.0"] }).orderBy("version").toArray()))).toEqual(["v.csv@0002", "v.csv@1.0"])
    expect(keys(await i.run(Artifact.filter({ key: "v.csv" }).orderBy("-version").toArray()))).toEqual(["v.csv@1.0", "v.csv@0002", "v.csv@0000"])
    expect(await i.run(Artifact.filter({ key: "v.csv" }).orderBy("version").values("version").toArray())).toEqual([{ version: "0000" }, { version: "0002" }, { version: "1.0" }])
    expect(await i.run(Transform.filter({ version: "0000" }).count())).toBe(1)
  })

  it("warns when no run has a compared params key, listing the keys recent runs have", async () => {
    const missing = await i.run(withWarnings(Run.filter({ params__learnig_rate: 0.1 }).count()))
    expect(missing.value).toBe(0)
    expect(missing.warnings).toHaveLength(1)
    expect(missing.warnings[0]).toContain("no Run has the params key 'learnig_rate'")
    expect(missing.warnings[0]).toContain("Keys of recent records: learning_rate, odd key, preprocess, preprocess__downsample")
    const nested = await i.run(withWarnings(Run.filter({ params__preprocess__size__gt: 1 }).toArray()))
    expect(nested.warnings[0]).toContain("'preprocess__size'")
    // An existing key with no matching value, a hit, and isnull are legitimate answers: no warning.
    expect((await i.run(withWarnings(Run.filter({ params__learning_rate: 0.5 }).count()))).warnings).toEqual([])
    expect((await i.run(withWarnings(Run.filter({ params__learning_rate: 0.1 }).exists()))).value).toBe(true)
    expect((await i.run(withWarnings(Run.filter({ params__nosuch__isnull: false }).count()))).warnings).toEqual([])
  })
})
