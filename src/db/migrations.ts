/**
 * The registry schema as one ordered, append-only list of migrations, each written once for
 * both dialects. Never edit or reorder an applied migration: append a new one.
 *
 * Tables follow LaminDB's registries and field names, prefixed `lamina_`.
 *
 * @module
 */
import { columnTypes } from "./ddl.js"
import type { Dialect } from "./dialect.js"
import { queryIndexes } from "./queryIndexes.js"

/** One schema change. */
export interface Migration {
  /** Position in the list, starting at 1; never reused. */
  readonly id: number
  readonly name: string
  readonly statements: (dialect: Dialect) => ReadonlyArray<string>
}

/** Fields every record carries (LaminDB's BaseRecord + branch/lock/aux). */
const recordFields = (dialect: Dialect): string => {
  const t = columnTypes(dialect)
  return `created_at ${t.ts} NOT NULL,
    created_by_id ${t.int} REFERENCES lamina_user(id),
    branch ${t.int} NOT NULL DEFAULT 1,
    is_locked ${t.bool} NOT NULL DEFAULT FALSE,
    _aux ${t.json}`
}

const coreRegistries: Migration = {
  id: 1,
  name: "core registries: user, storage, transform, run, artifact, run_input_artifact",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_user (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        handle ${t.text} NOT NULL UNIQUE,
        name ${t.text},
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL
      )`,
      `CREATE TABLE lamina_storage (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        root ${t.text} NOT NULL UNIQUE,
        description ${t.text},
        type ${t.text} NOT NULL,
        region ${t.text},
        instance_uid ${t.text},
        ${recordFields(d)}
      )`,
      `CREATE TABLE lamina_transform (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        key ${t.key},
        description ${t.text},
        kind ${t.text} NOT NULL DEFAULT 'pipeline',
        source_code ${t.text},
        hash ${t.text},
        reference ${t.text},
        reference_type ${t.text},
        version_tag ${t.text},
        is_latest ${t.bool} NOT NULL DEFAULT TRUE,
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
      `CREATE INDEX lamina_transform_key ON lamina_transform (key)`,
      `CREATE INDEX lamina_transform_hash ON lamina_transform (hash)`,
      `CREATE TABLE lamina_run (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text},
        description ${t.text},
        transform_id ${t.int} NOT NULL REFERENCES lamina_transform(id),
        entrypoint ${t.text},
        started_at ${t.ts},
        finished_at ${t.ts},
        report_id ${t.int},
        environment_id ${t.int},
        params ${t.json},
        plan ${t.json},
        extra_data ${t.json},
        reference ${t.text},
        reference_type ${t.text},
        cli_args ${t.text},
        initiated_by_run_id ${t.int} REFERENCES lamina_run(id),
        _status_code ${t.int} NOT NULL DEFAULT -3,
        ${recordFields(d)}
      )`,
      `CREATE INDEX lamina_run_transform ON lamina_run (transform_id)`,
      `CREATE INDEX lamina_run_initiated_by ON lamina_run (initiated_by_run_id)`,
      `CREATE INDEX lamina_run_created_at ON lamina_run (created_at)`,
      `CREATE TABLE lamina_artifact (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        key ${t.key},
        description ${t.text},
        storage_id ${t.int} NOT NULL REFERENCES lamina_storage(id),
        suffix ${t.text} NOT NULL DEFAULT '',
        kind ${t.text},
        otype ${t.text},
        size ${t.int},
        hash ${t.key},
        hash_type ${t.text},
        n_files ${t.int},
        n_observations ${t.int},
        version_tag ${t.text},
        is_latest ${t.bool} NOT NULL DEFAULT TRUE,
        run_id ${t.int} REFERENCES lamina_run(id),
        _key_is_virtual ${t.bool} NOT NULL DEFAULT TRUE,
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
      `CREATE INDEX lamina_artifact_key ON lamina_artifact (key)`,
      `CREATE INDEX lamina_artifact_hash ON lamina_artifact (hash)`,
      `CREATE INDEX lamina_artifact_run ON lamina_artifact (run_id)`,
      `CREATE INDEX lamina_artifact_created_at ON lamina_artifact (created_at)`,
      `CREATE UNIQUE INDEX lamina_artifact_storage_key_hash ON lamina_artifact (storage_id, key, hash) WHERE key IS NOT NULL`,
      `CREATE UNIQUE INDEX lamina_artifact_storage_hash ON lamina_artifact (storage_id, hash) WHERE key IS NULL`,
      `CREATE TABLE lamina_run_input_artifact (
        id ${t.id},
        run_id ${t.int} NOT NULL REFERENCES lamina_run(id) ON DELETE CASCADE,
        artifact_id ${t.int} NOT NULL REFERENCES lamina_artifact(id) ON DELETE CASCADE,
        UNIQUE (run_id, artifact_id)
      )`,
      `CREATE INDEX lamina_run_input_artifact_artifact ON lamina_run_input_artifact (artifact_id)`
    ]
  }
}

/**
 * Lineage engine (ids 20–29): cache keys and reuse on runs, persisted step results and errors,
 * returned-artifact outputs, and the claim table that makes identical cache keys compute once
 * across processes.
 */
const runCaching: Migration = {
  id: 20,
  name: "run caching: cache_key, reused_run, result, error, logs, run_output_artifact",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `ALTER TABLE lamina_run ADD COLUMN cache_key ${t.key}`,
      `ALTER TABLE lamina_run ADD COLUMN reused_run_id ${t.int} REFERENCES lamina_run(id)`,
      `ALTER TABLE lamina_run ADD COLUMN _result ${t.json}`,
      `ALTER TABLE lamina_run ADD COLUMN _cache_parts ${t.json}`,
      `ALTER TABLE lamina_run ADD COLUMN error ${t.json}`,
      `ALTER TABLE lamina_run ADD COLUMN logs ${t.text}`,
      // Only completed runs are ever reused: a partial index keeps cached-run inserts cheap.
      `CREATE INDEX lamina_run_cache_key ON lamina_run (cache_key) WHERE _status_code = 0`,
      `CREATE TABLE lamina_run_output_artifact (
        id ${t.id},
        run_id ${t.int} NOT NULL REFERENCES lamina_run(id) ON DELETE CASCADE,
        artifact_id ${t.int} NOT NULL REFERENCES lamina_artifact(id) ON DELETE CASCADE,
        UNIQUE (run_id, artifact_id)
      )`,
      `CREATE INDEX lamina_run_output_artifact_artifact ON lamina_run_output_artifact (artifact_id)`
    ]
  }
}

const runClaims: Migration = {
  id: 21,
  name: "run claims: one computing run per cache key across processes",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_run_claim (
        cache_key ${t.key} PRIMARY KEY,
        run_id ${t.int} NOT NULL,
        owner ${t.text} NOT NULL,
        claimed_at ${t.ts} NOT NULL,
        heartbeat_at ${t.ts} NOT NULL
      )`
    ]
  }
}

