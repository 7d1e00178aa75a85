/**
 * The one `is_latest` of a version family: a new version writes the flags that change (the
 * previous head's), not every member's, and the newest non-trash member carries it.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { expect, it } from "vitest"
import { currentDialect } from "../../src/db/dialect.js"
import { Artifact } from "../../src/registry/Artifact.js"
import { ArtifactModel } from "../../src/registry/artifact/model.js"
import { refreshFamilyLatest } from "../../src/registry/latest.js"
import { describeBackends, type TestInstance } from "../support/backends.js"

const saveVersion = (i: TestInstance, n: number) => {
  const p = path.join(i.dir, "inputs", `v${n}.txt`)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, `version ${n}`)
  return i.run(Effect.flatMap(Artifact.fromPath(p, { key: "family/data.txt" }), (a) => a.save()))
}

/** Record the uid of every artifact row an UPDATE touches from now on. */
const recordUpdates = (i: TestInstance) =>
  i.run(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE TABLE lamina_test_updated (uid TEXT)`)
      if ((yield* currentDialect) === "pg") {
        yield* sql.unsafe(`CREATE FUNCTION lamina_test_record_update() RETURNS trigger AS $$ BEGIN INSERT INTO lamina_test_updated VALUES (NEW.uid); RETURN NULL; END $$ LANGUAGE plpgsql`)
        yield* sql.unsafe(`CREATE TRIGGER lamina_test_record_update AFTER UPDATE ON lamina_artifact FOR EACH ROW EXECUTE FUNCTION lamina_test_record_update()`)
      } else yield* sql.unsafe(`CREATE TRIGGER lamina_test_record_update AFTER UPDATE ON lamina_artifact BEGIN INSERT INTO lamina_test_updated VALUES (NEW.uid); END`)
    })
  )

const updated = (i: TestInstance) =>
  i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly uid: string }>`SELECT uid FROM lamina_test_updated ORDER BY uid`)).then((rows) => rows.map((r) => r.uid))

describeBackends("refreshFamilyLatest", ({ instance }) => {
  it("a new version writes only the previous head's flag, not the whole family's", async () => {
    const i = await instance()
    const versions = []
    for (let n = 0; n < 5; n++) versions.push(await saveVersion(i, n))
    await recordUpdates(i)
    const newest = await saveVersion(i, 5)
    expect(await updated(i)).toEqual([versions[4]!.uid])
    const family = await i.run(newest.versions)
    expect(family.filter((v) => v.is_latest).map((v) => v.uid)).toEqual([newest.uid])
  })

  it("returns the head whether or not a flag changed, and '' for a family all in trash", async () => {
    const i = await instance()
    const first = await saveVersion(i, 0)
    const second = await saveVersion(i, 1)
    const stem = second.stem
    // Nothing to change: the head is read, not written.
    await recordUpdates(i)
    expect(await i.run(refreshFamilyLatest(ArtifactModel, stem))).toBe(second.uid)
    expect(await updated(i)).toEqual([])
    // The newest in trash: the flag moves back to the one before it.
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_artifact SET branch = -1 WHERE uid = ${second.uid}`))
    expect(await i.run(refreshFamilyLatest(ArtifactModel, stem))).toBe(first.uid)
    await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE lamina_artifact SET branch = -1 WHERE uid = ${first.uid}`))
    expect(await i.run(refreshFamilyLatest(ArtifactModel, stem))).toBe("")
    const flags = await i.run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly n: number | string }>`SELECT COUNT(*) AS n FROM lamina_artifact WHERE is_latest AND uid >= ${stem + "0000"}`))
    expect(Number(flags[0]!.n)).toBe(0)
  })
})
