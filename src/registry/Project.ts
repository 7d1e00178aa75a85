/**
 * Project registry: projects that artifacts, transforms, runs and records belong to (LaminDB's
 * Project: name, abbr, url, start and end dates, type, parents).
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../errors.js"
import { registryAccess } from "./access.js"
import { ProjectModel } from "./catalog.js"
import { addParents, checkName, findOrCreateNamed, typeIdOf, type TypeRef } from "./named.js"
import { brandRecord } from "./recordRef.js"
import type { RecordOf, Row } from "./model.js"
import { UID_LENGTH } from "./uid.js"

export { ProjectModel } from "./catalog.js"

/** A project record. */
export type Project = RecordOf<typeof ProjectModel>

/** What `Project.create` takes. */
export interface ProjectOptions {
  readonly name: string
  readonly type?: TypeRef
  readonly is_type?: boolean
  readonly abbr?: string
  readonly url?: string
  /** `YYYY-MM-DD` or a Date. */
  readonly start_date?: string | Date
  readonly end_date?: string | Date
  readonly description?: string
}

/** A project decoded from a row, branded as a `Project` record. */
export const decodeProject = (row: Row): Project => brandRecord(row as unknown as Project, "Project")

const access = registryAccess(ProjectModel, decodeProject, UID_LENGTH.project)

/** A date option as `YYYY-MM-DD`. */
export const isoDay = (what: string, v: string | Date | undefined): Effect.Effect<string | null, InvalidArgument> => {
  if (v === undefined) return Effect.succeed(null)
  const d = v instanceof Date ? v : /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : new Date(NaN)
  return Number.isNaN(d.getTime())
    ? Effect.fail(new InvalidArgument({ message: `${what} must be a date (YYYY-MM-DD or a Date), got ${JSON.stringify(v)}.` }))
    : Effect.succeed(d.toISOString().slice(0, 10))
}

/** The Project registry: `Project.create({ name })`, `addParents`, `filter`, `get`, `search`. */
export const Project = {
  ...access,
  create: (options: ProjectOptions) =>
    Effect.gen(function* () {
      const name = yield* checkName(ProjectModel, options?.name)
      const typeId = yield* typeIdOf(ProjectModel, options.type)
      const start = yield* isoDay("start_date", options.start_date)
      const end = yield* isoDay("end_date", options.end_date)
      if (start !== null && end !== null && end < start)
        return yield* new InvalidArgument({ message: `Project '${name}': end_date ${end} is before start_date ${start}.` })
      const { record } = yield* findOrCreateNamed(ProjectModel, UID_LENGTH.project, name, typeId, {
        is_type: options.is_type ?? false,
        abbr: options.abbr ?? null,
        url: options.url ?? null,
        start_date: start,
        end_date: end,
        description: options.description ?? null
      })
      return decodeProject(record)
    }),
  /** Make `parents` parents of `project` (a cycle fails with `InvalidArgument`, nothing written). */
  addParents: (project: Project, parents: ReadonlyArray<Project>) => addParents(ProjectModel, project, parents)
}
