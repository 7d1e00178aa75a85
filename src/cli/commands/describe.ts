/**
 * `lamina describe KEY_OR_UID|RUN_UID|TRANSFORM [--json]`: an artifact as a readable tree, with its run and transform,
 * and for tables and AnnData their shape and columns (from the metadata recorded at save).
 *
 * @module
 */
import { Effect } from "effect"
import type { Command } from "../command.js"
import { describeRun, describeTransform } from "../describe-run.js"
import { resolveDescribed } from "../resolve.js"

export const command: Command = {
  name: "describe",
  summary: "show an artifact (identity, content, version, location, provenance), a run or a transform",
  usage: "lamina describe KEY_OR_UID|RUN_UID|TRANSFORM_KEY_OR_UID [--json]",
  flags: {},
  maxPositionals: 1,
  needsInstance: true,
  run: (args, out) =>
    Effect.gen(function* () {
      const described = yield* resolveDescribed(args.positionals[0])
      if (described._tag === "Run") return yield* describeRun(described.run, out)
      if (described._tag === "Transform") return yield* describeTransform(described.transform, out)
      const { data, text } = yield* described.artifact.describe()
      return out.wantsJson ? out.json(data) : out.line(text)
    })
}
