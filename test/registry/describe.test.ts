/**
 * `artifact.describe()`: the data and the text tree LaminDB's `describe()` shows — provenance
 * (run, transform, creator), format metadata, "Linked features" and "Labels" — on SQLite and
 * Postgres. The CLI prints the same description (`lamina describe`, test/cli).
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { Artifact, Feature, flow, step, ULabel } from "../../src/index.js"
import { describeBackends } from "../support/backends.js"

describeBackends("artifact.describe()", ({ instance }) => {
  it("describes identity, provenance, format metadata, features and labels", async () => {
    const i = await instance()
    const csv = path.join(i.dir, "counts.csv")
    writeFileSync(csv, "sample,count\ns1,3\ns2,5\n")
    const register = step("register-counts", (file: string) =>
      Effect.flatMap(Artifact.fromPath(file, { key: "raw/counts.csv", description: "plate counts" }), (p) => p.save())
    )
    const artifact = await i.run(flow("describe-flow", register)(csv))
    await i.run(
      Effect.gen(function* () {
        yield* Feature.create({ name: "temperature", dtype: "float", unit: "°C" })
        yield* ULabel.create({ name: "DMSO" })
        yield* artifact.features.add({ temperature: 21.5 })
        yield* artifact.labels.add(yield* ULabel.get({ name: "DMSO" }))
      })
    )

    const { data, text } = await i.run(artifact.describe())
    expect(data).toMatchObject({
      uid: artifact.uid,
      key: "raw/counts.csv",
      description: "plate counts",
      otype: "DataFrame",
      n_observations: 2,
      version: "0000",
      is_latest: true,
      path: i.uri(artifact.storageKey),
      transform: { key: "test/registry/describe.test.ts:register-counts", kind: "function" },
      run: { status: "completed" },
      recreating_runs: [],
      linked_features: [{ name: "temperature", dtype: "float", unit: "°C", value: 21.5 }],
      labels: { ulabels: ["DMSO"] },
      schemas: []
    })
    expect(data.metadata).toBeTypeOf("object")
    expect(data.created_by).toBeTypeOf("string")

    const lines = text.split("\n")
    expect(lines[0]).toBe("Artifact .csv · raw/counts.csv")
    expect(lines).toContain(`├── uid:            ${artifact.uid}`)
    expect(text).toContain(`run:            ${data.run!.uid} (completed, `)
    expect(text).toContain(`transform:      test/registry/describe.test.ts:register-counts v${data.transform!.version} (function, ${data.transform!.uid})`)
    expect(text).toContain("└── columns:        2 columns\n    ├── sample  string\n    └── count   int32")
    expect(text).toContain("Linked features\n└── temperature  float  21.5 °C")
    expect(text).toContain("Labels\n└── .ulabels  ULabel  DMSO")
  })

  it("omits sections the artifact has nothing for", async () => {
    const i = await instance()
    const file = path.join(i.dir, "notes.txt")
    writeFileSync(file, "hello")
    const artifact = await i.run(Effect.flatMap(Artifact.fromPath(file, { key: "notes.txt" }), (p) => p.save()))
    const { data, text } = await i.run(artifact.describe())
    expect(data.run).toBeNull()
    expect(data.transform).toBeNull()
    expect(data.linked_features).toEqual([])
    expect(data.labels).toEqual({})
    expect("metadata" in data).toBe(false)
    expect(text).not.toContain("Linked features")
    expect(text).not.toContain("Labels")
    expect(text).not.toContain("run:")
  })
})