const artifactSlots: Migration = {
  id: 30,
  name: "artifact version slots claimed by saves in flight (multi-writer uploads)",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_artifact_slot (
        uid ${t.key} NOT NULL PRIMARY KEY,
        created_at ${t.ts} NOT NULL
      )`
    ]
  }
}

/**
 * Lookups of the form `WHERE x = ? ORDER BY id LIMIT 1` on a single-column index tempt
 * Postgres, while a table's statistics are stale (right after a burst of inserts), into walking
 * the primary key and filtering: a full scan per save. Composite indexes answer the filter and
 * the order together, whatever the statistics say.
 */
const lookupIndexes: Migration = {
  id: 40,
  name: "composite lookup indexes: artifact and transform hash, transform key, run cache key",
  statements: () => [
    `DROP INDEX lamina_artifact_hash`,
    `CREATE INDEX lamina_artifact_hash ON lamina_artifact (hash, id)`,
    `DROP INDEX lamina_transform_key`,
    `CREATE INDEX lamina_transform_key ON lamina_transform (key, uid)`,
    `DROP INDEX lamina_transform_hash`,
    `CREATE INDEX lamina_transform_hash ON lamina_transform (hash, id)`,
    `DROP INDEX lamina_run_cache_key`,
    `CREATE INDEX lamina_run_cache_key ON lamina_run (cache_key, id) WHERE _status_code = 0`
  ]
}

/**
 * Cache truth (ids 70–79): the code fingerprints of steps, kept once per distinct fingerprint
 * (the files and packages a step's module reaches, by hash) so `why` can name the file that
 * changed while each run stores only the fingerprint's hash.
 */
const codeFingerprints: Migration = {
  id: 70,
  name: "code fingerprints: files and packages a step's module reaches",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_code_fingerprint (
        hash ${t.key} NOT NULL PRIMARY KEY,
        files ${t.json} NOT NULL,
        packages ${t.json} NOT NULL,
        created_at ${t.ts} NOT NULL
      )`
    ]
  }
}

/**
 * LaminDB's `Artifact.recreating_runs`: runs that saved content an existing artifact already
 * held (the save returned that artifact). And content uniqueness ignores trash: a save whose
 * bytes match only a trashed artifact registers a new one instead of reviving the trashed row
 * (which belongs to the run that created it, often a failed one).
 */
const recreatingRuns: Migration = {
  id: 71,
  name: "artifact recreating runs; hash uniqueness ignores trash",
  statements: (d) => {
    const t = columnTypes(d)
    return [
      `CREATE TABLE lamina_artifact_recreating_run (
        id ${t.id},
        artifact_id ${t.int} NOT NULL REFERENCES lamina_artifact(id) ON DELETE CASCADE,
        run_id ${t.int} NOT NULL REFERENCES lamina_run(id) ON DELETE CASCADE,
        UNIQUE (artifact_id, run_id)
      )`,
      `CREATE INDEX lamina_artifact_recreating_run_run ON lamina_artifact_recreating_run (run_id)`,
      `DROP INDEX lamina_artifact_storage_key_hash`,
      `CREATE UNIQUE INDEX lamina_artifact_storage_key_hash ON lamina_artifact (storage_id, key, hash) WHERE key IS NOT NULL AND branch <> -1`,
      `DROP INDEX lamina_artifact_storage_hash`,
      `CREATE UNIQUE INDEX lamina_artifact_storage_hash ON lamina_artifact (storage_id, hash) WHERE key IS NULL AND branch <> -1`
    ]
  }
}

/** Every migration, in order. Later issues append here. */
export const migrations: ReadonlyArray<Migration> = [coreRegistries, queryIndexes, runCaching, runClaims, artifactSlots, lookupIndexes, codeFingerprints, recreatingRuns]
