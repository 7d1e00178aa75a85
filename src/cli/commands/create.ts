/**
 * The registries' `create` commands, one declaration each over the generic `createCommand`:
 *
 * - `lamina feature create NAME --dtype DTYPE [--unit U] [--description TEXT] [--coerce] [--not-nullable] [--json]`
 * - `lamina ulabel create NAME [--type TYPE] [--is-type] [--description TEXT] [--json]`
 * - `lamina record create NAME [--type TYPE] [--is-type] [--description TEXT] [--feature NAME=VALUE]… [--json]`
 * - `lamina project create NAME [--abbr ABBR] [--url URL] [--description TEXT] [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { FeatureDecl } from "../../registry/declarations/feature.js"
import { ProjectDecl } from "../../registry/declarations/project.js"
import { RecordDecl } from "../../registry/declarations/record.js"
import { ULabelDecl } from "../../registry/declarations/ulabel.js"
import { Feature } from "../../registry/Feature.js"
import { Project } from "../../registry/Project.js"
import { Record as RecordRegistry } from "../../registry/Record.js"
import { ULabel } from "../../registry/ULabel.js"
import { flagBoolean, flagList } from "../args.js"
import { createCommand } from "../create.js"
import { parseFeatureFlags } from "./annotate.js"

/** A typed record's detail: `(type)` for a type, `of type T` for a member. */
const typeDetail = (record: { readonly is_type: boolean }, given: { readonly type?: string }): string =>
  record.is_type ? "(type)" : given.type !== undefined ? `of type ${given.type}` : ""

/** The flags of a typed registry (ULabel, Record): `--type`, `--is-type`, `--description`. */
const typedFlags = (noun: string, command: string, isType: string, description: string) =>
  ({
    type: { type: "string", description: `the name of the ${noun}'s type (a ${command} created with --is-type)` },
    is_type: { type: "boolean", description: isType },
    description: { type: "string", description }
  }) as const

export const feature = createCommand({
  registry: FeatureDecl,
  summary: "create a feature (name + dtype: int, float, str, date, cat[ULabel], …)",
  usage: "lamina feature create NAME --dtype DTYPE [--unit UNIT] [--description TEXT] [--coerce] [--not-nullable] [--json]",
  flags: {
    dtype: { type: "string", description: "int, float, num, str, bool, date, datetime, dict, path, url, list[…], cat[ULabel|Record[Type]]" },
    unit: { type: "string", description: "the unit of the values, e.g. °C" },
    description: { type: "string", description: "what the feature means" },
    coerce: { type: "boolean", description: "accept numbers in strings and date strings, converting them" },
    not_nullable: { type: "boolean", description: "refuse null values" }
  },
  create: (name, { dtype, ...given }, args) => Feature.create({ name, dtype: dtype ?? "", ...given, coerce: flagBoolean(args, "coerce"), nullable: !flagBoolean(args, "not_nullable") }),
  detail: (f) => `dtype ${f.dtype}`
})

export const ulabel = createCommand({
  registry: ULabelDecl,
  summary: "create a label (optionally of a type, or a type itself)",
  usage: "lamina ulabel create NAME [--type TYPE] [--is-type] [--description TEXT] [--json]",
  flags: typedFlags("label", "ulabel", "this label is a type grouping other labels", "what the label means"),
  create: (name, given, args) => ULabel.create({ name, is_type: flagBoolean(args, "is_type"), ...given }),
  detail: (r, given) => typeDetail(r, given)
})

export const record = createCommand({
  registry: RecordDecl,
  summary: "create a record (of a record type, with feature values)",
  usage: "lamina record create NAME [--type TYPE] [--is-type] [--description TEXT] [--feature NAME=VALUE]... [--json]",
  flags: {
    ...typedFlags("record", "record", "this record is a type, e.g. Sample", "what the record is"),
    feature: { type: "string", multiple: true, description: "a feature value NAME=VALUE (repeatable)" }
  },
  create: (name, given, args) =>
    Effect.flatMap(parseFeatureFlags(flagList(args, "feature")), (features) =>
      RecordRegistry.create({ name, is_type: flagBoolean(args, "is_type"), ...given, ...(Object.keys(features).length > 0 ? { features } : {}) })
    ),
  detail: (r, given) => typeDetail(r, given)
})

export const project = createCommand({
  registry: ProjectDecl,
  summary: "create a project that artifacts, runs and records belong to",
  usage: "lamina project create NAME [--abbr ABBR] [--url URL] [--description TEXT] [--json]",
  flags: {
    abbr: { type: "string", description: "an abbreviation" },
    url: { type: "string", description: "the project's web page" },
    description: { type: "string", description: "what the project is about" }
  },
  create: (name, given) => Project.create({ name, ...given })
})
