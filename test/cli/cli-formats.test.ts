/**
 * The CLI on tables and AnnData: `save` records otype and n_observations read from the file,
 * `describe` shows shape and columns.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeH5ad } from "../../src/formats/anndata/h5/write-h5ad.js"
import { writeParquet } from "../../src/formats/table/parquet.js"
import { writeAnnDataZarr } from "../../src/formats/zarr/anndata-zarr.js"
import { lamina, laminaJson } from "../support/cli.js"
import { sampleAnnData, sampleTable } from "../registry/samples.js"

describe("lamina CLI on tables and AnnData", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cli-formats-"))
  const home = path.join(dir, "home")
  const h5ad = path.join(dir, "cells.h5ad")
  const zarr = path.join(dir, "cells.zarr")
  const parquet = path.join(dir, "t.parquet")

  beforeAll(async () => {
    await laminaJson(home, ["init", "--storage", path.join(dir, "storage")])
    const adata = await Effect.runPromise(sampleAnnData())
    await Effect.runPromise(Effect.all([writeH5ad(adata, h5ad), writeAnnDataZarr(adata, zarr), writeParquet(sampleTable(), parquet)]))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("save x.h5ad --json records otype AnnData and n_observations; describe shows obs and var", async () => {
    const saved = await laminaJson(home, ["save", h5ad, "--key", "cells/pbmc.h5ad"])
    expect(saved).toMatchObject({ key: "cells/pbmc.h5ad", suffix: ".h5ad", otype: "AnnData", kind: "dataset", n_observations: 4 })
    const described = await laminaJson(home, ["describe", "cells/pbmc.h5ad"])
    expect(described).toMatchObject({ otype: "AnnData", n_observations: 4, metadata: { format: "h5ad", shape: [4, 3], obs: { n: 4 } } })
    const human = (await lamina(home, ["describe", "cells/pbmc.h5ad"])).stdout
    expect(human).toContain("├── otype:          AnnData")
    expect(human).toContain("├── n_observations: 4")
    expect(human).toContain("4 × 3 (n_obs × n_vars)")
    expect(human).toContain("├── X:              dense float32")
    expect(human).toMatch(/obs: +4 rows, 3 columns\n│ +├── cell_type +category\[string\]\n│ +├── is_doublet +bool\n│ +└── n_genes +int32/)
    expect(human).toMatch(/└── var: +3 rows, 1 column\n +└── mean +float32/)
  })

  it("save of an AnnData zarr folder and a parquet file", async () => {
    expect(await laminaJson(home, ["save", zarr, "--key", "cells/pbmc.zarr"])).toMatchObject({ otype: "AnnData", n_observations: 4, suffix: ".zarr" })
    expect(await laminaJson(home, ["save", parquet, "--key", "tables/t.parquet"])).toMatchObject({ otype: "DataFrame", n_observations: 3 })
    const human = (await lamina(home, ["describe", "tables/t.parquet"])).stdout
    expect(human).toMatch(/columns: +4 columns\n +├── id +int32\n +├── score +float64\n +├── name +string\n +└── ok +bool/)
  })

  it("save of a damaged .h5ad fails with the file named, exit code 1, nothing registered", async () => {
    const bad = path.join(dir, "bad.h5ad")
    writeFileSync(bad, "not an hdf5 file")
    const r = await lamina(home, ["save", bad, "--key", "cells/bad.h5ad"])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("bad.h5ad")
    expect(r.stderr).not.toMatch(/RuntimeError|Aborted|wasm/i)
    expect((await lamina(home, ["describe", "cells/bad.h5ad"])).code).not.toBe(0)
  })

  it("save of a damaged .arrow says what to do, without the reader's TypeError; --no-inspect saves it as bytes", async () => {
    const bad = path.join(dir, "bad.arrow")
    writeFileSync(bad, "ARROW1 then nothing an Arrow reader can use")
    const r = await lamina(home, ["save", bad, "--key", "tables/bad.arrow"])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("bad.arrow is not a readable Arrow IPC file: its content is damaged or truncated")
    expect(r.stderr).toContain("--no-inspect")
    expect(r.stderr).not.toMatch(/Cannot read properties|TypeError|intermediate value/)
    const saved = await laminaJson(home, ["save", bad, "--key", "tables/bad.arrow", "--no-inspect"])
    expect(saved).toMatchObject({ key: "tables/bad.arrow", otype: null })
  })
})
