/**
 * Migration 110: the annotation registries — Feature, ULabel, Record, Project, Reference —
 * their link tables, and feature values on artifacts, runs and records.
 *
 * - Non-categorical feature values live in a `_features` JSON column (feature uid → value) of
 *   the annotated table, indexed by a trigger-maintained side table exactly like run params
 *   (`../jsonSideTable.ts`), so `Artifact.filter({ temperature__gt: 20 })` is an index range
 *   scan with typed comparisons.
 * - Categorical values are label links carrying the `feature_id` they are a value of
 *   (`lamina_artifact_ulabel`, `lamina_artifact_record`, …; null for a plain label), as
 *   LaminDB's `ArtifactULabel.feature`.
 * - Parents/children are self links `(child_id, parent_id)`.
 *
 * @module
 */
import { columnTypes, linkTable } from "../ddl.js"
import type { Dialect } from "../dialect.js"
import { rebuildSideTable, sideTableStatements, type JsonSideTable } from "../jsonSideTable.js"
import { recordFields, type Migration } from "./migration.js"

/** The feature-value side tables of the annotated registries. */
export const FEATURE_VALUE_TABLES: ReadonlyArray<JsonSideTable> = [
  { source: "lamina_artifact", column: "_features", table: "lamina_artifact_feature_value", owner: "artifact_id" },
  { source: "lamina_run", column: "_features", table: "lamina_run_feature_value", owner: "run_id" },
  { source: "lamina_record", column: "_features", table: "lamina_record_feature_value", owner: "record_id" }
]

const link = (d: Dialect, table: string, self: [string, string], other: [string, string], feature: boolean): ReadonlyArray<string> =>
  linkTable(d, {
    table,
    self,
    other,
    indent: [6, 4],
    ...(feature
      ? {
          extra: [`feature_id ${columnTypes(d).int} REFERENCES lamina_feature(id) ON DELETE CASCADE`],
          unique: [self[0], other[0], "feature_id"],
          indexes: [
            [other[0], [other[0], "feature_id"]],
            ["feature", ["feature_id", other[0]]]
          ]
        }
      : {})
  })

const statements = (d: Dialect): ReadonlyArray<string> => {
  const t = columnTypes(d)
  const typed = (table: string) => `type_id ${t.int} REFERENCES ${table}(id),
        is_type ${t.bool} NOT NULL DEFAULT FALSE`
  return [
    `CREATE TABLE lamina_feature (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text} NOT NULL,
        dtype ${t.text},
        ${typed("lamina_feature")},
        unit ${t.text},
        description ${t.text},
        synonyms ${t.text},
        default_value ${t.json},
        nullable ${t.bool} NOT NULL DEFAULT TRUE,
        coerce ${t.bool} NOT NULL DEFAULT FALSE,
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
    `CREATE INDEX lamina_feature_name ON lamina_feature (name)`,
    `CREATE TABLE lamina_ulabel (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text} NOT NULL,
        ${typed("lamina_ulabel")},
        description ${t.text},
        reference ${t.text},
        reference_type ${t.text},
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
    `CREATE INDEX lamina_ulabel_name ON lamina_ulabel (name)`,
    `CREATE INDEX lamina_ulabel_type ON lamina_ulabel (type_id)`,
    `CREATE TABLE lamina_record (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text},
        ${typed("lamina_record")},
        description ${t.text},
        reference ${t.text},
        reference_type ${t.text},
        _features ${t.json},
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
    `CREATE INDEX lamina_record_name ON lamina_record (name)`,
    `CREATE INDEX lamina_record_type ON lamina_record (type_id)`,
    `CREATE TABLE lamina_project (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text} NOT NULL,
        ${typed("lamina_project")},
        abbr ${t.text},
        url ${t.text},
        start_date ${t.text},
        end_date ${t.text},
        description ${t.text},
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
    `CREATE INDEX lamina_project_name ON lamina_project (name)`,
    `CREATE TABLE lamina_reference (
        id ${t.id},
        uid ${t.key} NOT NULL UNIQUE,
        name ${t.text} NOT NULL,
        ${typed("lamina_reference")},
        abbr ${t.text},
        url ${t.text},
        pubmed_id ${t.int},
        doi ${t.text},
        description ${t.text},
        text ${t.text},
        date ${t.text},
        updated_at ${t.ts} NOT NULL,
        ${recordFields(d)}
      )`,
    `CREATE INDEX lamina_reference_name ON lamina_reference (name)`,
    ...link(d, "lamina_ulabel_parent", ["child_id", "lamina_ulabel"], ["parent_id", "lamina_ulabel"], false),
    ...link(d, "lamina_record_parent", ["child_id", "lamina_record"], ["parent_id", "lamina_record"], false),
    ...link(d, "lamina_project_parent", ["child_id", "lamina_project"], ["parent_id", "lamina_project"], false),
    ...link(d, "lamina_artifact_ulabel", ["artifact_id", "lamina_artifact"], ["ulabel_id", "lamina_ulabel"], true),
    ...link(d, "lamina_artifact_record", ["artifact_id", "lamina_artifact"], ["record_id", "lamina_record"], true),
    ...link(d, "lamina_run_ulabel", ["run_id", "lamina_run"], ["ulabel_id", "lamina_ulabel"], true),
    ...link(d, "lamina_run_record", ["run_id", "lamina_run"], ["record_id", "lamina_record"], true),
    ...link(d, "lamina_record_ulabel", ["record_id", "lamina_record"], ["ulabel_id", "lamina_ulabel"], true),
    ...link(d, "lamina_record_record", ["record_id", "lamina_record"], ["value_id", "lamina_record"], true),
    ...link(d, "lamina_artifact_project", ["artifact_id", "lamina_artifact"], ["project_id", "lamina_project"], false),
    ...link(d, "lamina_transform_project", ["transform_id", "lamina_transform"], ["project_id", "lamina_project"], false),
    ...link(d, "lamina_run_project", ["run_id", "lamina_run"], ["project_id", "lamina_project"], false),
    ...link(d, "lamina_record_project", ["record_id", "lamina_record"], ["project_id", "lamina_project"], false),
    ...link(d, "lamina_artifact_reference", ["artifact_id", "lamina_artifact"], ["reference_id", "lamina_reference"], false),
    ...link(d, "lamina_transform_reference", ["transform_id", "lamina_transform"], ["reference_id", "lamina_reference"], false),
    ...link(d, "lamina_run_reference", ["run_id", "lamina_run"], ["reference_id", "lamina_reference"], false),
    ...link(d, "lamina_record_reference", ["record_id", "lamina_record"], ["reference_id", "lamina_reference"], false),
    `ALTER TABLE lamina_artifact ADD COLUMN _features ${t.json}`,
    `ALTER TABLE lamina_run ADD COLUMN _features ${t.json}`,
    ...FEATURE_VALUE_TABLES.flatMap((s) => sideTableStatements(d, s))
  ]
}

/** Statements that rebuild every feature-value side table (bulk loads that drop the triggers). */
export const rebuildFeatureValues = (d: Dialect): ReadonlyArray<string> => FEATURE_VALUE_TABLES.flatMap((s) => rebuildSideTable(d, s))

/** Migration 110: features, labels, records, projects, references and feature values. */
export const annotationRegistries: Migration = {
  id: 110,
  name: "annotation registries: feature, ulabel, record, project, reference; links; feature values",
  statements
}
