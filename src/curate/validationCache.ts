/**
 * The validation cache: an artifact whose content validated against a schema (by LaminDB's
 * schema hash) is not validated again — its data is not read a second time.
 *
 * A cached "valid" must never be stale, and validity also depends on the registries: a label
 * deleted or renamed, a feature created for an extra column of a flexible schema, a feature's
 * dtype changed. So each row keeps what the result depended on — the dataset's column names
 * (their features) and the terms it matched, per term source — and a digest of those
 * registry entries as they were. A lookup recomputes the digest through the Curator (a few
 * queries over the distinct terms, never the rows); a different digest is a miss. Only
 * successes are cached: a failure is re-checked every time (the fix is often a new label).
 *
 * @module
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { sqlFailure } from "../db/failure.js"
import { decodeValue, encodeValue } from "../registry/model.js"
import { hashString } from "../storage/hash.js"
import { Curator, sourceText, type TermSource } from "./Curator.js"
import { lookupIn } from "./validateTable.js"

/** What a validation result depends on in the registries. */
export interface Dependencies {
  /** Every column name of the validated tables (their features decide dtypes and nulls). */
  readonly columns: ReadonlyArray<string>
  /** Terms matched, per list of sources they were looked up in. */
  readonly terms: ReadonlyArray<{ readonly sources: ReadonlyArray<TermSource>; readonly values: ReadonlyArray<string> }>
}

/** Where a cached result is keyed: the artifact's content (hash and suffix) and the schema hash. */
export interface CacheKey {
  readonly artifactHash: string
  readonly suffix: string
  readonly schemaHash: string
}

/** The registry state `deps` names, as one hash (through the Curator in context). */
export const digestOf = (deps: Dependencies) =>
  Effect.gen(function* () {
    const curator = yield* Curator
    const lines: Array<string> = []
    for (const f of (yield* curator.features(deps.columns)).values())
      lines.push(`f\u0000${f.name}\u0000${f.id}\u0000${f.dtype}\u0000${f.nullable}\u0000${f.coerce}\u0000${JSON.stringify(f.default_value)}`)
    for (const t of deps.terms) {
      const where = t.sources.map(sourceText).join("|")
      const found = yield* lookupIn(t.sources, t.values)
      for (const v of t.values) {
        const m = found.get(v)
        lines.push(`t\u0000${where}\u0000${v}\u0000${m === undefined ? "-" : `${m.registry}:${m.id}`}`)
      }
    }
    return hashString(lines.sort().join("\n"))
  })

const fail = sqlFailure("Reading or writing the validation cache")

/** Whether `key` validated before and the registries it depended on are unchanged. */
export const isCachedValid = (key: CacheKey) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly dependencies: unknown; readonly digest: string }>`SELECT dependencies, digest FROM lamina_validation
      WHERE artifact_hash = ${key.artifactHash} AND suffix = ${key.suffix} AND schema_hash = ${key.schemaHash}`.pipe(Effect.mapError(fail))
    const row = rows[0]
    if (row === undefined) return false
    const deps = decodeValue("json", row.dependencies) as Dependencies
    return (yield* digestOf(deps)) === row.digest
  })

/** Remember that `key` validated, with what it depended on. */
export const rememberValid = (key: CacheKey, deps: Dependencies) =>
  Effect.gen(function* () {
    const digest = yield* digestOf(deps)
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO lamina_validation ${sql.insert({
      artifact_hash: key.artifactHash,
      suffix: key.suffix,
      schema_hash: key.schemaHash,
      dependencies: encodeValue("json", deps),
      digest,
      created_at: encodeValue("datetime", new Date())
    })} ON CONFLICT (artifact_hash, suffix, schema_hash) DO UPDATE SET dependencies = excluded.dependencies, digest = excluded.digest, created_at = excluded.created_at`.pipe(
      Effect.mapError(fail)
    )
  })
