/**
 * Adding a value again for the same feature. The shared LaminDB reference says nothing about
 * it, so Lamina keeps what `features.ts` documents: a non-categorical value replaces the old
 * one (one value per feature, what filters and `toTable` pivot), categorical values accumulate
 * as labels do — on SQLite and Postgres.
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { Artifact, Feature, ULabel } from "../../../src/index.js"
import { describeBackends } from "../../support/backends.js"

describeBackends("annotate: repeated values", ({ instance }) => {
  it("a second value replaces a scalar one and adds to categorical ones", async () => {
    const i = await instance()
    const p = path.join(i.dir, "x.txt")
    writeFileSync(p, "x")
    const a = await i.run(
      Effect.gen(function* () {
        yield* Feature.create({ name: "temperature", dtype: "float" })
        yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
        yield* ULabel.create({ name: "DMSO" })
        yield* ULabel.create({ name: "IFNG" })
        const a = yield* (yield* Artifact.fromPath(p, { key: "x.txt" })).save()
        yield* a.features.add({ temperature: 21.6, perturbation: "DMSO" })
        yield* a.features.add({ temperature: 22.5, perturbation: "IFNG" })
        return a
      })
    )
    const values = await i.run(a.features.get())
    expect(values.temperature).toBe(22.5)
    expect([...(values.perturbation as ReadonlyArray<string>)].sort()).toEqual(["DMSO", "IFNG"])
    expect(await i.run(Artifact.filter({ temperature: 21.6 }).count())).toBe(0)
    expect(await i.run(Artifact.filter({ temperature: 22.5 }).count())).toBe(1)
    expect(await i.run(Artifact.filter({ perturbation: "DMSO" }).count())).toBe(1)
  })
})
