/**
 * `lamina feature create NAME --dtype DTYPE [--unit U] [--description TEXT] [--coerce] [--not-nullable] [--json]`
 *
 * @module
 */
import { Effect } from "effect"
import { Feature } from "../../registry/Feature.js"
import { flagBoolean, flagString } from "../args.js"
import type { Command } from "../command.js"
import { createName, printRecord } from "../create.js"

const usage = "lamina feature create NAME --dtype DTYPE [--unit UNIT] [--description TEXT] [--coerce] [--not-nullable] [--json]"

export const command: Command = {
  name: "feature",
  summary: "create a feature (name + dtype: int, float, str, date, cat[ULabel], …)",
  usage,
  flags: {
    dtype: { type: "string", description: "int, float, num, str, bool, date, datetime, dict, path, url, list[…], cat[ULabel|Record[Type]]" },
    unit: { type: "string", description: "the unit of the values, e.g. °C" },
    description: { type: "string", description: "what the feature means" },
    coerce: { type: "boolean", description: "accept numbers in strings and date strings, converting them" },
    not_nullable: { type: "boolean", description: "refuse null values" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const name = yield* createName(args, usage)
      const unit = flagString(args, "unit")
      const description = flagString(args, "description")
      const feature = yield* Feature.create({
        name,
        dtype: flagString(args, "dtype") ?? "",
        ...(unit !== undefined ? { unit } : {}),
        ...(description !== undefined ? { description } : {}),
        coerce: flagBoolean(args, "coerce"),
        nullable: !flagBoolean(args, "not_nullable")
      })
      printRecord(out, "Feature", feature, `dtype ${feature.dtype}`)
    })
}
