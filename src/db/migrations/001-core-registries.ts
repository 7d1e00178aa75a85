/**
 * Migration 1: the core registries (user, storage, transform, run, artifact, run inputs).
 *
 * @module
 */
import { columnTypes } from "../ddl.js"
import { recordFields, type Migration } from "./migration.js"

/** Migration 1. */
export const coreRegistries: Migration = {
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
