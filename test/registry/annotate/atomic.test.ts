/**
 * `Artifact.fromPath(p, { features })`: the row and its feature values commit together. When
 * the feature write fails (here a trigger refusing label links), no artifact row and no stored
 * object remain, and saving again afterwards starts a fresh family — on {SQLite, Postgres} ×
 * {local, S3}.
 */
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { Artifact, Feature, ULabel } from "../../../src/index.js"
import { describeBackends, type TestInstance } from "../../support/backends.js"

const refuseLinks = (i: TestInstance) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    if (i.backend === "sqlite") yield* sql.unsafe(`CREATE TRIGGER refuse_links BEFORE INSERT ON lamina_artifact_ulabel BEGIN SELECT RAISE(ABORT, 'label link refused'); END`)
    else {
      yield* sql.unsafe(`CREATE FUNCTION refuse_links() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'label link refused'; END $$ LANGUAGE plpgsql`)
      yield* sql.unsafe(`CREATE TRIGGER refuse_links BEFORE INSERT ON lamina_artifact_ulabel FOR EACH ROW EXECUTE FUNCTION refuse_links()`)
    }
  })

const allowLinks = (i: TestInstance) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    i.backend === "sqlite" ? sql.unsafe(`DROP TRIGGER refuse_links`) : Effect.zipRight(sql.unsafe(`DROP TRIGGER refuse_links ON lamina_artifact_ulabel`), sql.unsafe(`DROP FUNCTION refuse_links()`))
  )

/** The stored artifact objects (the SQLite file of a local instance lives there too). */
const objects = async (i: TestInstance) => (await i.storedKeys(".lamina")).filter((k) => !k.endsWith(".db") && !k.includes(".db-"))

const rowCount = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM lamina_artifact`).pipe(Effect.map((r) => Number(r[0]!.n)))

describeBackends(
  "annotate at creation, atomically",
  ({ instance }) => {
    it("a failing feature write leaves no artifact and no stored bytes", async () => {
      const i = await instance()
      const p = path.join(i.dir, "measured.txt")
      writeFileSync(p, "21.6 degrees, DMSO")
      await i.run(
        Effect.gen(function* () {
          yield* Feature.create({ name: "temperature", dtype: "float" })
          yield* Feature.create({ name: "perturbation", dtype: "cat[ULabel]" })
          yield* ULabel.create({ name: "DMSO" })
        })
      )
      const features = { temperature: 21.6, perturbation: "DMSO" }
      await i.run(refuseLinks(i))
      const e = await i.fail(Effect.flatMap(Artifact.fromPath(p, { key: "atomic/measured.txt", features }), (pending) => pending.save()))
      expect(e.message).toContain("label link refused")
      expect(await i.run(rowCount)).toBe(0)
      expect(await objects(i)).toEqual([])

      await i.run(allowLinks(i))
      const saved = await i.run(Effect.flatMap(Artifact.fromPath(p, { key: "atomic/measured.txt", features }), (pending) => pending.save()))
      expect(saved.version).toBe("0000")
      expect(await i.run(saved.features.get())).toEqual(features)
      expect(await i.run(rowCount)).toBe(1)
      expect(await objects(i)).toEqual([saved.storageKey])
    })

    it("a same-content save annotates the artifact it returns; a failure there keeps it as it was", async () => {
      const i = await instance()
      const p = path.join(i.dir, "again.txt")
      writeFileSync(p, "same bytes")
      await i.run(Effect.zipRight(Feature.create({ name: "perturbation", dtype: "cat[ULabel]" }), ULabel.create({ name: "IFNG" })))
      const first = await i.run(Effect.flatMap(Artifact.fromPath(p, { key: "atomic/again.txt" }), (pending) => pending.save()))
      await i.run(refuseLinks(i))
      await i.fail(Effect.flatMap(Artifact.fromPath(p, { key: "atomic/again.txt", features: { perturbation: "IFNG" } }), (pending) => pending.save()))
      expect(await i.run(first.features.get())).toEqual({})
      await i.run(allowLinks(i))
      const again = await i.run(Effect.flatMap(Artifact.fromPath(p, { key: "atomic/again.txt", features: { perturbation: "IFNG" } }), (pending) => pending.save()))
      expect(again.id).toBe(first.id)
      expect(await i.run(first.features.get())).toEqual({ perturbation: "IFNG" })
      expect(await i.run(rowCount)).toBe(1)
    })
  },
  { storages: ["local", "s3"] }
)
