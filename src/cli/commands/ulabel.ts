/**
 * `lamina ulabel create NAME [--type TYPE] [--is-type] [--description TEXT] [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { ULabel } from "../../registry/ULabel.js"
import { flagBoolean, flagString } from "../args.js"
import type { Command } from "../command.js"
import { createName, printRecord } from "../create.js"

const usage = "lamina ulabel create NAME [--type TYPE] [--is-type] [--description TEXT] [--json]"

export const command: Command = {
  name: "ulabel",
  summary: "create a label (optionally of a type, or a type itself)",
  usage,
  flags: {
    type: { type: "string", description: "the name of the label's type (a ulabel created with --is-type)" },
    is_type: { type: "boolean", description: "this label is a type grouping other labels" },
    description: { type: "string", description: "what the label means" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const name = yield* createName(args, usage)
      const type = flagString(args, "type")
      const description = flagString(args, "description")
      const label = yield* ULabel.create({
        name,
        is_type: flagBoolean(args, "is_type"),
        ...(type !== undefined ? { type } : {}),
        ...(description !== undefined ? { description } : {})
      })
      printRecord(out, "ULabel", label, label.is_type ? "(type)" : type !== undefined ? `of type ${type}` : "")
    })
}
