/**
 * The lookups every save and every cached step makes (`WHERE x = ? ORDER BY id LIMIT 1`, a key's
 * head) must
 * use their composite index even while a table's statistics are stale — right after a burst of
 * inserts, before autovacuum analyzes it. With single-column indexes Postgres walked the primary
 * key and filtered instead: a full scan per save (bench/team/README.md).
 *
 * The statements explained are the ones the code issues: a save, a transform lookup and a cache
 * lookup run first with a statement transformer recording their SQL and parameters. On SQLite the
 * Tracker's run reads go straight to better-sqlite3 (src/tracker/direct.ts), so its prepared
 * statements are recorded too.
 */
import { SqlClient, Statement } from "@effect/sql"
import { Effect } from "effect"
import { expect, it, vi } from "vitest"
import { sqliteDirect } from "../../src/db/sqlite.js"
import type { DirectStatement } from "../../src/db/sqliteSync.js"
import { Tracker } from "../../src/tracker/index.js"
import { saveText } from "../flow/support.js"
import { describeBackends } from "../support/backends.js"

const ROWS = 30_000

/** Which captured statement each index must answer. */
const LOOKUPS = [
  { index: "lamina_artifact_hash", matches: /FROM "?lamina_artifact"? WHERE hash = \S+ AND branch <> -1 ORDER BY id LIMIT 1/ },
  // Read from the index's end: no sort of every version of the key.
  { index: "lamina_artifact_key", matches: /FROM "?lamina_artifact"? WHERE storage_id = \S+ AND key = \S+ AND branch <> -1 ORDER BY is_latest DESC, uid DESC LIMIT 1/, unsorted: true },
  { index: "lamina_transform_key", matches: /SELECT uid FROM "?lamina_transform"? WHERE key = \S+ ORDER BY uid DESC LIMIT 1/ },
  { index: "lamina_transform_hash", matches: /FROM "?lamina_transform"? WHERE key = \S+ AND hash = \S+ AND branch <> -1 ORDER BY id LIMIT 1/ },
  { index: "lamina_run_cache_key", matches: /FROM "?lamina_run"? WHERE cache_key = \S+ AND _status_code = 0 ORDER BY id DESC LIMIT 1/ }
]

describeBackends("lookup indexes", ({ backend, instance }) => {
  it(`answer hash, key and cache-key lookups from their own index on ${ROWS.toLocaleString("en")} unanalyzed rows`, async () => {
    const inst = await instance()
    // The real statements: a save (content dedup by hash), a new transform (key and hash
    // lookups, then its family's head) and a cache lookup.
    const issued: Array<readonly [string, ReadonlyArray<unknown>]> = []
    await inst.run(
      Effect.gen(function* () {
        const direct = sqliteDirect(yield* SqlClient.SqlClient)
        if (direct !== undefined) recordDirect(direct, issued)
        const tracker = yield* Tracker
        yield* saveText(inst.dir, "explain/a.txt", "explain me")
        yield* tracker.ensureTransform({ key: "explain/k.ts", kind: "function", source: "() => 1" })
        yield* tracker.lookupHit("explain-cache-key")
      }).pipe(
        Statement.withTransformer((statement) =>
          Effect.sync(() => {
            issued.push(statement.compile())
            return statement
          })
        )
      )
    )
    const statements = LOOKUPS.map((l) => {
      const found = issued.find(([text]) => l.matches.test(text))
      if (found === undefined) throw new Error(`no statement issued matches ${l.matches}; the code's lookups changed:\n${issued.map(([t]) => t).join("\n")}`)
      // Postgres sends a new key's save as one multi-statement query with its values as literals
      // (SqlDialect.oneTransaction): explain the statement holding the lookup.
      const text = found[0].split(";\n").find((part) => l.matches.test(part)) ?? found[0]
      return { index: l.index, text, params: found[1], unsorted: l.unsorted === true }
    })
    const plans = await inst.run(Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const series = backend === "pg"
        ? `generate_series(1, ${ROWS}) AS s(g)`
        : `(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${ROWS}) SELECT g FROM s)`
      const now = backend === "pg" ? "now()" : "'2026-01-01T00:00:00.000Z'"
      const pad = (col: string) => backend === "pg" ? `lpad(${col}::text, 20, '0')` : `printf('%020d', ${col})`
      if (backend === "pg") {
        for (const t of ["lamina_artifact", "lamina_transform", "lamina_run"]) yield* sql.unsafe(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`)
      }
      yield* sql.unsafe(`INSERT INTO lamina_transform (uid, key, kind, hash, is_latest, updated_at, created_at, branch, is_locked)
        SELECT ${pad("g")}, 'k/' || g, 'pipeline', 'h' || g, TRUE, ${now}, ${now}, 1, FALSE FROM ${series}`)
      yield* sql.unsafe(`INSERT INTO lamina_run (uid, transform_id, cache_key, _status_code, created_at, branch, is_locked)
        SELECT ${pad("g")}, (SELECT MIN(id) FROM lamina_transform), 'c' || g, 0, ${now}, 1, FALSE FROM ${series}`)
      yield* sql.unsafe(`INSERT INTO lamina_artifact (uid, key, storage_id, suffix, size, hash, hash_type, n_files, is_latest, _key_is_virtual, created_at, updated_at, branch, is_locked)
        SELECT ${pad("g")}, 'k/' || g, (SELECT MIN(id) FROM lamina_storage), '.txt', 1, 'h' || g, 'md5', 1, TRUE, TRUE, ${now}, ${now}, 1, FALSE FROM ${series}`)
      // A key saved many times: its head must come from the index's last entry, not a sort of every version.
      yield* sql.unsafe(`INSERT INTO lamina_artifact (uid, key, storage_id, suffix, size, hash, hash_type, n_files, is_latest, _key_is_virtual, created_at, updated_at, branch, is_locked)
        SELECT 'v' || ${pad("g")}, 'explain/a.txt', (SELECT MIN(id) FROM lamina_storage), '.txt', 1, 'v' || g, 'md5', 1, FALSE, TRUE, ${now}, ${now}, 1, FALSE FROM ${series}`)
      const explain = backend === "pg" ? "EXPLAIN " : "EXPLAIN QUERY PLAN "
      const out: Array<{ readonly index: string; readonly unsorted: boolean; readonly plan: string }> = []
      for (const l of statements) {
        const rows = yield* sql.unsafe<Record<string, unknown>>(explain + l.text, l.params)
        out.push({ index: l.index, unsorted: l.unsorted, plan: rows.map((r) => String(r["QUERY PLAN"] ?? r["detail"])).join("\n") })
      }
      return out
    }))
    for (const { index, plan, unsorted } of plans) {
      expect(plan, plan).toContain(index)
      expect(plan, plan).not.toMatch(/_pkey|Seq Scan|SCAN lamina_/)
      if (unsorted) expect(plan, plan).not.toMatch(/Sort Key: [^\n]*is_latest|TEMP B-TREE/)
    }
  })
})

/** Record the SQL and parameters of every statement the direct SQLite path prepares and runs. */
const recordDirect = (
  direct: { readonly prepare: (sql: string) => DirectStatement },
  issued: Array<readonly [string, ReadonlyArray<unknown>]>
): void => {
  const prepare = direct.prepare
  vi.spyOn(direct, "prepare").mockImplementation((text: string): DirectStatement => {
    const statement = prepare(text)
    const record = (params: Array<unknown>) => issued.push([text, params])
    return {
      run: (...params) => (record(params), statement.run(...params)),
      get: (...params) => (record(params), statement.get(...params)),
      all: (...params) => (record(params), statement.all(...params))
    }
  })
}
