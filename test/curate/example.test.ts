/** `npm run example -- curate` (LaminDB's curate walk-through) runs on a fresh instance — SQLite and Postgres — and twice. */
import { expect, it } from "vitest"
import { main } from "../../examples/pipelines/curate/main.js"
import { describeBackends } from "../support/backends.js"

describeBackends("example: curate", ({ instance }) => {
  it("runs the walk-through, and runs again on the same instance", async () => {
    const i = await instance()
    const first = await i.run(main({ workDir: i.dir }))
    expect(first.found_by_label).toBe(true)
    expect(first.typo).toBe("1 term is not validated: 'IFNJ'")
    expect(first.anndata.otype).toBe("AnnData")
    const second = await i.run(main({ workDir: i.dir }))
    expect(second.dataset.uid).toBe(first.dataset.uid)
    expect(second.found_by_label).toBe(true)
    // same key: the same artifact or a new version of it (an .h5ad's bytes need not repeat)
    expect(second.anndata.uid.slice(0, 16)).toBe(first.anndata.uid.slice(0, 16))
  })
})
