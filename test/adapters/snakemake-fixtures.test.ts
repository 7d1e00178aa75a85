import { expect, it } from "vitest"
import { ingest } from "../../src/adapters/snakemake/ingest.js"
import { describeBackends } from "../support/backends.js"
import { fixtureDirs } from "./fixtures.js"

describeBackends("snakemake ingest (fixtures)", ({ instance }) => {
  for (const dir of fixtureDirs("snakemake"))
    it(`ingests ${dir.split("/").pop()}`, async () => {
      const lamina = await instance()
      const first = await lamina.run(ingest(dir))
      console.log(JSON.stringify({ ...first, warnings: first.warnings.length }), first.warnings.slice(0, 3))
      expect(first.runs.new).toBeGreaterThan(0)
      const again = await lamina.run(ingest(dir))
      expect(again.runs.new).toBe(0)
      expect(again.artifacts.new).toBe(0)
    }, 60_000)
})
