/**
 * The Project registry's declaration: projects that artifacts, transforms, runs and records
 * belong to (LaminDB's fields; typed, with parents).
 *
 * @module
 */
import { defineRegistry, f, fk, m2m, recordFields } from "../../schema/index.js"

/** Projects (uid of 12). */
export const ProjectDecl = defineRegistry({
  name: "Project",
  table: "lamina_project",
  uidLength: 12,
  versioned: false,
  fields: {
    ...recordFields,
    name: f.str,
    type_id: f.nullable(f.int),
    is_type: f.withDefault(f.bool, false),
    abbr: f.nullable(f.str),
    url: f.nullable(f.str),
    /** `YYYY-MM-DD`. */
    start_date: f.nullable(f.str),
    end_date: f.nullable(f.str),
    description: f.nullable(f.str),
    updated_at: f.datetime
  },
  relations: {
    type: fk("Project", "type_id", "projects"),
    created_by: fk("User", "created_by_id", "created_projects")
  },
  links: {
    parents: m2m("Project", { table: "lamina_project_parent", selfColumn: "child_id", otherColumn: "parent_id" }, "children"),
    artifacts: m2m("Artifact", { table: "lamina_artifact_project", selfColumn: "project_id", otherColumn: "artifact_id" }, "projects"),
    transforms: m2m("Transform", { table: "lamina_transform_project", selfColumn: "project_id", otherColumn: "transform_id" }, "projects"),
    runs: m2m("Run", { table: "lamina_run_project", selfColumn: "project_id", otherColumn: "run_id" }, "projects"),
    records: m2m("Record", { table: "lamina_record_project", selfColumn: "project_id", otherColumn: "record_id" }, "projects")
  },
  searchFields: ["name", "abbr", "description"]
})
