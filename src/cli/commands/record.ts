/**
 * `lamina record create NAME [--type TYPE] [--is-type] [--feature NAME=VALUE]… [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { Record } from "../../registry/Record.js"
import { flagBoolean, flagList, flagString } from "../args.js"
import type { Command } from "../command.js"
import { createName, printRecord } from "../create.js"
import { parseFeatureFlags } from "./annotate.js"

const usage = "lamina record create NAME [--type TYPE] [--is-type] [--description TEXT] [--feature NAME=VALUE]... [--json]"

export const command: Command = {
  name: "record",
  summary: "create a record (of a record type, with feature values)",
  usage,
  flags: {
    type: { type: "string", description: "the name of the record's type (a record created with --is-type)" },
    is_type: { type: "boolean", description: "this record is a type, e.g. Sample" },
    description: { type: "string", description: "what the record is" },
    feature: { type: "string", multiple: true, description: "a feature value NAME=VALUE (repeatable)" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const name = yield* createName(args, usage)
      const type = flagString(args, "type")
      const description = flagString(args, "description")
      const features = yield* parseFeatureFlags(flagList(args, "feature"))
      const record = yield* Record.create({
        name,
        is_type: flagBoolean(args, "is_type"),
        ...(type !== undefined ? { type } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(Object.keys(features).length > 0 ? { features } : {})
      })
      printRecord(out, "Record", record, record.is_type ? "(type)" : type !== undefined ? `of type ${type}` : "")
    })
}
