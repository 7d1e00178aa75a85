/**
 * `lamina schema create NAME --feature NAME:DTYPE … [--maximal] [--ordered] [--coerce] [--description TEXT] [--json]`
 *
 * Each `--feature name:dtype` is created (or reused: same name and dtype) and becomes a member,
 * in the order given. The same definition again returns the existing schema.
 *
 * @module
 */
import { Effect } from "effect"
import { InvalidArgument } from "../../errors.js"
import { Feature } from "../../registry/Feature.js"
import { Schema } from "../../registry/Schema.js"
import { flagBoolean, flagList, flagString } from "../args.js"
import type { Command } from "../command.js"
import { createName, printRecord } from "../create.js"

const usage = "lamina schema create NAME --feature NAME:DTYPE... [--maximal] [--ordered] [--coerce] [--description TEXT] [--json]"

export const command: Command = {
  name: "schema",
  summary: "create a schema from features (name:dtype, in column order)",
  usage,
  flags: {
    feature: { type: "string", multiple: true, description: "a member feature NAME:DTYPE, e.g. 'perturbation:cat[ULabel]' (repeatable, in column order)" },
    maximal: { type: "boolean", description: "no columns beyond the features (maximal_set)" },
    ordered: { type: "boolean", description: "columns in the order given (ordered_set)" },
    coerce: { type: "boolean", description: "convert values to the feature dtypes where possible" },
    description: { type: "string", description: "what the schema is for" }
  },
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const name = yield* createName(args, usage)
      const specs = flagList(args, "feature")
      if (specs.length === 0) return yield* new InvalidArgument({ message: `A schema needs at least one --feature NAME:DTYPE. Usage: ${usage}` })
      const members: Array<string> = []
      for (const spec of specs) {
        const at = spec.indexOf(":")
        if (at <= 0 || at === spec.length - 1) return yield* new InvalidArgument({ message: `--feature takes NAME:DTYPE, e.g. 'score:float', got '${spec}'.` })
        const feature = yield* Feature.create({ name: spec.slice(0, at), dtype: spec.slice(at + 1) })
        members.push(feature.name)
      }
      const description = flagString(args, "description")
      const schema = yield* Schema.create({
        name,
        features: members,
        maximal_set: flagBoolean(args, "maximal"),
        ordered_set: flagBoolean(args, "ordered"),
        coerce: flagBoolean(args, "coerce"),
        ...(description !== undefined ? { description } : {})
      })
      printRecord(out, "Schema", schema, `${members.length} feature${members.length === 1 ? "" : "s"}: ${members.join(", ")}`)
    })
}
