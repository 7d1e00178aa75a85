/**
 * Every registry's declaration matches the migrated schema on both backends — column names,
 * nullability, link tables, JSON side tables — so the two cannot drift apart.
 */
import { Effect } from "effect"
import { expect, it } from "vitest"
import { catalog } from "../../src/registry/catalog.js"
import { describeBackends } from "../support/backends.js"
import { driftOf } from "./columns.js"

describeBackends("declarations vs migrated schema", ({ instance }) => {
  it("declares exactly the columns each registry table has, with their nullability", async () => {
    const i = await instance()
    const problems = await i.run(Effect.forEach(Object.values(catalog), driftOf))
    expect(problems.flat()).toEqual([])
    expect(Object.keys(catalog).sort()).toEqual(["Artifact", "Collection", "Feature", "Project", "Record", "Reference", "Run", "Schema", "Storage", "Transform", "ULabel", "User"])
  })
})
