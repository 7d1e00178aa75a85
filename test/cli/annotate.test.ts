/**
 * The annotation commands of the bundled CLI: feature/ulabel/record/project create, annotate,
 * ls of the new registries, feature filters, describe's sections, collection create — with
 * --json, on SQLite and Postgres.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { lamina, laminaJson } from "../support/cli.js"
import { requireComponent } from "../support/env.js"
import { createDatabase, createSchema, postgresAvailable } from "../support/postgres.js"

const pgUp = requireComponent(await postgresAvailable(), "PostgreSQL is not reachable at 127.0.0.1:5432")

for (const backend of ["sqlite", "pg"] as const) {
  ;(backend === "sqlite" || pgUp ? describe : describe.skip)(`lamina annotate CLI [${backend}]`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lamina-cli-annotate-"))
    const home = path.join(dir, "home")
    let drop: (() => Promise<void>) | undefined
    beforeAll(async () => {
      let db: ReadonlyArray<string> = []
      if (backend === "pg") {
        const database = await createDatabase()
        drop = database.drop
        db = ["--db", await createSchema(database.url)]
      }
      await laminaJson(home, ["init", "--storage", path.join(dir, "storage"), ...db, "--name", "annotate-cli"])
      for (const [name, content] of [["m.csv", "a\n1\n"], ["n.csv", "a\n2\n"]] as const) {
        writeFileSync(path.join(dir, name), content)
        await laminaJson(home, ["save", path.join(dir, name), "--key", `raw/${name}`])
      }
    })
    afterAll(async () => {
      await drop?.()
      rmSync(dir, { recursive: true, force: true })
    })

    it("creates features, labels, records and projects, annotates, filters and describes", async () => {
      expect(await laminaJson(home, ["feature", "create", "temperature", "--dtype", "float", "--unit", "°C"])).toMatchObject({ name: "temperature", dtype: "float", unit: "°C" })
      expect(await laminaJson(home, ["feature", "create", "experiment_date", "--dtype", "date", "--coerce"])).toMatchObject({ coerce: true })
      await laminaJson(home, ["feature", "create", "experiment", "--dtype", "str"])
      await laminaJson(home, ["feature", "create", "perturbation", "--dtype", "cat[ULabel]"])
      const clash = await lamina(home, ["feature", "create", "temperature", "--dtype", "int"])
      expect(clash.code).not.toBe(0)
      expect(clash.stderr).toContain("Feature temperature already exists with dtype float, you passed int")
      expect(await laminaJson(home, ["ulabel", "create", "Perturbation", "--is-type"])).toMatchObject({ is_type: true })
      await laminaJson(home, ["ulabel", "create", "DMSO", "--type", "Perturbation"])
      await laminaJson(home, ["record", "create", "Sample", "--is-type"])
      expect(await laminaJson(home, ["record", "create", "P53mutant1", "--type", "Sample"])).toMatchObject({ name: "P53mutant1" })
      await laminaJson(home, ["project", "create", "Lamina paper"])
      const annotated = await laminaJson<{ readonly linked_features: ReadonlyArray<{ readonly name: string; readonly value: unknown }> }>(home, [
        "annotate", "raw/m.csv", "--feature", "temperature=21.6", "--feature", "experiment=My experiment", "--feature", "experiment_date=2024-12-01",
        "--feature", "perturbation=DMSO", "--label", "DMSO", "--project", "Lamina paper"
      ])
      expect(annotated.linked_features.map((f) => [f.name, f.value])).toEqual([
        ["experiment", "My experiment"], ["experiment_date", "2024-12-01"], ["perturbation", "DMSO"], ["temperature", 21.6]
      ])
      const bad = await lamina(home, ["annotate", "raw/n.csv", "--feature", "temperature=warm"])
      expect(bad.code).not.toBe(0)
      expect(bad.stderr).toContain("Expected dtype for 'temperature' is 'float', got 'str'")
      const warm = await laminaJson<ReadonlyArray<{ readonly key: string }>>(home, ["ls", "artifact", "--filter", "temperature__gt=20"])
      expect(warm.map((a) => a.key)).toEqual(["raw/m.csv"])
      expect((await laminaJson<ReadonlyArray<{ readonly key: string }>>(home, ["ls", "artifact", "--filter", "projects__name=Lamina paper"])).map((a) => a.key)).toEqual(["raw/m.csv"])
      const unknown = await lamina(home, ["ls", "artifact", "--filter", "temperatur__gt=20"])
      expect(unknown.stderr).toContain("Or fix invalid feature names: temperatur")
      expect((await laminaJson<ReadonlyArray<{ readonly name: string }>>(home, ["ls", "feature"])).map((f) => f.name).sort()).toEqual(["experiment", "experiment_date", "perturbation", "temperature"])
      expect((await laminaJson<ReadonlyArray<{ readonly name: string; readonly type: string | null }>>(home, ["ls", "ulabel"])).find((l) => l.name === "DMSO")?.type).toBe("Perturbation")
      expect((await laminaJson<ReadonlyArray<{ readonly name: string }>>(home, ["ls", "record"])).map((r) => r.name).sort()).toEqual(["P53mutant1", "Sample"])
      expect((await laminaJson<ReadonlyArray<{ readonly name: string }>>(home, ["ls", "project"])).map((r) => r.name)).toEqual(["Lamina paper"])
      const described = await laminaJson<{ readonly labels: Readonly<Record<string, ReadonlyArray<string>>> }>(home, ["describe", "raw/m.csv"])
      expect(described.labels).toEqual({ ulabels: ["DMSO"], projects: ["Lamina paper"] })
      const text = await lamina(home, ["describe", "raw/m.csv"])
      expect(text.stdout).toContain("Linked features")
      expect(text.stdout).toMatch(/temperature\s+float\s+21\.6 °C/)
      expect(text.stdout).toContain("Labels")
      expect(text.stdout).toMatch(/\.ulabels\s+ULabel\s+DMSO/)
    }, 300_000)

    it("creates collections and lists them", async () => {
      const c = await laminaJson<{ readonly uid: string; readonly version: string }>(home, ["collection", "create", "my-collection", "raw/m.csv", "raw/n.csv"])
      expect(c.uid).toHaveLength(20)
      expect((await laminaJson<{ readonly uid: string }>(home, ["collection", "create", "my-collection", "raw/m.csv", "raw/n.csv"])).uid).toBe(c.uid)
      expect((await laminaJson<ReadonlyArray<{ readonly key: string }>>(home, ["ls", "collection"])).map((x) => x.key)).toEqual(["my-collection"])
      expect((await lamina(home, ["collection", "create", "k", "raw/none.csv"])).code).not.toBe(0)
    }, 120_000)
  })
}
